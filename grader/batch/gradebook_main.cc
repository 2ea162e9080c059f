// gradebook: writes the gradebook CSV of a batch grading run (batch.sh).
//
//   gradebook --rubric=FILE --students=DIR [--timestamps=CSV] --out=FILE
//
// DIR holds one folder per student; a folder's `status` file says how its
// grading ended ("graded" or the grader's failure) and, when graded, its
// results.json holds the scores. Exit status: 0 written, 2 for usage errors
// and unreadable or malformed inputs (the message names the file).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grader/batch/gradebook.h"
#include "grader/results.h"
#include "grader/rubric.h"

namespace {

namespace fs = std::filesystem;
using namespace auroralab::grader;  // NOLINT: a small main

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  return !in.bad();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "gradebook: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string rubric_path, students_dir, timestamps_path, out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : arg.substr(equals + 1);
    if (name == "--rubric") {
      rubric_path = value;
    } else if (name == "--students") {
      students_dir = value;
    } else if (name == "--timestamps") {
      timestamps_path = value;
    } else if (name == "--out") {
      out = value;
    } else {
      return Fail(absl::StrCat("unknown argument ", arg));
    }
  }
  if (rubric_path.empty() || students_dir.empty() || out.empty()) {
    return Fail("usage: gradebook --rubric=FILE --students=DIR [--timestamps=CSV] --out=FILE");
  }
  absl::StatusOr<Rubric> rubric = LoadRubric(rubric_path);
  if (!rubric.ok()) return Fail(std::string(rubric.status().message()));
  std::map<std::string, absl::Time> timestamps;
  if (!timestamps_path.empty()) {
    std::string text;
    if (!ReadFile(timestamps_path, &text)) return Fail("cannot read " + timestamps_path);
    absl::StatusOr<std::map<std::string, absl::Time>> parsed = ParseTimestamps(text);
    if (!parsed.ok()) return Fail(absl::StrCat(timestamps_path, ": ", parsed.status().message()));
    timestamps = *parsed;
  }

  std::vector<StudentRecord> records;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(students_dir, error)) {
    if (!entry.is_directory()) continue;
    StudentRecord record;
    record.student = entry.path().filename().string();
    std::string status;
    if (!ReadFile((entry.path() / "status").string(), &status)) status = "not graded yet";
    record.status = std::string(absl::StripAsciiWhitespace(status));
    if (record.status == "graded") {
      const std::string results = (entry.path() / "results.json").string();
      std::string json;
      if (!ReadFile(results, &json)) return Fail("cannot read " + results);
      absl::StatusOr<TestScores> scores = ParseResultsScores(json, results);
      if (!scores.ok()) return Fail(std::string(scores.status().message()));
      record.scores = *scores;
    }
    if (auto time = timestamps.find(record.student); time != timestamps.end()) {
      record.submitted_at = time->second;
    }
    records.push_back(std::move(record));
  }
  if (error) return Fail(absl::StrCat("cannot list ", students_dir, ": ", error.message()));
  for (const auto& [student, time] : timestamps) {
    if (!fs::is_directory(fs::path(students_dir) / student)) {
      std::fprintf(stderr, "gradebook: warning: %s has a timestamp but no submission\n",
                   student.c_str());
    }
  }
  if (absl::Status written = WriteFileAtomically(out, FormatGradebook(*rubric, records));
      !written.ok()) {
    return Fail(std::string(written.message()));
  }
  std::printf("gradebook: %zu students -> %s\n", records.size(), out.c_str());
  return 0;
}
