// Tests of results.h: JSON escaping, the results.json fields, hidden-test
// output, and the console formatting.
#include "grader/results.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The raw JSON text after `"key": ` within `json`, up to the next ',' or
// newline: enough to check a field without a JSON parser.
std::string FieldAfter(const std::string& json, const std::string& key, size_t from = 0) {
  const std::string needle = "\"" + key + "\": ";
  const size_t at = json.find(needle, from);
  if (at == std::string::npos) return "<missing " + key + ">";
  const size_t start = at + needle.size();
  size_t end = start;
  if (json[start] == '"') {
    end = start + 1;
    while (end < json.size() && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
    return json.substr(start, end + 1 - start);
  }
  while (end < json.size() && json[end] != ',' && json[end] != '\n') ++end;
  return json.substr(start, end - start);
}

TestResult MakeTest(const std::string& gtest, bool passed, double points, bool hidden) {
  TestResult test;
  test.lab = "quorum_kv";
  test.gtest = gtest;
  test.max_score = points;
  test.score = passed ? points : 0;
  test.passed = passed;
  test.hidden = hidden;
  test.output = "seed 3 failed\nreplay: ./lab test //labs/quorum_kv:quorum_kv_test --seed=3";
  test.log_name = "logs/quorum_kv/" + gtest + ".log";
  return test;
}

TEST(JsonNumber, IntegersAndFractions) {
  EXPECT_EQ(JsonNumber(2), "2");
  EXPECT_EQ(JsonNumber(0), "0");
  EXPECT_EQ(JsonNumber(-0.0), "0");
  EXPECT_EQ(JsonNumber(2.5), "2.5");
  EXPECT_EQ(JsonNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(JsonNumber(1.0 / 0.0), "0");
}

TEST(GradescopeJson, TopLevelFields) {
  GradeReport report;
  report.tests = {MakeTest("A.Passes", true, 2, false), MakeTest("A.Fails", false, 3.5, false),
                  MakeTest("H.Passes", true, 1.5, true)};
  report.output = "Lab 1: \"Quorum\" KV  3.5/7.0";
  report.execution_time_seconds = 42;
  const std::string json = ToGradescopeJson(report);
  EXPECT_EQ(FieldAfter(json, "score"), "3.5");
  EXPECT_EQ(FieldAfter(json, "execution_time"), "42");
  EXPECT_EQ(FieldAfter(json, "output"), "\"Lab 1: \\\"Quorum\\\" KV  3.5/7.0\"");
  EXPECT_EQ(FieldAfter(json, "visibility"), "\"visible\"");
  EXPECT_EQ(FieldAfter(json, "stdout_visibility"), "\"hidden\"");
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 2), "}\n");
}

TEST(GradescopeJson, TestEntries) {
  GradeReport report;
  report.tests = {MakeTest("A.Passes", true, 2, false), MakeTest("A.Fails", false, 3.5, false)};
  const std::string json = ToGradescopeJson(report);
  const size_t first = json.find("\"name\": \"quorum_kv: A.Passes\"");
  const size_t second = json.find("\"name\": \"quorum_kv: A.Fails\"");
  ASSERT_NE(first, std::string::npos) << json;
  ASSERT_NE(second, std::string::npos) << json;
  EXPECT_LT(first, second);  // rubric order
  EXPECT_EQ(FieldAfter(json, "score", first), "2");
  EXPECT_EQ(FieldAfter(json, "max_score", first), "2");
  EXPECT_EQ(FieldAfter(json, "status", first), "\"passed\"");
  EXPECT_EQ(FieldAfter(json, "visibility", first), "\"visible\"");
  EXPECT_EQ(FieldAfter(json, "score", second), "0");
  EXPECT_EQ(FieldAfter(json, "max_score", second), "3.5");
  EXPECT_EQ(FieldAfter(json, "status", second), "\"failed\"");
  EXPECT_EQ(FieldAfter(json, "output", second),
            "\"seed 3 failed\\nreplay: ./lab test //labs/quorum_kv:quorum_kv_test --seed=3\"");
}

TEST(GradescopeJson, HiddenTestsWithholdDetails) {
  GradeReport report;
  report.tests = {MakeTest("H.Passes", true, 1, true), MakeTest("H.Fails", false, 1, true)};
  const std::string json = ToGradescopeJson(report);
  EXPECT_THAT(json, Not(HasSubstr("replay")));
  EXPECT_THAT(json, HasSubstr("\"output\": \"Hidden test passed.\""));
  EXPECT_THAT(json, HasSubstr("Hidden test failed. Details are withheld from students; "
                              "instructors: see logs/quorum_kv/H.Fails.log"));
  EXPECT_EQ(FieldAfter(json, "visibility", json.find("H.Fails")), "\"visible\"");
}

TEST(GradescopeJson, EmptyReport) {
  GradeReport report;
  report.output = "Grading failed: the rubric is invalid";
  const std::string json = ToGradescopeJson(report);
  EXPECT_EQ(FieldAfter(json, "score"), "0");
  EXPECT_THAT(json, HasSubstr("\"tests\": []"));
  EXPECT_THAT(json, HasSubstr("Grading failed"));
}

TEST(WriteFileAtomically, WritesAndReplaces) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/results.json");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "{}\n").ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "{}\n");
  EXPECT_FALSE(WriteFileAtomically("/nonexistent/dir/results.json", "x").ok());
}

TEST(TailText, KeepsShortTextAndCutsAtALineBoundary) {
  EXPECT_EQ(TailText("short", 100), "short");
  std::string text;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&text, "line ", i, "\n");
  const std::string tail = TailText(text, 50);
  EXPECT_THAT(tail, HasSubstr("earlier bytes omitted"));
  EXPECT_THAT(tail, HasSubstr("line 99\n"));
  EXPECT_THAT(tail, Not(HasSubstr("line 1\n")));
  // After the marker, the tail starts at a whole line.
  EXPECT_EQ(tail.substr(tail.find("]\n") + 2, 5), "line ");
}

TEST(Console, ProgressLine) {
  TestResult test = MakeTest("QuorumKvPartA.PutThenGet", true, 2, false);
  EXPECT_EQ(FormatProgressLine(test, 0.43, ""),
            "  [quorum_kv] PASS  QuorumKvPartA.PutThenGet               2.0/2.0   0.4s");
  test = MakeTest("QuorumKvHidden.Stress", false, 2, true);
  const std::string line = FormatProgressLine(test, 2.0, "timed out after 2s");
  EXPECT_THAT(line, HasSubstr("FAIL  QuorumKvHidden.Stress (hidden)"));
  EXPECT_THAT(line, HasSubstr("0.0/2.0"));
  EXPECT_THAT(line, HasSubstr("2.0s  timed out after 2s"));
}

TEST(Console, SummaryTable) {
  const std::string table =
      FormatSummaryTable({{"quorum_kv", "Lab 1: Quorum KV", 8, 10, ""},
                          {"storage", "Lab 2: Storage", 0, 5.5, "build failed"}});
  EXPECT_THAT(table, HasSubstr("Lab 1: Quorum KV  8.0/10.0\n"));
  EXPECT_THAT(table, HasSubstr("Lab 2: Storage    0.0/5.5       build failed\n"));
  EXPECT_THAT(table, HasSubstr("Total             8.0/15.5\n"));
  EXPECT_THAT(FormatSummaryTable({}), HasSubstr("Total  0.0/0.0"));
  EXPECT_EQ(FormatPoints(0.25), "0.25");
}

TEST(GradescopeJson, EachTestCarriesItsVisibility) {
  GradeReport report;
  report.tests = {MakeTest("A.Passes", true, 2, false), MakeTest("H.Fails", false, 3, true)};
  report.tests[1].visibility = "after_due_date";
  const std::string json = ToGradescopeJson(report);
  const size_t hidden_entry = json.find("\"name\": \"quorum_kv: H.Fails\"");
  ASSERT_NE(hidden_entry, std::string::npos);
  EXPECT_EQ(FieldAfter(json.substr(json.find("\"name\": \"quorum_kv: A.Passes\"")), "visibility"),
            "\"visible\"");
  EXPECT_EQ(FieldAfter(json.substr(hidden_entry), "visibility"), "\"after_due_date\"");
}

TEST(Console, StudentTableLeavesOutResultsShownLater) {
  std::vector<TestResult> tests = {MakeTest("A.Passes", true, 2, false),
                                   MakeTest("H.Passes", true, 3, true),
                                   MakeTest("H.Fails", false, 5, true)};
  tests[1].visibility = "after_due_date";
  tests[2].visibility = "hidden";
  const std::vector<LabSummary> labs = {{"quorum_kv", "Lab 1: Quorum KV", 5, 10, ""}};
  const std::string table = FormatStudentSummaryTable(labs, tests);
  EXPECT_THAT(table,
              HasSubstr("Lab 1: Quorum KV  2.0/2.0       + 2 tests (8.0 points) shown later"));
  EXPECT_THAT(table, HasSubstr("Total             2.0/2.0\n"));
  // With every test visible it is the plain table.
  for (TestResult& test : tests) test.visibility = "visible";
  EXPECT_EQ(FormatStudentSummaryTable(labs, tests), FormatSummaryTable(labs));
}

}  // namespace
}  // namespace auroralab::grader
