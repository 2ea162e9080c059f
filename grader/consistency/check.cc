// Implementation of check.h.
#include "grader/consistency/check.h"

#include <regex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "grader/results.h"

namespace auroralab::grader {
namespace {

// The suite of "Suite.Name", "Prefix/Suite.Name/0".
std::string SuiteOf(const std::string& gtest) { return gtest.substr(0, gtest.find('.')); }

bool IsLabTarget(const std::string& lab, const std::string& target) {
  for (const std::string& root :
       {absl::StrCat("//labs/", lab), absl::StrCat("//grader/hidden/", lab)}) {
    if (target.rfind(root, 0) == 0 && (target.size() == root.size() || target[root.size()] == ':' ||
                                       target[root.size()] == '/')) {
      return true;
    }
  }
  return false;
}

std::string Points(double points) {
  // Docs say "3", "2.5": FormatPoints's "3.0" reads like a version number.
  std::string text = FormatPoints(points);
  if (absl::EndsWith(text, ".0")) text.resize(text.size() - 2);
  return text;
}

}  // namespace

absl::StatusOr<TestListing> ParseTestListing(const std::string& text) {
  TestListing listing;
  std::string target;
  std::string suite;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (absl::ConsumePrefix(&line, "## ")) {
      target = std::string(line);
      suite.clear();
      listing[target];  // a target may have no cases
      continue;
    }
    // Drop "  # GetParam() = ..." and trailing spaces.
    if (const size_t comment = line.find("  #"); comment != absl::string_view::npos) {
      line = line.substr(0, comment);
    }
    line = absl::StripTrailingAsciiWhitespace(line);
    // gtest_main's banner.
    if (line.empty() || absl::StartsWith(line, "Running main() from")) continue;
    if (target.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": test names before the first '## //target' line"));
    }
    if (line.front() != ' ') {
      if (line.back() != '.') {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_number, ": expected 'Suite.', got '", line, "'"));
      }
      suite = std::string(line);
      continue;
    }
    if (suite.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": a test name before its suite"));
    }
    listing[target].insert(absl::StrCat(suite, absl::StripLeadingAsciiWhitespace(line)));
  }
  return listing;
}

std::vector<std::string> CheckTestsAgainstRubric(const Rubric& rubric, const TestListing& listing) {
  std::vector<std::string> problems;
  for (const Lab& lab : rubric.lab()) {
    // (target, case) -> how the rubric accounts for it.
    std::map<std::pair<std::string, std::string>, std::string> accounted;
    for (const TestCase& test : lab.test()) accounted[{test.target(), test.gtest()}] = "test";
    for (const Exclusion& excluded : lab.excluded()) {
      accounted[{excluded.target(), excluded.gtest()}] = "excluded";
    }
    for (const auto& [key, kind] : accounted) {
      const auto& [target, gtest] = key;
      auto found = listing.find(target);
      if (found == listing.end()) {
        problems.push_back(absl::StrCat(lab.name(), ": the rubric's ", kind, " ", gtest, " is in ",
                                        target, ", which is not a test target of the lab"));
      } else if (found->second.count(gtest) == 0) {
        problems.push_back(absl::StrCat(lab.name(), ": the rubric's ", kind, " ", gtest,
                                        " does not exist in ", target,
                                        " (renamed or removed? update grader/rubric.textproto)"));
      }
    }
    for (const auto& [target, cases] : listing) {
      if (!IsLabTarget(lab.name(), target)) continue;
      for (const std::string& gtest : cases) {
        if (accounted.count({target, gtest}) > 0) continue;
        problems.push_back(absl::StrCat(
            lab.name(), ": ", target, " has the test ", gtest,
            " that the rubric does not grade: add a `test { target: \"", target, "\" gtest: \"",
            gtest,
            "\" points: N }` (N may be 0 for practice) or an `excluded { ... reason: ... }`"));
      }
    }
  }
  return problems;
}

std::string BlockBegin(const std::string& lab_name) {
  return absl::StrCat("<!-- rubric-points: ", lab_name,
                      " (generated from grader/rubric.textproto by ./lab test --fix-docs;"
                      " do not edit) -->");
}

std::string RubricPointsBlock(const Lab& lab) {
  // Rows in rubric order: public suites, practice (0-point) suites, hidden.
  struct Row {
    std::string label;
    int count = 0;
    double points = 0;
  };
  std::vector<Row> rows;
  auto add = [&rows](const std::string& label, double points) {
    for (Row& row : rows) {
      if (row.label == label) {
        ++row.count;
        row.points += points;
        return;
      }
    }
    rows.push_back({label, 1, points});
  };
  Row hidden{"Hidden tests (run by the instructors)"};
  int total_count = 0;
  double total_points = 0;
  for (const TestCase& test : lab.test()) {
    ++total_count;
    total_points += test.points();
    if (test.hidden()) {
      ++hidden.count;
      hidden.points += test.points();
    } else if (test.points() == 0) {
      add(absl::StrCat("Practice, not graded: `", SuiteOf(test.gtest()), ".*`"), 0);
    } else {
      add(absl::StrCat("Public: `", SuiteOf(test.gtest()), ".*`"), test.points());
    }
  }
  if (hidden.count > 0) rows.push_back(hidden);
  std::string block = "| Tests | Count | Points |\n|---|---:|---:|\n";
  for (const Row& row : rows) {
    absl::StrAppend(&block, "| ", row.label, " | ", row.count, " | ", Points(row.points), " |\n");
  }
  absl::StrAppend(&block, "| **Total** | ", total_count, " | ", Points(total_points), " |\n");
  return block;
}

DocResult CheckDoc(const Rubric& rubric, const std::string& doc_name, const std::string& text) {
  DocResult result;
  std::map<std::string, const Lab*> labs;
  for (const Lab& lab : rubric.lab()) labs[lab.name()] = &lab;
  static const std::regex kBegin("<!-- rubric-points: ([A-Za-z0-9_]+)[^>]*-->");
  static const std::regex kPointCount("\\b[0-9]+(\\.[0-9]+)? (of the [0-9]+ )?points?\\b");

  const std::vector<std::string> lines = absl::StrSplit(text, '\n');
  std::string fixed;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::string where = absl::StrCat(doc_name, ":", i + 1);
    std::smatch begin;
    if (!std::regex_search(line, begin, kBegin)) {
      if (std::regex_search(line, kPointCount)) {
        result.problems.push_back(
            absl::StrCat(where,
                         ": a point count outside a generated rubric-points block; quote the block "
                         "instead (the rubric may change): ",
                         line));
      }
      absl::StrAppend(&fixed, line, i + 1 < lines.size() ? "\n" : "");
      continue;
    }
    const std::string lab_name = begin[1];
    size_t end = i + 1;
    while (end < lines.size() && lines[end] != kBlockEnd) ++end;
    if (end == lines.size()) {
      result.problems.push_back(absl::StrCat(where, ": the block has no '", kBlockEnd, "' line"));
      absl::StrAppend(&fixed, line, "\n");
      continue;
    }
    std::string current;
    for (size_t j = i + 1; j < end; ++j) absl::StrAppend(&current, lines[j], "\n");
    auto lab = labs.find(lab_name);
    if (lab == labs.end()) {
      result.problems.push_back(absl::StrCat(where, ": rubric-points block for '", lab_name,
                                             "', not a lab of the rubric"));
      for (size_t j = i; j <= end; ++j) absl::StrAppend(&fixed, lines[j], "\n");
    } else {
      if (!result.labs.insert(lab_name).second) {
        result.problems.push_back(
            absl::StrCat(where, ": a second rubric-points block for '", lab_name, "'"));
      }
      const std::string expected = RubricPointsBlock(*lab->second);
      if (current != expected) {
        result.problems.push_back(absl::StrCat(
            where, ": the points of '", lab_name,
            "' are stale (the rubric changed); run ./lab test --fix-docs. Expected:\n", expected));
      }
      absl::StrAppend(&fixed, BlockBegin(lab_name), "\n", expected, kBlockEnd, "\n");
    }
    i = end;
    if (i + 1 == lines.size()) fixed.pop_back();  // the text ended with the end marker
  }
  result.fixed_text = fixed;
  return result;
}

}  // namespace auroralab::grader
