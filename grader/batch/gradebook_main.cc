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
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grader/batch/gradebook.h"
#include "grader/results.h"
#include "grader/rubric.h"
#include "grader/tool_flags.h"

namespace {

namespace fs = std::filesystem;
using namespace auroralab::grader;  // NOLINT: a small main

constexpr char kUsage[] =
    "usage: gradebook --rubric=FILE --students=DIR [--timestamps=CSV] --out=FILE";

int Fail(const std::string& message) {
  std::fprintf(stderr, "gradebook: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<std::map<std::string, std::string>> flags =
      ParseToolFlags(argc, argv,
                     {{.name = "--rubric", .required = true},
                      {.name = "--students", .required = true},
                      {.name = "--timestamps"},
                      {.name = "--out", .required = true}});
  if (!flags.ok()) return Fail(absl::StrCat(flags.status().message(), "\n", kUsage));
  const std::string students_dir = flags->at("--students");
  const std::string out = flags->at("--out");
  absl::StatusOr<Rubric> rubric = LoadRubric(flags->at("--rubric"));
  if (!rubric.ok()) return Fail(std::string(rubric.status().message()));
  std::map<std::string, absl::Time> timestamps;
  if (auto path = flags->find("--timestamps"); path != flags->end()) {
    const std::string& timestamps_path = path->second;
    absl::StatusOr<std::string> text = ReadWholeFile(timestamps_path);
    if (!text.ok()) return Fail(std::string(text.status().message()));
    absl::StatusOr<std::map<std::string, absl::Time>> parsed = ParseTimestamps(*text);
    if (!parsed.ok()) return Fail(absl::StrCat(timestamps_path, ": ", parsed.status().message()));
    timestamps = *parsed;
  }

  std::vector<StudentRecord> records;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(students_dir, error)) {
    if (!entry.is_directory()) continue;
    StudentRecord record;
    record.student = entry.path().filename().string();
    absl::StatusOr<std::string> status = ReadWholeFile((entry.path() / "status").string());
    record.status = status.ok() ? std::string(absl::StripAsciiWhitespace(*status))
                                : std::string("not graded yet");
    if (record.status == "graded") {
      const std::string results = (entry.path() / "results.json").string();
      absl::StatusOr<std::string> json = ReadWholeFile(results);
      if (!json.ok()) return Fail(std::string(json.status().message()));
      absl::StatusOr<TestScores> scores = ParseResultsScores(*json, results);
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
