// Tests for the trace viewer page writer (trace_view.h): the page embeds the
// trace as data that cannot break out of its script element, links the
// run's other files by name, is the same for the same input, and refuses
// input that is not a trace. What the page draws is tested in a real browser
// by trace_view_browser_test.sh.
#include "labs/framework/trace_view.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr char kTrace[] =
    R"({"t_us":0,"kind":"log","node":"world","detail":"</script><script>alert(1)</script>"})"
    "\n\n"
    R"({"t_us":5,"kind":"send","node":"c0","peer":"r0","id":1,"rpc":"request","detail":"Kv.Get"})"
    "\n";

TEST(TraceView, EmbedsTheEventsAsOneArrayThatCannotEndTheScript) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/view.html";
  ASSERT_TRUE(WriteTraceViewHtml(path, kTrace, {.title = "T<1>"}).ok());
  const std::string html = ReadFile(path);
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  // Both events, in order, as one JSON array; the empty line is gone.
  EXPECT_THAT(html, HasSubstr("[\n{\"t_us\":0,"));
  EXPECT_THAT(html, HasSubstr("\\u003c/script>\"},\n{\"t_us\":5,"));
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr(R"({"title":"T\u003c1>"})"));
  // Self-contained: nothing loaded from elsewhere.
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("http")));
  // The same input gives the same page.
  ASSERT_TRUE(WriteTraceViewHtml(dir + "/again.html", kTrace, {.title = "T<1>"}).ok());
  EXPECT_EQ(ReadFile(dir + "/again.html"), html);
}

TEST(TraceView, LinksTheRunsOtherFilesByNameWhenTheyAreNextToIt) {
  const std::string dir = ::testing::TempDir();
  const std::string trace = dir + "/T.seed2.trace.jsonl";
  {
    std::ofstream out(trace);
    out << kTrace;
  }
  ASSERT_TRUE(
      WriteTraceViewHtmlFromFile(trace, dir + "/T.seed2.trace.html",
                                 {.linearizability_page = dir + "/T.seed2.linearizability.html"})
          .ok());
  EXPECT_THAT(ReadFile(dir + "/T.seed2.trace.html"),
              HasSubstr(R"("linearizability":"T.seed2.linearizability.html",)"
                        R"("jsonl":"T.seed2.trace.jsonl"})"));
  EXPECT_EQ(RelativeLink("/a/page.html", "/b/other.html"), "/b/other.html");
  EXPECT_EQ(RelativeLink("page.html", "other.html"), "other.html");
}

TEST(TraceView, RefusesWhatIsNotATrace) {
  const std::string dir = ::testing::TempDir();
  const absl::Status junk =
      WriteTraceViewHtml(dir + "/junk.html", "{\"kind\":\"log\"}\nhello\n", {});
  EXPECT_EQ(junk.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(junk.message(), HasSubstr("line 2 is not a trace event"));
  EXPECT_EQ(WriteTraceViewHtmlFromFile(dir + "/missing.jsonl", dir + "/x.html", {}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(WriteTraceViewHtml("/nonexistent-dir/x.html", kTrace, {}).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace auroralab
