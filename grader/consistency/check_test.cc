// Tests of check.h on small, deliberately mismatched rubrics, listings and
// docs: each rule must fail when broken and pass when kept.
#include "grader/consistency/check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grader/rubric.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

Rubric ParseOrDie(const std::string& text) {
  absl::StatusOr<Rubric> rubric = ParseRubric(text, "rubric.textproto");
  EXPECT_TRUE(rubric.ok()) << rubric.status();
  return rubric.ok() ? *rubric : Rubric();
}

const char kRubric[] = R"(
lab {
  name: "kv"
  test { target: "//labs/kv:kv_test" gtest: "KvPartA.Put" points: 3 }
  test { target: "//labs/kv:kv_test" gtest: "KvPartA.Get" points: 2.5 }
  test { target: "//labs/kv:kv_test" gtest: "KvPractice.Warmup" points: 0 }
  test { target: "//grader/hidden/kv:hidden_test" gtest: "KvHidden.Stress" points: 4 hidden: true }
  excluded { target: "//labs/kv:kv_test" gtest: "Harness.SelfCheck" reason: "tests the harness" }
}
)";

// `--gtest_list_tests` output as ./lab collects it.
const char kListing[] = R"(## //labs/kv:kv_test
Running main() from ./googletest/src/gtest_main.cc
KvPartA.
  Put
  Get
KvPractice.
  Warmup
Harness.
  SelfCheck
## //grader/hidden/kv:hidden_test
KvHidden.
  Stress
## //labs/other:other_test
Other.
  NotOurs
)";

TEST(ParseTestListing, TargetsSuitesAndParameterizedNames) {
  absl::StatusOr<TestListing> listing = ParseTestListing(
      "## //a:t\nSuite.\n  One\n  Two\nP/Param.\n  Case/0  # GetParam() = 3\n## //b:t\n");
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_THAT(listing->at("//a:t"), ElementsAre("P/Param.Case/0", "Suite.One", "Suite.Two"));
  EXPECT_THAT(listing->at("//b:t"), IsEmpty());
  EXPECT_FALSE(ParseTestListing("Suite.\n  One\n").ok());    // no target line
  EXPECT_FALSE(ParseTestListing("## //a:t\n  One\n").ok());  // no suite
}

TEST(CheckTests, AConsistentRubricHasNoProblems) {
  EXPECT_THAT(CheckTestsAgainstRubric(ParseOrDie(kRubric), *ParseTestListing(kListing)), IsEmpty());
}

TEST(CheckTests, ANewTestThatIsNotInTheRubricFails) {
  const std::string listing = absl::StrCat(kListing, "## //labs/kv:kv_new_test\nKvPartC.\n  New\n");
  const std::vector<std::string> problems =
      CheckTestsAgainstRubric(ParseOrDie(kRubric), *ParseTestListing(listing));
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("//labs/kv:kv_new_test has the test KvPartC.New that the "
                                     "rubric does not grade"));
}

TEST(CheckTests, ANewHiddenTestThatIsNotInTheRubricFails) {
  std::string listing = kListing;
  listing.replace(listing.find("  Stress\n"), 9, "  Stress\n  Sneaky\n");
  EXPECT_THAT(CheckTestsAgainstRubric(ParseOrDie(kRubric), *ParseTestListing(listing)),
              ElementsAre(HasSubstr("KvHidden.Sneaky that the rubric does not grade")));
}

TEST(CheckTests, ARubricEntryWithoutATestFails) {
  std::string listing = kListing;
  listing.replace(listing.find("  Get\n"), 6, "  GetRenamed\n");
  std::vector<std::string> problems =
      CheckTestsAgainstRubric(ParseOrDie(kRubric), *ParseTestListing(listing));
  EXPECT_THAT(problems,
              ElementsAre(HasSubstr("the rubric's test KvPartA.Get does not exist in "
                                    "//labs/kv:kv_test"),
                          HasSubstr("KvPartA.GetRenamed that the rubric does not grade")));
  // A stale exclusion is reported too, and so is a target that is gone.
  listing = kListing;
  listing.replace(listing.find("Harness.\n  SelfCheck\n"), 21, "");
  listing.replace(listing.find("## //grader/hidden"), std::string::npos, "");
  problems = CheckTestsAgainstRubric(ParseOrDie(kRubric), *ParseTestListing(listing));
  EXPECT_THAT(problems,
              ElementsAre(HasSubstr("KvHidden.Stress is in //grader/hidden/kv:hidden_test, which "
                                    "is not a test target"),
                          HasSubstr("the rubric's excluded Harness.SelfCheck does not exist")));
}

TEST(RubricPointsBlock, PublicSuitesPracticeAndHidden) {
  EXPECT_EQ(RubricPointsBlock(ParseOrDie(kRubric).lab(0)),
            "| Tests | Count | Points |\n"
            "|---|---:|---:|\n"
            "| Public: `KvPartA.*` | 2 | 5.5 |\n"
            "| Practice, not graded: `KvPractice.*` | 1 | 0 |\n"
            "| Hidden tests (run by the instructors) | 1 | 4 |\n"
            "| **Total** | 4 | 9.5 |\n");
}

std::string DocWithBlock(const std::string& body) {
  return absl::StrCat("# Lab\n\nGrading:\n\n", BlockBegin("kv"), "\n", body, kBlockEnd,
                      "\n\nMore text.\n");
}

TEST(CheckDoc, AnUpToDateBlockPasses) {
  const Rubric rubric = ParseOrDie(kRubric);
  const std::string doc = DocWithBlock(RubricPointsBlock(rubric.lab(0)));
  const DocResult result = CheckDoc(rubric, "kv.md", doc);
  EXPECT_THAT(result.problems, IsEmpty());
  EXPECT_EQ(result.fixed_text, doc);
  EXPECT_THAT(result.labs, ElementsAre("kv"));
}

TEST(CheckDoc, AStaleNumberFailsAndIsRegenerated) {
  const Rubric rubric = ParseOrDie(kRubric);
  std::string stale = RubricPointsBlock(rubric.lab(0));
  stale.replace(stale.find("| 5.5 |"), 7, "| 6 |");  // before a re-weighting
  const DocResult result = CheckDoc(rubric, "kv.md", DocWithBlock(stale));
  EXPECT_THAT(result.problems, ElementsAre(HasSubstr("kv.md:5: the points of 'kv' are stale")));
  EXPECT_EQ(result.fixed_text, DocWithBlock(RubricPointsBlock(rubric.lab(0))));
  EXPECT_THAT(CheckDoc(rubric, "kv.md", result.fixed_text).problems, IsEmpty());
}

TEST(CheckDoc, PointCountsOutsideBlocksAndUnknownLabsFail) {
  const Rubric rubric = ParseOrDie(kRubric);
  const std::string doc = absl::StrCat(
      "The public tests are worth 58 of the 100 points.\nPart A (33 points).\n",
      "Say `points: 3` in the rubric.\n", "<!-- rubric-points: gone -->\n", kBlockEnd, "\n");
  const DocResult result = CheckDoc(rubric, "kv.md", doc);
  EXPECT_THAT(result.problems,
              ElementsAre(HasSubstr("kv.md:1: a point count outside a generated"),
                          HasSubstr("kv.md:2: a point count outside a generated"),
                          HasSubstr("kv.md:4: rubric-points block for 'gone', not a lab")));
  EXPECT_THAT(result.labs, IsEmpty());
}

TEST(CheckDoc, ABlockWithoutItsEndMarkerFails) {
  const DocResult result =
      CheckDoc(ParseOrDie(kRubric), "kv.md", absl::StrCat(BlockBegin("kv"), "\n| x |\n"));
  EXPECT_THAT(result.problems, ElementsAre(HasSubstr("has no '<!-- end rubric-points -->' line")));
}

}  // namespace
}  // namespace auroralab::grader
