// Tests of rubric.h: parsing, line-numbered syntax errors, validation.
#include "grader/rubric.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::AllOf;
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

TEST(RubricValidation, PointsMustBeZeroOrPositive) {
  // A zero-point test is a practice test: run and reported, worth nothing.
  absl::StatusOr<Rubric> practice =
      ParseRubric(LabText("a", R"(target: "//labs/x:x_test" gtest: "S.N" points: 0)"), "r");
  ASSERT_TRUE(practice.ok()) << practice.status();
  EXPECT_EQ(practice->lab(0).test(0).points(), 0);
  EXPECT_THAT(ErrorOf(LabText("a", R"(target: "//labs/x:x_test" gtest: "S.N" points: -2)")),
              HasSubstr("points must be zero or positive"));
  EXPECT_THAT(ErrorOf(LabText("a", R"(target: "//labs/x:x_test" gtest: "S.N" points: inf)")),
              HasSubstr("points must be zero or positive"));
}

std::string LabWith(const std::string& lab_fields) {
  return absl::StrCat("lab { name: \"a\" test { ", kGoodTest, " } ", lab_fields, " }\n");
}

TEST(RubricValidation, ExclusionsNeedAReasonAndMustNotBeGraded) {
  ASSERT_TRUE(ParseRubric(LabWith(R"(excluded { target: "//labs/x:x_test" gtest: "Helper.Works"
                                            reason: "tests a test helper" })"),
                          "r")
                  .ok());
  EXPECT_THAT(ErrorOf(LabWith(R"(excluded { target: "//labs/x:x_test" gtest: "Helper.Works" })")),
              HasSubstr("excluded Helper.Works: needs a reason"));
  EXPECT_THAT(ErrorOf(LabWith(R"(excluded { target: "//labs/x:x_test" gtest: "Suite.Name"
                                            reason: "r" })")),
              HasSubstr("is also a graded test"));
  EXPECT_THAT(ErrorOf(LabWith(R"(excluded { target: "labs/x" gtest: "Helper.*" reason: "r" })")),
              AllOf(HasSubstr("not a label"), HasSubstr("Suite.Name")));
}

TEST(RubricValidation, LatePolicyMustParse) {
  ASSERT_TRUE(ParseRubric(LabWith(R"(late_policy { due: "2026-10-02T23:59:00-04:00"
                                      penalty_percent_per_day: 10 cutoff_days: 3 })"),
                          "r")
                  .ok());
  EXPECT_THAT(ErrorOf(LabWith(R"(late_policy { due: "Oct 2" })")),
              HasSubstr("late_policy: \"Oct 2\" is not an RFC 3339 time"));
  EXPECT_THAT(ErrorOf(LabWith(R"(late_policy { due: "2026-10-02T23:59:00Z"
                                      penalty_percent_per_day: 150 grace_minutes: -1 })")),
              AllOf(HasSubstr("between 0 and 100"), HasSubstr("grace_minutes")));
}

TEST(RubricValidation, AllowedDependenciesAreProvidedFolders) {
  absl::StatusOr<Rubric> rubric =
      ParseRubric(LabWith(R"(allowed_dependencies: "labs/aurora")"), "r");
  ASSERT_TRUE(rubric.ok()) << rubric.status();
  EXPECT_THAT(rubric->lab(0).allowed_dependencies(), ::testing::ElementsAre("labs/aurora"));
  EXPECT_THAT(ErrorOf(LabWith(R"(allowed_dependencies: "labs/aurora/")")),
              HasSubstr("must be a repository-relative folder"));
  EXPECT_THAT(ErrorOf(LabWith(R"(allowed_dependencies: "/usr/include")")),
              HasSubstr("must be a repository-relative folder"));
  EXPECT_THAT(ErrorOf(LabWith(R"(allowed_dependencies: "labs/../solution")")),
              HasSubstr("must not contain '.' or '..'"));
  for (const char* folder : {"solution/quorum_kv", "grader/hidden", "skeleton/quorum_kv"}) {
    EXPECT_THAT(ErrorOf(LabWith(absl::StrCat("allowed_dependencies: \"", folder, "\""))),
                HasSubstr("is not provided code"))
        << folder;
  }
  EXPECT_THAT(ErrorOf(LabWith(R"(allowed_dependencies: "labs/aurora"
                                 allowed_dependencies: "labs/aurora")")),
              HasSubstr("lists labs/aurora twice"));
}

TEST(RubricValidation, DependsOnLabsNamesEarlierLabs) {
  const std::string first = LabText("first", kGoodTest);
  auto second = [](const std::string& fields) {
    return absl::StrCat("lab { name: \"second\" test { ", kGoodTest, " } ", fields, " }\n");
  };
  absl::StatusOr<Rubric> cumulative =
      ParseRubric(first + second(R"(depends_on_labs: "first")"), "r");
  ASSERT_TRUE(cumulative.ok()) << cumulative.status();
  EXPECT_EQ(cumulative->lab(1).earlier_labs(), CUMULATIVE);  // the default
  absl::StatusOr<Rubric> isolated =
      ParseRubric(first + second(R"(depends_on_labs: "first" earlier_labs: ISOLATED)"), "r");
  ASSERT_TRUE(isolated.ok()) << isolated.status();
  EXPECT_EQ(isolated->lab(1).earlier_labs(), ISOLATED);

  // Only labs listed earlier: a later lab, an unknown one, itself.
  EXPECT_THAT(ErrorOf(second(R"(depends_on_labs: "first")") + first),
              HasSubstr("lab \"second\": depends_on_labs: \"first\" is not a lab listed before"));
  EXPECT_THAT(ErrorOf(first + second(R"(depends_on_labs: "nope")")),
              HasSubstr("\"nope\" is not a lab listed before"));
  EXPECT_THAT(ErrorOf(first + second(R"(depends_on_labs: "second")")),
              HasSubstr("depends_on_labs names the lab itself"));
  EXPECT_THAT(ErrorOf(first + second(R"(depends_on_labs: "first" depends_on_labs: "first")")),
              HasSubstr("lists first twice"));
  EXPECT_THAT(ErrorOf(first + second("earlier_labs: ISOLATED")),
              HasSubstr("earlier_labs: ISOLATED needs depends_on_labs"));
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
  const std::string error = ErrorOf(LabText("a", R"(target: "nope" gtest: "nodot" points: -1)"));
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

TEST(LatePolicy, WholeDaysAfterTheGracePeriod) {
  LatePolicy policy;
  policy.set_grace_minutes(15);
  policy.set_penalty_percent_per_day(10);
  policy.set_cutoff_days(3);
  const absl::Time due = *ParseDueDate("2026-10-02T23:59:00Z");
  auto at = [&](absl::Duration after_due) { return ApplyLatePolicy(policy, due, due + after_due); };
  EXPECT_EQ(at(-absl::Hours(5)).days_late, 0);
  EXPECT_EQ(at(absl::Minutes(15)).multiplier, 1);  // inside the grace period
  EXPECT_EQ(at(absl::Minutes(16)).days_late, 1);   // a minute late is a day late
  EXPECT_DOUBLE_EQ(at(absl::Minutes(16)).multiplier, 0.9);
  EXPECT_EQ(at(absl::Hours(24) + absl::Minutes(15)).days_late, 1);
  EXPECT_EQ(at(absl::Hours(24) + absl::Minutes(16)).days_late, 2);
  EXPECT_DOUBLE_EQ(at(absl::Hours(60)).multiplier, 0.7);
  const LateOutcome too_late = at(absl::Hours(80));
  EXPECT_TRUE(too_late.past_cutoff);
  EXPECT_EQ(too_late.days_late, 4);
  EXPECT_EQ(too_late.multiplier, 0);
  policy.set_penalty_percent_per_day(60);  // never below zero
  EXPECT_EQ(at(absl::Hours(47)).multiplier, 0);
}

TEST(Visibility, DefaultsHideHiddenTestsUntilTheDueDate) {
  TestCase test;
  EXPECT_EQ(VisibilityName(test), "visible");
  test.set_hidden(true);
  EXPECT_EQ(VisibilityName(test), "after_due_date");
  test.set_visibility(AFTER_PUBLISHED);
  EXPECT_EQ(VisibilityName(test), "after_published");
  test.set_visibility(HIDDEN);
  EXPECT_EQ(VisibilityName(test), "hidden");
  test.set_visibility(VISIBLE);
  EXPECT_EQ(VisibilityName(test), "visible");
}

}  // namespace
}  // namespace auroralab::grader
