// Implementation of results.h.
#include "grader/results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace auroralab::grader {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if invalid.
// Rejects overlong forms, surrogates and code points above U+10FFFF, which
// strict JSON parsers refuse.
size_t Utf8SequenceLength(const std::string& text, size_t i) {
  const auto byte = [&text](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  size_t length = 0;
  uint32_t code_point = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
    code_point = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    code_point = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    code_point = c & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  if (length == 3 && (code_point < 0x800 || (code_point >= 0xD800 && code_point <= 0xDFFF))) {
    return 0;
  }
  if (length == 4 && (code_point < 0x10000 || code_point > 0x10FFFF)) return 0;
  return length;
}

// JSON's two-character escapes, or nullptr.
const char* ShortEscape(unsigned char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    default:
      return nullptr;
  }
}

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

std::string JsonEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (const char* escape = ShortEscape(c); escape != nullptr) {
      out += escape;
      ++i;
      continue;
    }
    if (c < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
      ++i;
      continue;
    }
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += "\\ufffd";  // Student output may be arbitrary bytes.
      ++i;
      continue;
    }
    out.append(text, i, length);
    i += length;
  }
  return out;
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
    absl::StrAppend(&json, "      \"visibility\": \"visible\"\n");
    json += "    }";
  }
  json += report.tests.empty() ? "]\n" : "\n  ]\n";
  json += "}\n";
  return json;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", temp));
    out << contents;
    out.flush();
    if (!out) return absl::DataLossError(absl::StrCat("error writing ", temp));
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", temp, " to ", path, ": ", error.message()));
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

}  // namespace auroralab::grader
