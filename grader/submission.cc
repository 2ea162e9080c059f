// Implementation of submission.h.
#include "grader/submission.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/runner.h"

namespace auroralab::grader {
namespace fs = std::filesystem;
namespace {

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool EndsWithPath(const std::string& path, const std::string& suffix) {
  return path.size() > suffix.size() &&
         path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         path[path.size() - suffix.size() - 1] == '/';
}

bool IsArchiveLitter(const std::string& path) {
  return path.rfind("__MACOSX/", 0) == 0 || Basename(path) == ".DS_Store";
}

std::string Quoted(const std::vector<std::string>& paths) { return absl::StrJoin(paths, ", "); }

}  // namespace

SubmissionPlan PlanSubmission(const std::vector<std::string>& submitted_in,
                              const std::vector<std::string>& student_files) {
  std::vector<std::string> submitted;
  for (const std::string& path : submitted_in) {
    if (!IsArchiveLitter(path)) submitted.push_back(path);
  }

  SubmissionPlan plan;
  std::map<std::string, std::string> match;  // student file -> submitted path
  std::set<std::string> used;                // submitted paths matched or ambiguous
  std::set<std::string> failed;              // student files with an error

  // Pass 1: by path, exact or under a top-level folder ("myzip/skeleton/x.cc").
  for (const std::string& student : student_files) {
    std::vector<std::string> exact;
    std::vector<std::string> nested;
    for (const std::string& path : submitted) {
      if (path == student) exact.push_back(path);
      if (EndsWithPath(path, student)) nested.push_back(path);
    }
    if (!exact.empty()) {
      match[student] = exact.front();
    } else if (nested.size() == 1) {
      match[student] = nested.front();
    } else if (nested.size() > 1) {
      plan.errors.push_back(
          {student, absl::StrCat("ambiguous submission: ", student,
                                 " was submitted more than once (", Quoted(nested), ")")});
      failed.insert(student);
      used.insert(nested.begin(), nested.end());
    }
  }
  for (const auto& [student, path] : match) used.insert(path);

  // Pass 2: by base name, among files not already taken by a path match. A
  // base name shared by two student files (a client.cc in two labs) cannot
  // say which one it is.
  std::map<std::string, std::vector<std::string>> students_by_basename;
  for (const std::string& student : student_files) {
    students_by_basename[Basename(student)].push_back(student);
  }
  for (const std::string& student : student_files) {
    if (match.count(student) > 0 || failed.count(student) > 0) continue;
    const std::string base = Basename(student);
    std::vector<std::string> candidates;
    for (const std::string& path : submitted) {
      if (Basename(path) == base && used.count(path) == 0) candidates.push_back(path);
    }
    if (candidates.empty()) continue;
    const std::vector<std::string>& namesakes = students_by_basename[base];
    if (candidates.size() > 1) {
      plan.errors.push_back(
          {student,
           absl::StrCat("ambiguous submission: several files named ", base, " (",
                        Quoted(candidates), "); submit only one, or place it at ", student)});
    } else if (namesakes.size() > 1) {
      plan.errors.push_back(
          {student, absl::StrCat("ambiguous submission: ", candidates.front(), " could be any of ",
                                 Quoted(namesakes), "; submit it under its full path ", student)});
    } else {
      match[student] = candidates.front();
      continue;
    }
    failed.insert(student);
  }
  // Ambiguous candidates are reported with the error, not as "ignored".
  for (const FileError& error : plan.errors) {
    for (const std::string& path : submitted) {
      if (Basename(path) == Basename(error.student_file)) used.insert(path);
    }
  }

  for (const std::string& student : student_files) {
    if (auto it = match.find(student); it != match.end()) {
      plan.copies.push_back({student, it->second});
      used.insert(it->second);
    } else if (failed.count(student) == 0) {
      plan.missing.push_back(student);
    }
  }
  for (const std::string& path : submitted) {
    if (used.count(path) == 0) plan.ignored.push_back(path);
  }
  return plan;
}

absl::StatusOr<std::vector<std::string>> ListSubmittedFiles(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("submission ", dir, " is not a directory"));
  }
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot read ", dir, ": ", error.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    const fs::file_status status = it->symlink_status(error);
    if (!error && fs::is_regular_file(status)) {
      files.push_back(fs::relative(it->path(), dir).generic_string());
    }
  }
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot read ", dir, ": ", error.message()));
  std::sort(files.begin(), files.end());
  return files;
}

absl::Status ExtractZip(const std::string& zip_path, const std::string& dest) {
  const std::string log = (fs::path(dest) / ".unzip.log").string();
  ProcessSpec spec;
  // -o: no interactive questions; unzip already refuses "../" paths.
  spec.argv = {"unzip", "-q", "-o", zip_path, "-d", dest};
  spec.stdout_path = log;
  spec.timeout_seconds = 300;
  absl::StatusOr<ProcessResult> result = RunProcess(spec);
  const std::string output = ReadFileTail(log, 4096);
  std::error_code error;
  fs::remove(log, error);
  if (!result.ok()) return result.status();
  if (result->interrupted)
    return absl::CancelledError("interrupted while unpacking the submission");
  // unzip exits 1 for warnings (files were still extracted).
  if (!result->exited || result->exit_code > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot extract ", zip_path, " (is it a .zip?): ", output));
  }
  return absl::OkStatus();
}

absl::Status ClearDirectory(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    fs::remove_all(entry.path(), error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot remove ", entry.path().string(), ": ", error.message()));
    }
  }
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", error.message()));
  return absl::OkStatus();
}

namespace {

absl::Status CopyRecursive(const fs::path& from, const fs::path& to,
                           const std::set<fs::path>& skip) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(from, error)) {
    if (skip.count(entry.path()) > 0) continue;
    const fs::path target = to / entry.path().filename();
    const fs::file_status status = entry.symlink_status(error);
    if (error) break;
    if (fs::is_symlink(status)) {
      fs::copy_symlink(entry.path(), target, error);
    } else if (fs::is_directory(status)) {
      fs::create_directory(target, error);
      if (!error) {
        if (absl::Status copied = CopyRecursive(entry.path(), target, skip); !copied.ok()) {
          return copied;
        }
      }
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing, error);
    }
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot copy ", entry.path().string(), ": ", error.message()));
    }
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot copy ", from.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CopyCourseTree(const std::string& from, const std::string& to,
                            const std::vector<std::string>& also_skip) {
  std::error_code error;
  const fs::path root = fs::absolute(from, error).lexically_normal();
  std::set<fs::path> skip;
  for (const std::string& path : also_skip) {
    skip.insert(fs::absolute(path, error).lexically_normal());
  }
  skip.insert(root / ".git");
  skip.insert(root / "grade-out");
  for (const fs::directory_entry& entry : fs::directory_iterator(root, error)) {
    // Bazel's convenience links point into its output base: never copy them.
    if (entry.path().filename().string().rfind("bazel-", 0) == 0) skip.insert(entry.path());
  }
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot read ", from, ": ", error.message()));
  fs::create_directories(to, error);
  return CopyRecursive(root, fs::absolute(to, error).lexically_normal(), skip);
}

absl::Status ApplySubmission(const SubmissionPlan& plan, const std::string& submission_dir,
                             const std::string& workspace) {
  for (const FileCopy& copy : plan.copies) {
    const fs::path source = fs::path(submission_dir) / copy.submitted;
    const fs::path target = fs::path(workspace) / copy.student_file;
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    // Remove first: the tree copy may have left a symlink in its place.
    fs::remove(target, error);
    fs::copy_file(source, target, fs::copy_options::overwrite_existing, error);
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot copy submitted ", copy.submitted, " to ",
                                                 target.string(), ": ", error.message()));
    }
  }
  return absl::OkStatus();
}

std::string DefaultStagingDir() {
  const char* home = std::getenv("HOME");
  std::string base = home != nullptr && *home != '\0' ? home : "";
  if (base.empty()) {
    const struct passwd* user = ::getpwuid(::getuid());
    base = user != nullptr && user->pw_dir != nullptr ? user->pw_dir : "/tmp";
  }
  return base + "/.cache/auroralab/grade-workspace";
}

absl::StatusOr<StagingLock> StagingLock::Acquire(const std::string& dir) {
  std::error_code error;
  fs::create_directories(fs::path(dir).parent_path(), error);
  const std::string path = dir + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::printf("waiting for another grader run to release %s ...\n", path.c_str());
    std::fflush(stdout);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR || StopRequested()) {
        const int saved = errno;
        ::close(fd);
        return absl::UnavailableError(
            absl::StrCat("cannot lock ", path, ": ", std::strerror(saved)));
      }
    }
  }
  return StagingLock(fd);
}

StagingLock::StagingLock(StagingLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

StagingLock::~StagingLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace auroralab::grader
