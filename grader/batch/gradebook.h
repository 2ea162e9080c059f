// The gradebook of a batch grading run: one CSV row per student from their
// results.json, with the rubric's late policy applied per lab.
//
// Contract: pure functions over text and values (batch.sh does the file and
// process work), deterministic (students sorted by name, columns in rubric
// order). A results.json is read as the grader writes it (one field per
// line); anything else is an error naming the file, never a guessed score.
// Late policy: each lab's points are multiplied by ApplyLatePolicy's
// multiplier for that lab (rubric.h); a student without a timestamp is on
// time, and the row says so.
#ifndef AURORALAB_GRADER_BATCH_GRADEBOOK_H_
#define AURORALAB_GRADER_BATCH_GRADEBOOK_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grader/rubric.pb.h"

namespace auroralab::grader {

// "lab: Suite.Name" -> points scored, as in results.json.
using TestScores = std::map<std::string, double>;

// Reads the per-test scores of a results.json written by the grader.
absl::StatusOr<TestScores> ParseResultsScores(const std::string& json, const std::string& name);

// Parses "student,submitted_at" lines (RFC 3339; a header line and blank
// lines are skipped). Duplicate students and bad times are errors.
absl::StatusOr<std::map<std::string, absl::Time>> ParseTimestamps(const std::string& csv);

struct StudentRecord {
  std::string student;
  std::string status;                // "graded", "grader error (exit 1)", ...
  std::optional<TestScores> scores;  // unset: not graded
  std::optional<absl::Time> submitted_at;
};

// The gradebook CSV: a header, then one row per student (sorted):
//   student,status,submitted_at,<lab> raw,<lab> days late,<lab>,...,
//   <lab: Suite.Name>...,total
// "<lab>" is the lab's points after the late policy; total sums those.
std::string FormatGradebook(const Rubric& rubric, std::vector<StudentRecord> students);

// RFC 4180 quoting for one field.
std::string CsvField(const std::string& field);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_BATCH_GRADEBOOK_H_
