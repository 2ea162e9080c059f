// Consistency checks between the rubric, the lab tests and the lab docs.
//
// Contract: pure functions over text (no Bazel, no file system), so they are
// unit-tested on deliberately mismatched copies. They report every problem
// at once, one self-contained line each, saying what to change:
//   * every GoogleTest case of a lab's test targets (labs/<lab>/... and
//     grader/hidden/<lab>/...) is a rubric test or a rubric exclusion, so a
//     new test is never silently worth nothing, and every rubric test or
//     exclusion names a case that exists;
//   * the points quoted in the docs come from the rubric: each lab has one
//     generated "rubric-points" block in the docs, equal to what the rubric
//     gives now, and no point count is quoted outside such blocks.
#ifndef AURORALAB_GRADER_CONSISTENCY_CHECK_H_
#define AURORALAB_GRADER_CONSISTENCY_CHECK_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/rubric.pb.h"

namespace auroralab::grader {

// Bazel label of a test target -> its GoogleTest cases ("Suite.Name").
using TestListing = std::map<std::string, std::set<std::string>>;

// Parses the concatenated output of `<binary> --gtest_list_tests` for several
// targets, each introduced by a line "## //pkg:target". Parameterized names
// keep their "/N" parts; "# GetParam() = ..." comments are dropped.
absl::StatusOr<TestListing> ParseTestListing(const std::string& text);

// Problems between the rubric and the test cases that exist. `listing` must
// hold every cc_test target of the rubric's labs (and only those).
std::vector<std::string> CheckTestsAgainstRubric(const Rubric& rubric, const TestListing& listing);

// The markdown the docs show for `lab`'s points (between the markers).
std::string RubricPointsBlock(const Lab& lab);

// The markers around a generated block.
std::string BlockBegin(const std::string& lab_name);
inline constexpr char kBlockEnd[] = "<!-- end rubric-points -->";

struct DocResult {
  std::string fixed_text;             // the doc with every block regenerated
  std::vector<std::string> problems;  // stale blocks, unknown labs, stray point counts
  std::set<std::string> labs;         // labs that have a block in this doc
};

// Checks (and, in fixed_text, regenerates) the blocks of one doc file.
// `doc_name` only labels the problems.
DocResult CheckDoc(const Rubric& rubric, const std::string& doc_name, const std::string& text);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_CONSISTENCY_CHECK_H_
