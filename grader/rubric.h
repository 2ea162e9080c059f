// Loading and checking the grading rubric (grader/rubric.proto).
//
// Contract: LoadRubric/ParseRubric return a Rubric only if it parses as text
// format AND passes ValidateRubric; every error names the file and, for
// syntax errors, the line ("rubric.textproto:12:5: Expected ..."), so a lab
// author can fix the rubric without reading the grader. Nothing here touches
// Bazel or the source tree.
#ifndef AURORALAB_GRADER_RUBRIC_H_
#define AURORALAB_GRADER_RUBRIC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grader/rubric.pb.h"

namespace auroralab::grader {

// Used when a TestCase leaves timeout_seconds at 0.
inline constexpr int kDefaultTimeoutSeconds = 60;

// A parsed Bazel label "//package/path:name" of the main repository.
struct Label {
  std::string package;  // "labs/quorum_kv" (may be empty for the root package)
  std::string name;     // "quorum_kv_test"
};

// Parses "//pkg:name". Rejects external repositories ("@repo//..."), the
// short form "//pkg" and anything with whitespace or "..", so that a label
// maps onto exactly one binary under bazel-bin.
absl::StatusOr<Label> ParseLabel(const std::string& label);

// Parses rubric text; `filename` only labels error messages.
absl::StatusOr<Rubric> ParseRubric(const std::string& text, const std::string& filename);

// Reads and parses a rubric file. Errors mention the file's base name.
absl::StatusOr<Rubric> LoadRubric(const std::string& path);

// Checks what the text format cannot: unique non-empty lab names, finite
// non-negative points, well-formed labels, exact "Suite.Name" gtest names, no
// duplicate test in a lab, non-negative timeouts, relative student paths,
// exclusions with a reason that are not also graded, a parseable late policy.
// Reports every problem at once, one per line.
absl::Status ValidateRubric(const Rubric& rubric, const std::string& filename);

// Parses a LatePolicy.due (RFC 3339 with a UTC offset).
absl::StatusOr<absl::Time> ParseDueDate(const std::string& text);

// What a late policy does to one lab's points.
struct LateOutcome {
  int days_late = 0;         // 0: on time (within the grace period)
  double multiplier = 1;     // the lab's points are multiplied by this
  bool past_cutoff = false;  // later than cutoff_days: multiplier 0
};

// Applies `policy` (whose due date is `due`) to a submission made at
// `submitted`. Pure; see rubric.proto for the rule.
LateOutcome ApplyLatePolicy(const LatePolicy& policy, absl::Time due, absl::Time submitted);

// Gradescope's name for the test's visibility, applying the default
// ("visible" for public tests, "after_due_date" for hidden ones).
std::string VisibilityName(const TestCase& test);

// The test's wall-clock limit, applying the default.
int TimeoutSeconds(const TestCase& test);

// The labs to grade: all of them when `names` is empty, else the named ones
// in rubric order. An unknown name is an error that lists the known ones.
absl::StatusOr<std::vector<const Lab*>> SelectLabs(const Rubric& rubric,
                                                   const std::vector<std::string>& names);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_RUBRIC_H_
