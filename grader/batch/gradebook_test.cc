// Tests of gradebook.h: reading the grader's own results.json back, the
// timestamps file, and the CSV with the late policy applied per lab.
#include "grader/batch/gradebook.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grader/results.h"
#include "grader/rubric.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TestResult Result(const std::string& gtest, double score, double max_score) {
  TestResult test;
  test.lab = "kv";
  test.gtest = gtest;
  test.score = score;
  test.max_score = max_score;
  test.passed = score == max_score;
  // Output that looks like JSON fields must not confuse the reader.
  test.output = "\"score\": 99,\n\"name\": \"kv: Fake.Test\"";
  return test;
}

TEST(ParseResultsScores, ReadsWhatTheGraderWrites) {
  GradeReport report;
  report.tests = {Result("A.Passes", 2.5, 2.5), Result("A.Fails", 0, 3)};
  report.output = "\"score\": 1000";
  absl::StatusOr<TestScores> scores = ParseResultsScores(ToGradescopeJson(report), "r.json");
  ASSERT_TRUE(scores.ok()) << scores.status();
  EXPECT_THAT(*scores, ElementsAre(Pair("kv: A.Fails", 0), Pair("kv: A.Passes", 2.5)));
  EXPECT_TRUE(ParseResultsScores(ToGradescopeJson(GradeReport()), "r.json")->empty());
  EXPECT_THAT(ParseResultsScores("{}", "r.json").status().message(),
              HasSubstr("r.json: no \"tests\" list"));
}

TEST(ParseTimestamps, HeaderCommentsAndErrors) {
  absl::StatusOr<std::map<std::string, absl::Time>> times = ParseTimestamps(
      "student,submitted_at\n# a comment\nalice, "
      "2026-10-03T01:00:00Z\n\nbob,2026-10-02T20:00:00-04:00\n");
  ASSERT_TRUE(times.ok()) << times.status();
  EXPECT_EQ(times->size(), 2u);
  EXPECT_EQ(times->at("bob"), *ParseDueDate("2026-10-03T00:00:00Z"));
  EXPECT_THAT(ParseTimestamps("alice,yesterday\n").status().message(),
              HasSubstr("timestamps:1: \"yesterday\" is not an RFC 3339 time"));
  EXPECT_THAT(
      ParseTimestamps("a,2026-10-03T01:00:00Z\na,2026-10-03T01:00:00Z\n").status().message(),
      HasSubstr("a is listed twice"));
  EXPECT_FALSE(ParseTimestamps("just-a-name\n").ok());
}

TEST(CsvField, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(CsvField("alice"), "alice");
  EXPECT_EQ(CsvField("grader error, exit 1"), "\"grader error, exit 1\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(FormatGradebook, LatePolicyPerLabAndOneRowPerStudent) {
  absl::StatusOr<Rubric> rubric = ParseRubric(R"(
    lab {
      name: "kv"
      test { target: "//labs/kv:t" gtest: "A.One" points: 4 }
      test { target: "//labs/kv:t" gtest: "A.Two" points: 6 }
      late_policy { due: "2026-10-02T23:59:00Z" penalty_percent_per_day: 10 cutoff_days: 2 }
    })",
                                              "r");
  ASSERT_TRUE(rubric.ok()) << rubric.status();
  const absl::Time due = *ParseDueDate("2026-10-02T23:59:00Z");
  std::vector<StudentRecord> students = {
      {"zoe", "graded", TestScores{{"kv: A.One", 4}, {"kv: A.Two", 6}}, due + absl::Hours(30)},
      {"alice", "graded", TestScores{{"kv: A.One", 4}, {"kv: A.Two", 0}}, due - absl::Hours(1)},
      {"carl", "graded", TestScores{{"kv: A.One", 4}, {"kv: A.Two", 6}}, due + absl::Hours(72)},
      {"bob", "grader error (exit 1)", std::nullopt, std::nullopt},
      {"dana", "graded", TestScores{{"kv: A.One", 4}}, std::nullopt},
  };
  const std::vector<std::string> lines =
      absl::StrSplit(FormatGradebook(*rubric, students), '\n', absl::SkipEmpty());
  EXPECT_THAT(lines,
              ElementsAre("student,status,submitted_at,kv raw,kv days late,kv,kv: A.One,kv: A.Two,"
                          "total",
                          "alice,graded,2026-10-02T22:59:00+00:00,4,0,4,4,0,4",
                          "bob,grader error (exit 1),,,,,,,",
                          "carl,graded,2026-10-05T23:59:00+00:00,10,3 (past cutoff),0,4,6,0",
                          // No timestamp: on time. A test missing from results.json is empty.
                          "dana,graded,,4,0,4,4,,4",
                          // 30 hours late is 2 days: 20% off.
                          "zoe,graded,2026-10-04T05:59:00+00:00,10,2,8,4,6,8"));
}

}  // namespace
}  // namespace auroralab::grader
