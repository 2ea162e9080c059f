// Implementation of gradebook.h.
#include "grader/batch/gradebook.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grader/rubric.h"

namespace auroralab::grader {
namespace {

// The value of a `"key": value` line, or nullopt if the line is not one.
std::optional<std::string> FieldValue(absl::string_view line, absl::string_view key) {
  line = absl::StripAsciiWhitespace(line);
  if (!absl::ConsumePrefix(&line, absl::StrCat("\"", key, "\": "))) return std::nullopt;
  absl::ConsumeSuffix(&line, ",");
  return std::string(line);
}

std::string Number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value == 0 ? 0.0 : value);
  }
  return absl::StrFormat("%.4g", value);
}

std::string TestKey(const Lab& lab, const TestCase& test) {
  return absl::StrCat(lab.name(), ": ", test.gtest());
}

}  // namespace

absl::StatusOr<TestScores> ParseResultsScores(const std::string& json, const std::string& name) {
  TestScores scores;
  std::optional<std::string> test_name;
  bool in_tests = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(json, '\n')) {
    ++line_number;
    if (!in_tests) {
      in_tests = absl::StripAsciiWhitespace(line) == "\"tests\": [" ||
                 absl::StripAsciiWhitespace(line) == "\"tests\": []";
      continue;
    }
    if (std::optional<std::string> value = FieldValue(line, "name")) {
      // Test names are lab and GoogleTest identifiers: no escapes inside.
      if (value->size() < 2 || value->front() != '"' || value->back() != '"') {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ":", line_number, ": unexpected name ", *value));
      }
      test_name = value->substr(1, value->size() - 2);
    } else if (std::optional<std::string> score = FieldValue(line, "score")) {
      double points = 0;
      if (!test_name || !absl::SimpleAtod(*score, &points) || !std::isfinite(points)) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ":", line_number, ": a score without a test name or not a number"));
      }
      if (!scores.emplace(*test_name, points).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": test ", *test_name, " appears twice"));
      }
      test_name.reset();
    }
  }
  if (!in_tests) {
    return absl::InvalidArgumentError(absl::StrCat(name,
                                                   ": no \"tests\" list (not a results.json "
                                                   "written by the grader?)"));
  }
  return scores;
}

absl::StatusOr<std::map<std::string, absl::Time>> ParseTimestamps(const std::string& csv) {
  std::map<std::string, absl::Time> times;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("timestamps:", line_number, ": want 'student,submitted_at'"));
    }
    for (std::string& field : fields) absl::StripAsciiWhitespace(&field);
    if (line_number == 1 && fields[1] == "submitted_at") continue;  // header
    absl::StatusOr<absl::Time> time = ParseDueDate(fields[1]);
    if (!time.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("timestamps:", line_number, ": ", time.status().message()));
    }
    if (!times.emplace(fields[0], *time).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("timestamps:", line_number, ": ", fields[0], " is listed twice"));
    }
  }
  return times;
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string FormatGradebook(const Rubric& rubric, std::vector<StudentRecord> students) {
  std::sort(students.begin(), students.end(),
            [](const StudentRecord& a, const StudentRecord& b) { return a.student < b.student; });
  std::vector<std::string> header = {"student", "status", "submitted_at"};
  for (const Lab& lab : rubric.lab()) {
    header.push_back(absl::StrCat(lab.name(), " raw"));
    header.push_back(absl::StrCat(lab.name(), " days late"));
    header.push_back(lab.name());
  }
  for (const Lab& lab : rubric.lab()) {
    for (const TestCase& test : lab.test()) header.push_back(TestKey(lab, test));
  }
  header.push_back("total");
  std::vector<std::string> rows;
  auto join = [](const std::vector<std::string>& fields) {
    std::vector<std::string> quoted;
    for (const std::string& field : fields) quoted.push_back(CsvField(field));
    return absl::StrJoin(quoted, ",");
  };
  rows.push_back(join(header));

  for (const StudentRecord& record : students) {
    std::vector<std::string> row = {
        record.student, record.status,
        record.submitted_at
            ? absl::FormatTime(absl::RFC3339_sec, *record.submitted_at, absl::UTCTimeZone())
            : ""};
    std::vector<std::string> test_cells;
    double total = 0;
    for (const Lab& lab : rubric.lab()) {
      bool graded = false;
      double raw = 0;
      for (const TestCase& test : lab.test()) {
        const double* score = nullptr;
        if (record.scores) {
          auto found = record.scores->find(TestKey(lab, test));
          if (found != record.scores->end()) score = &found->second;
        }
        if (score != nullptr) {
          graded = true;
          raw += *score;
          test_cells.push_back(Number(*score));
        } else {
          test_cells.push_back("");
        }
      }
      if (!graded) {
        row.insert(row.end(), {"", "", ""});
        continue;
      }
      LateOutcome late;
      if (lab.has_late_policy() && record.submitted_at) {
        // The rubric was validated when it was loaded.
        late = ApplyLatePolicy(lab.late_policy(), *ParseDueDate(lab.late_policy().due()),
                               *record.submitted_at);
      }
      const double points = raw * late.multiplier;
      total += points;
      row.push_back(Number(raw));
      row.push_back(late.past_cutoff ? absl::StrCat(late.days_late, " (past cutoff)")
                                     : absl::StrCat(late.days_late));
      row.push_back(Number(points));
    }
    row.insert(row.end(), test_cells.begin(), test_cells.end());
    row.push_back(record.scores ? Number(total) : "");
    rows.push_back(join(row));
  }
  return absl::StrJoin(rows, "\n") + "\n";
}

}  // namespace auroralab::grader
