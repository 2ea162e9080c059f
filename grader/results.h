// Grading results: the Gradescope results.json and the console rendering.
//
// Contract: ToGradescopeJson always yields valid JSON (UTF-8, every string
// escaped, invalid UTF-8 from student output replaced by U+FFFD, scores as
// JSON numbers) in the shape Gradescope reads:
//   {"score", "execution_time", "output", "visibility": "visible",
//    "stdout_visibility": "hidden",
//    "tests": [{"name", "score", "max_score", "status", "output", "visibility"}]}
// Each test's "visibility" is the rubric's (visible, after_due_date,
// after_published, hidden). Hidden tests keep their name and score but never
// their details. The console
// helpers only format strings; printing is the caller's business.
#ifndef AURORALAB_GRADER_RESULTS_H_
#define AURORALAB_GRADER_RESULTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace auroralab::grader {

// How much of a visible test's log goes into results.json.
inline constexpr size_t kMaxTestOutputBytes = 8 * 1024;

struct TestResult {
  std::string lab;    // Lab.name
  std::string gtest;  // "Suite.Name"
  double score = 0;
  double max_score = 0;
  bool passed = false;
  bool hidden = false;
  // Gradescope's visibility of this result: "visible", "after_due_date",
  // "after_published" or "hidden" (rubric.h VisibilityName).
  std::string visibility = "visible";
  // Student-facing details for visible tests: why it failed and the log tail.
  std::string output;
  // Log file relative to the output dir, e.g. "logs/quorum_kv/Suite.Name.log";
  // quoted in the hidden-test message for instructors.
  std::string log_name;
};

// One row of the final table.
struct LabSummary {
  std::string name;
  std::string title;
  double score = 0;
  double max_score = 0;
  std::string note;  // e.g. "build failed", "2 hidden tests not run"
};

struct GradeReport {
  std::vector<TestResult> tests;
  std::string output;  // top-level summary shown to students
  int execution_time_seconds = 0;
};

double TotalScore(const GradeReport& report);

// A JSON number for a score: integers without a fraction ("2"), others with
// up to 10 significant digits ("2.5"); NaN/inf become 0.
std::string JsonNumber(double value);

// What results.json shows for a test: the details, or the hidden-test text.
std::string StudentVisibleOutput(const TestResult& test);

std::string ToGradescopeJson(const GradeReport& report);

// Writes `json` to `path` atomically (temp file + rename), so Gradescope
// never reads half a file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents);

// The last ~max_bytes of `text`, starting at a line boundary, with a marker
// line when something was cut.
std::string TailText(const std::string& text, size_t max_bytes);

// Points as shown to people: "2.0", "0.25".
std::string FormatPoints(double value);

// "  [quorum_kv] PASS  QuorumKvPartA.PutThenGet            2.0/2.0  0.4s"
// followed by "  <reason>" for failures. The name column is `name_width`
// wide so that a run's lines align.
std::string FormatProgressLine(const TestResult& test, double seconds, const std::string& reason,
                               size_t name_width = 38);

// The final per-lab table with a total row.
std::string FormatSummaryTable(const std::vector<LabSummary>& labs);

// The table for results.json's top-level output, which students always see:
// like FormatSummaryTable, but when some tests are not "visible" their
// points are left out of the scores and named in a note instead, so the
// table does not reveal results the rubric holds back.
std::string FormatStudentSummaryTable(const std::vector<LabSummary>& labs,
                                      const std::vector<TestResult>& tests);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_RESULTS_H_
