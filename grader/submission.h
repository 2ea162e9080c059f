// Turning a student's submission (a folder or a .zip) into a workspace to
// grade: a copy of the course tree with the student's files dropped in.
//
// Contract: only the files the rubric names as student files of the graded
// labs are ever taken from a submission; everything else in it is reported
// as ignored, so a submission cannot replace tests, BUILD files or the
// grader. A submitted file is found by its repo-relative path (also inside a
// top-level folder, as zips often have), else by its base name anywhere; a
// lookup that could mean two things is an error, never a guess. Planning is
// pure (PlanSubmission); the functions around it do the file system work.
#ifndef AURORALAB_GRADER_SUBMISSION_H_
#define AURORALAB_GRADER_SUBMISSION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace auroralab::grader {

struct FileCopy {
  std::string student_file;  // repo-relative destination
  std::string submitted;     // path relative to the submission root
};

struct FileError {
  std::string student_file;
  std::string message;
};

struct SubmissionPlan {
  std::vector<FileCopy> copies;
  std::vector<std::string> missing;  // student files not submitted: skeleton kept
  std::vector<FileError> errors;     // ambiguous lookups: the student file's lab fails
  std::vector<std::string> ignored;  // submitted files that are not student files
};

// Matches `submitted` (paths relative to the submission root, '/'-separated)
// against `student_files` (repo-relative). macOS archive litter (__MACOSX/,
// .DS_Store) is dropped silently; everything else unused is `ignored`.
SubmissionPlan PlanSubmission(const std::vector<std::string>& submitted,
                              const std::vector<std::string>& student_files);

// Regular files under `dir`, relative and sorted. Symlinks are not followed
// or listed: a submission contributes file contents only. InvalidArgument
// beyond kMaxZipEntries files.
absl::StatusOr<std::vector<std::string>> ListSubmittedFiles(const std::string& dir);

// Limits on what a submission may contain.
inline constexpr size_t kMaxZipBytes = 64 << 20;           // the .zip file itself
inline constexpr size_t kMaxZipEntries = 10000;            // entries in the archive
inline constexpr uint64_t kMaxZipTotalBytes = 512 << 20;   // declared, unpacked, all entries
inline constexpr uint64_t kMaxStudentFileBytes = 1 << 20;  // one student file

struct ZipEntry {
  std::string name;   // as stored, '/'-separated
  uint64_t size = 0;  // declared uncompressed size
  bool directory = false;
};

// Reads a zip's central directory without extracting anything and refuses
// (InvalidArgument, with the entry named) archives that are not plain:
// more than kMaxZipEntries entries, more than kMaxZipTotalBytes declared,
// symlinks or other special files, duplicate names, absolute or ".." paths,
// names with control or wildcard characters, encryption, ZIP64.
absl::StatusOr<std::vector<ZipEntry>> ScanZip(const std::string& zip_path);

// Extracts exactly the regular-file entries `names` (from ScanZip) of
// `zip_path` into the fresh directory `dest` with `unzip`, each file limited
// to kMaxStudentFileBytes whatever its header claims; unzip's messages go to
// a new file in `scratch_dir`. InvalidArgument: the archive is unusable (the
// student's problem); any other error is the grader's (no unzip, Ctrl-C).
absl::Status ExtractZipEntries(const std::string& zip_path, const std::vector<std::string>& names,
                               const std::string& dest, const std::string& scratch_dir);

// Removes everything inside `dir` (creating it if needed), keeping `dir`.
absl::Status ClearDirectory(const std::string& dir);

// What of the course tree is staged for grading a submission: what the
// student handout ships that a build needs, plus the hidden tests, the
// verdict listener and the rubric. Never solution/, grader/mutants/, the
// grader's own sources, docs, .git or Bazel's output links.
const std::vector<std::string>& StagedPaths();

// Copies the StagedPaths() of the course tree `root` that exist into `to`,
// keeping symlinks as symlinks.
absl::Status StageCourseTree(const std::string& root, const std::string& to);

// Copies the planned files from `submission_dir` into `workspace`.
// InvalidArgument: a planned file is larger than kMaxStudentFileBytes or is
// not a regular file.
absl::Status ApplySubmission(const SubmissionPlan& plan, const std::string& submission_dir,
                             const std::string& workspace);

// $HOME/.cache/auroralab/grade-workspace: fixed, so that Bazel's output base
// and server (keyed by the workspace path) are reused from run to run.
std::string DefaultStagingDir();

// Holds an exclusive lock on `<dir>.lock` for the lifetime of the object, so
// two grader runs do not stage into the same directory at once. A lock dies
// with the process that held it, so a crashed job never blocks the next.
class StagingLock {
 public:
  // Waits up to `timeout_seconds` for the lock (printing a note if it has to
  // wait); DeadlineExceeded after that.
  static absl::StatusOr<StagingLock> Acquire(const std::string& dir, int timeout_seconds);
  StagingLock(StagingLock&& other) noexcept;
  StagingLock& operator=(StagingLock&&) = delete;
  StagingLock(const StagingLock&) = delete;
  ~StagingLock();

 private:
  explicit StagingLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_SUBMISSION_H_
