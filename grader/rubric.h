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

// Checks what the text format cannot: unique non-empty lab names, positive
// finite points, well-formed labels, exact "Suite.Name" gtest names, no
// duplicate test in a lab, non-negative timeouts, relative student paths.
// Reports every problem at once, one per line.
absl::Status ValidateRubric(const Rubric& rubric, const std::string& filename);

// The test's wall-clock limit, applying the default.
int TimeoutSeconds(const TestCase& test);

// The labs to grade: all of them when `names` is empty, else the named ones
// in rubric order. An unknown name is an error that lists the known ones.
absl::StatusOr<std::vector<const Lab*>> SelectLabs(const Rubric& rubric,
                                                   const std::vector<std::string>& names);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_RUBRIC_H_
