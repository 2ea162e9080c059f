// Tests of rubric.h: parsing, line-numbered syntax errors, validation.
#include "grader/rubric.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::HasSubstr;

std::string Runfile(const std::string& path) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/auroralab/" + path;
}

// A minimal valid lab with one test; tests mutate the text around it.
std::string LabText(const std::string& name, const std::string& test_fields) {
  return "lab { name: \"" + name + "\" title: \"T\" student_files: \"skeleton/x/a.cc\" test { " +
         test_fields + " } }\n";
}

constexpr char kGoodTest[] = R"(target: "//labs/x:x_test" gtest: "Suite.Name" points: 1)";

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<Rubric> rubric = ParseRubric(text, "rubric.textproto");
  EXPECT_FALSE(rubric.ok()) << "expected an error for:\n" << text;
  return rubric.ok() ? "" : std::string(rubric.status().message());
}

TEST(Rubric, LoadsAValidRubric) {
  absl::StatusOr<Rubric> rubric = LoadRubric(Runfile("grader/testdata/good_rubric.textproto"));
  ASSERT_TRUE(rubric.ok()) << rubric.status();
  ASSERT_EQ(rubric->lab_size(), 2);
  const auto& lab = rubric->lab(0);
  EXPECT_EQ(lab.name(), "quorum_kv");
  EXPECT_EQ(lab.title(), "Lab 1: Quorum KV");
  EXPECT_EQ(lab.student_files_size(), 2);
  ASSERT_EQ(lab.test_size(), 3);
  EXPECT_DOUBLE_EQ(lab.test(1).points(), 3.5);
  EXPECT_EQ(TimeoutSeconds(lab.test(0)), kDefaultTimeoutSeconds);
  EXPECT_EQ(TimeoutSeconds(lab.test(1)), 120);
  EXPECT_TRUE(lab.test(2).hidden());
  // Parameterized test names are exact names too.
  EXPECT_EQ(rubric->lab(1).test(0).gtest(), "Segment/Param.Works/0");
}

TEST(Rubric, TheCheckedInRubricParses) {
  absl::StatusOr<Rubric> rubric = LoadRubric(Runfile("grader/rubric.textproto"));
  EXPECT_TRUE(rubric.ok()) << rubric.status();
}

TEST(Rubric, SyntaxErrorsNameFileAndLine) {
  absl::StatusOr<Rubric> rubric =
      LoadRubric(Runfile("grader/testdata/syntax_error_rubric.textproto"));
  ASSERT_FALSE(rubric.ok());
  EXPECT_THAT(std::string(rubric.status().message()),
              HasSubstr("syntax_error_rubric.textproto:5:"));
  EXPECT_THAT(std::string(rubric.status().message()), HasSubstr("tests"));
}

TEST(Rubric, MissingFileIsAClearError) {
  absl::StatusOr<Rubric> rubric = LoadRubric("/nonexistent/rubric.textproto");
  ASSERT_FALSE(rubric.ok());
  EXPECT_THAT(std::string(rubric.status().message()), HasSubstr("/nonexistent/rubric.textproto"));
}

TEST(Rubric, EmptyRubricIsValid) {
  absl::StatusOr<Rubric> rubric = ParseRubric("# nothing yet\n", "rubric.textproto");
  ASSERT_TRUE(rubric.ok()) << rubric.status();
  EXPECT_EQ(rubric->lab_size(), 0);
}

TEST(RubricValidation, DuplicateLabNames) {
  EXPECT_THAT(ErrorOf(LabText("a", kGoodTest) + LabText("a", kGoodTest)),
              HasSubstr("rubric.textproto: lab \"a\": duplicate lab name"));
}

TEST(RubricValidation, PointsMustBePositive) {
  EXPECT_THAT(ErrorOf(LabText("a", R"(target: "//labs/x:x_test" gtest: "S.N" points: 0)")),
              HasSubstr("points must be positive"));
  EXPECT_THAT(ErrorOf(LabText("a", R"(target: "//labs/x:x_test" gtest: "S.N" points: -2)")),
              HasSubstr("points must be positive"));
  EXPECT_THAT(ErrorOf(LabText("a", R"(target: "//labs/x:x_test" gtest: "S.N" points: inf)")),
              HasSubstr("points must be positive"));
}

TEST(RubricValidation, LabelsMustLookLikeBazelLabels) {
  for (const char* target : {"labs/x:x_test", "//labs/x", "@repo//labs/x:t",
                             "//labs/x:", "//labs/../x:t", "//labs x:t", "//labs/x:a:b"}) {
    EXPECT_THAT(
        ErrorOf(LabText("a", absl::StrCat("target: \"", target, "\" gtest: \"S.N\" points: 1"))),
        HasSubstr("is not a label like //pkg:name"))
        << target;
  }
}

TEST(RubricValidation, GtestMustBeAnExactName) {
  for (const char* gtest : {"NoDot", "Suite.", ".Name", "Suite.*", "A.B:C.D", "A.B-C.D", "A.B.C"}) {
    EXPECT_THAT(ErrorOf(LabText("a", absl::StrCat(R"(target: "//labs/x:x_test" gtest: ")", gtest,
                                                  "\" points: 1"))),
                HasSubstr("gtest"))
        << gtest;
  }
}

TEST(RubricValidation, OtherProblems) {
  EXPECT_THAT(ErrorOf(LabText("", kGoodTest)), HasSubstr("lab #1: name is empty"));
  EXPECT_THAT(ErrorOf(LabText("bad-name", kGoodTest)), HasSubstr("may only contain"));
  EXPECT_THAT(ErrorOf("lab { name: \"a\" }"), HasSubstr("has no tests"));
  EXPECT_THAT(ErrorOf(LabText("a", absl::StrCat(kGoodTest, " timeout_seconds: -1"))),
              HasSubstr("timeout_seconds must not be negative"));
  EXPECT_THAT(ErrorOf("lab { name: \"a\" student_files: \"/abs/a.cc\" test { " +
                      std::string(kGoodTest) + " } }"),
              HasSubstr("repository-relative"));
  EXPECT_THAT(ErrorOf("lab { name: \"a\" student_files: \"../a.cc\" test { " +
                      std::string(kGoodTest) + " } }"),
              HasSubstr("'..'"));
  EXPECT_THAT(ErrorOf("lab { name: \"a\" test { " + std::string(kGoodTest) + " } test { " +
                      std::string(kGoodTest) + " } }"),
              HasSubstr("listed twice"));
}

TEST(RubricValidation, ReportsEveryProblemAtOnce) {
  const std::string error = ErrorOf(LabText("a", R"(target: "nope" gtest: "nodot" points: 0)"));
  EXPECT_THAT(error, HasSubstr("not a label"));
  EXPECT_THAT(error, HasSubstr("Suite.Name"));
  EXPECT_THAT(error, HasSubstr("points"));
}

TEST(Label, Parses) {
  absl::StatusOr<Label> label = ParseLabel("//labs/quorum_kv:quorum_kv_test");
  ASSERT_TRUE(label.ok());
  EXPECT_EQ(label->package, "labs/quorum_kv");
  EXPECT_EQ(label->name, "quorum_kv_test");
  label = ParseLabel("//:root_test");
  ASSERT_TRUE(label.ok());
  EXPECT_EQ(label->package, "");
}

TEST(SelectLabs, AllOrNamed) {
  absl::StatusOr<Rubric> rubric =
      ParseRubric(LabText("a", kGoodTest) + LabText("b", kGoodTest), "rubric.textproto");
  ASSERT_TRUE(rubric.ok()) << rubric.status();
  EXPECT_EQ(SelectLabs(*rubric, {})->size(), 2u);
  absl::StatusOr<std::vector<const Lab*>> b = SelectLabs(*rubric, {"b"});
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0]->name(), "b");
  absl::StatusOr<std::vector<const Lab*>> unknown = SelectLabs(*rubric, {"c"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("unknown lab(s): c"));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("a, b"));
}

}  // namespace
}  // namespace auroralab::grader
