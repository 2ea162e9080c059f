// Implementation of results.h.
#include "grader/results.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "labs/framework/json.h"

namespace auroralab::grader {
namespace {

std::string PadRight(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

double TotalScore(const GradeReport& report) {
  double total = 0;
  for (const TestResult& test : report.tests) total += test.score;
  return total;
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "0";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value == 0 ? 0.0 : value);  // no "-0"
  }
  return absl::StrFormat("%.10g", value);
}

std::string StudentVisibleOutput(const TestResult& test) {
  if (!test.hidden) return test.output;
  if (test.passed) return "Hidden test passed.";
  return absl::StrCat("Hidden test failed. Details are withheld from students; instructors: see ",
                      test.log_name.empty() ? std::string("the grader's logs") : test.log_name);
}

std::string ToGradescopeJson(const GradeReport& report) {
  std::string json = "{\n";
  absl::StrAppend(&json, "  \"score\": ", JsonNumber(TotalScore(report)), ",\n");
  absl::StrAppend(&json, "  \"execution_time\": ", report.execution_time_seconds, ",\n");
  absl::StrAppend(&json, "  \"output\": \"", JsonEscape(report.output), "\",\n");
  absl::StrAppend(&json, "  \"visibility\": \"visible\",\n");
  absl::StrAppend(&json, "  \"stdout_visibility\": \"hidden\",\n");
  json += "  \"tests\": [";
  for (size_t i = 0; i < report.tests.size(); ++i) {
    const TestResult& test = report.tests[i];
    absl::StrAppend(&json, i == 0 ? "\n" : ",\n", "    {\n");
    absl::StrAppend(&json, "      \"name\": \"", JsonEscape(test.lab + ": " + test.gtest), "\",\n");
    absl::StrAppend(&json, "      \"score\": ", JsonNumber(test.score), ",\n");
    absl::StrAppend(&json, "      \"max_score\": ", JsonNumber(test.max_score), ",\n");
    absl::StrAppend(&json, "      \"status\": \"", test.passed ? "passed" : "failed", "\",\n");
    absl::StrAppend(&json, "      \"output\": \"", JsonEscape(StudentVisibleOutput(test)), "\",\n");
    absl::StrAppend(&json, "      \"visibility\": \"", JsonEscape(test.visibility), "\"\n");
    json += "    }";
  }
  json += report.tests.empty() ? "]\n" : "\n  ]\n";
  json += "}\n";
  return json;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  // A fresh temp file (mkstemp: O_CREAT | O_EXCL, unpredictable name) next
  // to `path`, then rename over it: nothing planted at a predictable name
  // can redirect the write, and readers never see half a file.
  std::string temp = path + ".XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a temp file next to ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == contents.size() && ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    return absl::DataLossError(absl::StrCat("error writing ", temp));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", temp, " to ", path, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

std::string TailText(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t start = text.size() - max_bytes;
  // Start at a line boundary unless the lines are absurdly long.
  const size_t newline = text.find('\n', start);
  if (newline != std::string::npos && newline + 1 < text.size() &&
      newline - start < max_bytes / 2) {
    start = newline + 1;
  }
  return absl::StrCat("[... ", start, " earlier bytes omitted ...]\n", text.substr(start));
}

std::string FormatPoints(double value) {
  if (!std::isfinite(value)) return "?";
  const double tenths = value * 10;
  if (std::fabs(tenths - std::round(tenths)) < 1e-9) return absl::StrFormat("%.1f", value);
  return absl::StrFormat("%.2f", value);
}

std::string FormatProgressLine(const TestResult& test, double seconds, const std::string& reason,
                               size_t name_width) {
  std::string name = test.gtest;
  if (test.hidden) name += " (hidden)";
  std::string line = absl::StrCat(
      "  [", test.lab, "] ", test.passed ? "PASS  " : "FAIL  ", PadRight(name, name_width), " ",
      PadRight(absl::StrCat(FormatPoints(test.score), "/", FormatPoints(test.max_score)), 9), " ",
      absl::StrFormat("%.1fs", seconds));
  if (!test.passed && !reason.empty()) absl::StrAppend(&line, "  ", reason);
  return line;
}

std::string FormatSummaryTable(const std::vector<LabSummary>& labs) {
  size_t width = 5;  // "Total"
  for (const LabSummary& lab : labs) {
    width = std::max(width, (lab.title.empty() ? lab.name : lab.title).size());
  }
  width += 2;
  std::string table = absl::StrCat(PadRight("Lab", width), "Points\n");
  double score = 0;
  double max_score = 0;
  for (const LabSummary& lab : labs) {
    std::string points = absl::StrCat(FormatPoints(lab.score), "/", FormatPoints(lab.max_score));
    absl::StrAppend(&table, PadRight(lab.title.empty() ? lab.name : lab.title, width),
                    lab.note.empty() ? points : PadRight(points, 12), lab.note.empty() ? "" : "  ",
                    lab.note, "\n");
    score += lab.score;
    max_score += lab.max_score;
  }
  absl::StrAppend(&table, std::string(width + 12, '-'), "\n", PadRight("Total", width),
                  FormatPoints(score), "/", FormatPoints(max_score), "\n");
  return table;
}

std::string FormatStudentSummaryTable(const std::vector<LabSummary>& labs,
                                      const std::vector<TestResult>& tests) {
  std::vector<LabSummary> shown = labs;
  for (LabSummary& lab : shown) {
    int held_back = 0;
    double held_back_points = 0;
    for (const TestResult& test : tests) {
      if (test.lab != lab.name || test.visibility == "visible") continue;
      ++held_back;
      held_back_points += test.max_score;
      lab.score -= test.score;
      lab.max_score -= test.max_score;
    }
    if (held_back == 0) continue;
    const std::string note =
        absl::StrCat("+ ", held_back, held_back == 1 ? " test" : " tests", " (",
                     FormatPoints(held_back_points), " points) shown later");
    lab.note = lab.note.empty() ? note : absl::StrCat(lab.note, "; ", note);
  }
  return FormatSummaryTable(shown);
}

}  // namespace auroralab::grader
