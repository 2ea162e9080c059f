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
// or listed: a submission contributes file contents only.
absl::StatusOr<std::vector<std::string>> ListSubmittedFiles(const std::string& dir);

// Extracts `zip_path` into the existing directory `dest` with `unzip -q`.
// InvalidArgument: the archive itself is unusable (the student's problem);
// any other error is the grader's (no unzip, Ctrl-C).
absl::Status ExtractZip(const std::string& zip_path, const std::string& dest);

// Removes everything inside `dir` (creating it if needed), keeping `dir`.
absl::Status ClearDirectory(const std::string& dir);

// Copies the course tree `from` into `to`, keeping symlinks as symlinks and
// skipping top-level bazel-* links, .git and grade-out, plus any path in
// `also_skip` (absolute, e.g. an --out dir inside the tree).
absl::Status CopyCourseTree(const std::string& from, const std::string& to,
                            const std::vector<std::string>& also_skip);

// Copies the planned files from `submission_dir` into `workspace`.
absl::Status ApplySubmission(const SubmissionPlan& plan, const std::string& submission_dir,
                             const std::string& workspace);

// $HOME/.cache/auroralab/grade-workspace: fixed, so that Bazel's output base
// and server (keyed by the workspace path) are reused from run to run.
std::string DefaultStagingDir();

// Holds an exclusive lock on `<dir>.lock` for the lifetime of the object, so
// two grader runs do not stage into the same directory at once.
class StagingLock {
 public:
  // Blocks until the lock is free; prints a note if it has to wait.
  static absl::StatusOr<StagingLock> Acquire(const std::string& dir);
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
