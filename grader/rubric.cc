// Implementation of rubric.h: text-format parsing with line-numbered errors,
// then semantic validation.
#include "grader/rubric.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace auroralab::grader {
namespace {

// Collects protobuf's parse errors as "file:line:column: message" lines
// (protobuf counts from 0; editors count from 1).
class CollectingErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrors(std::string filename) : filename_(std::move(filename)) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(filename_, ":", line + 1, ":", column + 1, ": ", message));
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string filename_;
  std::vector<std::string> errors_;
};

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '/' || c == '+';
}

// GoogleTest names: identifiers, plus '/' for parameterized tests
// ("Prefix/Suite.Name/0"). Wildcards and ':' / '-' would turn the filter
// into a pattern that may select several tests, so they are rejected.
bool IsGtestChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '/' || c == '.';
}

absl::Status CheckGtestName(const std::string& gtest) {
  if (gtest.empty()) return absl::InvalidArgumentError("gtest is empty");
  for (char c : gtest) {
    if (!IsGtestChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gtest \"", gtest, "\" must be an exact Suite.Name (no '", std::string(1, c), "')"));
    }
  }
  // Exactly one '.' separating non-empty suite and test names, ignoring the
  // '/' parts of parameterized names.
  const size_t dot = gtest.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == gtest.size() ||
      gtest.find('.', dot + 1) != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("gtest \"", gtest, "\" must look like Suite.Name"));
  }
  return absl::OkStatus();
}

absl::Status CheckStudentFile(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("student_files has an empty path");
  const std::filesystem::path p(path);
  if (p.is_absolute()) {
    return absl::InvalidArgumentError(
        absl::StrCat("student file \"", path, "\" must be repository-relative"));
  }
  for (const auto& part : p) {
    if (part == ".." || part == ".") {
      return absl::InvalidArgumentError(
          absl::StrCat("student file \"", path, "\" must not contain '.' or '..'"));
    }
  }
  if (path.back() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("student file \"", path, "\" must name a file, not a directory"));
  }
  return absl::OkStatus();
}

// A repository folder of provided code (allowed_dependencies).
absl::Status CheckDependencyFolder(const std::string& folder) {
  const std::string quoted = absl::StrCat("allowed_dependencies \"", folder, "\"");
  if (folder.empty()) return absl::InvalidArgumentError("allowed_dependencies has an empty path");
  const std::filesystem::path path(folder);
  if (path.is_absolute() || folder.back() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted, " must be a repository-relative folder like \"labs/aurora\""));
  }
  for (const auto& part : path) {
    if (part == ".." || part == "." || part.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(quoted, " must not contain '.' or '..'"));
    }
  }
  const std::string top = path.begin()->string();
  if (top == "solution" || top == "grader" || top == "skeleton") {
    return absl::InvalidArgumentError(absl::StrCat(
        quoted,
        " is not provided code: the reference and the grader are never "
        "includable, and earlier labs' student files come in through depends_on_labs"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Label> ParseLabel(const std::string& label) {
  auto bad = [&label](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("target \"", label, "\" is not a label like //pkg:name (", why, ")"));
  };
  if (label.rfind("//", 0) != 0) return bad("must start with //");
  const size_t colon = label.find(':');
  if (colon == std::string::npos) return bad("missing :name");
  if (label.find(':', colon + 1) != std::string::npos) return bad("more than one ':'");
  Label parsed{label.substr(2, colon - 2), label.substr(colon + 1)};
  if (parsed.name.empty()) return bad("empty name");
  for (const std::string* part : {&parsed.package, &parsed.name}) {
    for (char c : *part) {
      if (!IsLabelChar(c))
        return bad(absl::StrCat("unexpected character '", std::string(1, c), "'"));
    }
  }
  if (!parsed.package.empty() && (parsed.package.front() == '/' || parsed.package.back() == '/' ||
                                  parsed.package.find("//") != std::string::npos)) {
    return bad("malformed package");
  }
  for (const auto& part : std::filesystem::path(parsed.package + "/" + parsed.name)) {
    if (part == "..") return bad("'..' is not allowed");
  }
  return parsed;
}

absl::StatusOr<Rubric> ParseRubric(const std::string& text, const std::string& filename) {
  Rubric rubric;
  CollectingErrors errors(filename);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &rubric)) {
    if (errors.errors().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(filename, ": not a valid rubric"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(errors.errors(), "\n"));
  }
  if (absl::Status valid = ValidateRubric(rubric, filename); !valid.ok()) return valid;
  return rubric;
}

absl::StatusOr<Rubric> LoadRubric(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read rubric ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading rubric ", path));
  return ParseRubric(text.str(), name);
}

absl::Status ValidateRubric(const Rubric& rubric, const std::string& filename) {
  std::vector<std::string> problems;
  std::set<std::string> lab_names;
  for (int i = 0; i < rubric.lab_size(); ++i) {
    const Lab& lab = rubric.lab(i);
    const std::string where = lab.name().empty() ? absl::StrCat("lab #", i + 1)
                                                 : absl::StrCat("lab \"", lab.name(), "\"");
    auto problem = [&](const std::string& what) {
      problems.push_back(absl::StrCat(filename, ": ", where, ": ", what));
    };
    if (lab.name().empty()) {
      problem("name is empty");
    } else if (!lab_names.insert(lab.name()).second) {
      problem("duplicate lab name");
    }
    for (char c : lab.name()) {
      // Lab names become directory names under grade-out/ and --lab values.
      if (!IsGtestChar(c) || c == '/' || c == '.') {
        problem("name may only contain letters, digits and '_'");
        break;
      }
    }
    if (lab.test_size() == 0) problem("has no tests");
    std::set<std::string> dependencies;
    for (const std::string& folder : lab.allowed_dependencies()) {
      if (absl::Status ok = CheckDependencyFolder(folder); !ok.ok())
        problem(std::string(ok.message()));
      if (!dependencies.insert(folder).second) {
        problem(absl::StrCat("allowed_dependencies lists ", folder, " twice"));
      }
    }
    // Only labs listed before this one: no cycles, and the order of the
    // rubric is the order of the course.
    std::set<std::string> earlier_labs;
    for (const std::string& earlier : lab.depends_on_labs()) {
      if (earlier == lab.name()) {
        problem("depends_on_labs names the lab itself");
      } else if (lab_names.count(earlier) == 0) {
        problem(
            absl::StrCat("depends_on_labs: \"", earlier, "\" is not a lab listed before this one"));
      } else if (!earlier_labs.insert(earlier).second) {
        problem(absl::StrCat("depends_on_labs lists ", earlier, " twice"));
      }
    }
    if (lab.earlier_labs() == ISOLATED && lab.depends_on_labs().empty()) {
      problem("earlier_labs: ISOLATED needs depends_on_labs (the labs to take from the reference)");
    }
    std::set<std::string> student_files;
    for (const std::string& file : lab.student_files()) {
      if (absl::Status ok = CheckStudentFile(file); !ok.ok()) problem(std::string(ok.message()));
      if (!student_files.insert(file).second)
        problem(absl::StrCat("duplicate student file ", file));
    }
    std::set<std::pair<std::string, std::string>> tests;
    for (int t = 0; t < lab.test_size(); ++t) {
      const TestCase& test = lab.test(t);
      const std::string test_where = test.gtest().empty() ? absl::StrCat("test #", t + 1)
                                                          : absl::StrCat("test ", test.gtest());
      auto test_problem = [&](const std::string& what) {
        problem(absl::StrCat(test_where, ": ", what));
      };
      if (absl::StatusOr<Label> label = ParseLabel(test.target()); !label.ok()) {
        test_problem(std::string(label.status().message()));
      }
      if (absl::Status ok = CheckGtestName(test.gtest()); !ok.ok()) {
        test_problem(std::string(ok.message()));
      }
      if (!std::isfinite(test.points()) || test.points() < 0) {
        test_problem(absl::StrCat("points must be zero or positive (got ", test.points(), ")"));
      }
      if (test.timeout_seconds() < 0) {
        test_problem(absl::StrCat("timeout_seconds must not be negative (got ",
                                  test.timeout_seconds(), ")"));
      }
      if (!tests.insert({test.target(), test.gtest()}).second) {
        test_problem(absl::StrCat("listed twice for ", test.target()));
      }
    }
    for (const Exclusion& excluded : lab.excluded()) {
      const std::string excluded_where = absl::StrCat("excluded ", excluded.gtest());
      auto excluded_problem = [&](const std::string& what) {
        problem(absl::StrCat(excluded_where, ": ", what));
      };
      if (absl::StatusOr<Label> label = ParseLabel(excluded.target()); !label.ok()) {
        excluded_problem(std::string(label.status().message()));
      }
      if (absl::Status ok = CheckGtestName(excluded.gtest()); !ok.ok()) {
        excluded_problem(std::string(ok.message()));
      }
      if (excluded.reason().empty()) {
        excluded_problem("needs a reason (why this test is not graded)");
      }
      if (tests.count({excluded.target(), excluded.gtest()}) > 0) {
        excluded_problem("is also a graded test; keep one of the two");
      }
    }
    if (lab.has_late_policy()) {
      const LatePolicy& late = lab.late_policy();
      if (absl::StatusOr<absl::Time> due = ParseDueDate(late.due()); !due.ok()) {
        problem(absl::StrCat("late_policy: ", due.status().message()));
      }
      if (late.grace_minutes() < 0) problem("late_policy: grace_minutes must not be negative");
      if (late.cutoff_days() < 0) problem("late_policy: cutoff_days must not be negative");
      if (!std::isfinite(late.penalty_percent_per_day()) || late.penalty_percent_per_day() < 0 ||
          late.penalty_percent_per_day() > 100) {
        problem("late_policy: penalty_percent_per_day must be between 0 and 100");
      }
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

absl::StatusOr<absl::Time> ParseDueDate(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty()) return absl::InvalidArgumentError("due is empty (want RFC 3339)");
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not an RFC 3339 time like 2026-10-02T23:59:00-04:00 (", error, ")"));
  }
  return time;
}

LateOutcome ApplyLatePolicy(const LatePolicy& policy, absl::Time due, absl::Time submitted) {
  LateOutcome outcome;
  const absl::Duration late = submitted - due - absl::Minutes(policy.grace_minutes());
  if (late <= absl::ZeroDuration()) return outcome;
  // Any part of a day counts as a whole day.
  outcome.days_late = static_cast<int>(absl::Ceil(late, absl::Hours(24)) / absl::Hours(24));
  if (outcome.days_late > policy.cutoff_days()) {
    outcome.multiplier = 0;
    outcome.past_cutoff = true;
    return outcome;
  }
  outcome.multiplier =
      std::max(0.0, 1 - outcome.days_late * policy.penalty_percent_per_day() / 100);
  return outcome;
}

std::string VisibilityName(const TestCase& test) {
  switch (test.visibility()) {
    case VISIBLE:
      return "visible";
    case AFTER_DUE_DATE:
      return "after_due_date";
    case AFTER_PUBLISHED:
      return "after_published";
    case HIDDEN:
      return "hidden";
    default:
      return test.hidden() ? "after_due_date" : "visible";
  }
}

int TimeoutSeconds(const TestCase& test) {
  return test.timeout_seconds() > 0 ? test.timeout_seconds() : kDefaultTimeoutSeconds;
}

absl::StatusOr<std::vector<const Lab*>> SelectLabs(const Rubric& rubric,
                                                   const std::vector<std::string>& names) {
  std::vector<const Lab*> selected;
  if (names.empty()) {
    for (const Lab& lab : rubric.lab()) selected.push_back(&lab);
    return selected;
  }
  std::set<std::string> wanted(names.begin(), names.end());
  std::vector<std::string> known;
  for (const Lab& lab : rubric.lab()) {
    known.push_back(lab.name());
    if (wanted.erase(lab.name()) > 0) selected.push_back(&lab);
  }
  if (!wanted.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown lab(s): ", absl::StrJoin(wanted, ", "), "; the rubric has: ",
                     known.empty() ? std::string("(no labs yet)") : absl::StrJoin(known, ", ")));
  }
  return selected;
}

}  // namespace auroralab::grader
