// Implementation of submission.h.
#include "grader/submission.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
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
      if (files.size() > kMaxZipEntries) {
        return absl::InvalidArgumentError(
            absl::StrCat("the submission folder holds more than ", kMaxZipEntries, " files"));
      }
    }
  }
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot read ", dir, ": ", error.message()));
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

uint32_t Le16(const unsigned char* p) { return p[0] | (p[1] << 8); }
uint32_t Le32(const unsigned char* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

absl::Status BadZip(const std::string& zip, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("unusable submission archive ", fs::path(zip).filename().string(), ": ", why));
}

}  // namespace

absl::StatusOr<std::vector<ZipEntry>> ScanZip(const std::string& zip_path) {
  const int fd = ::open(zip_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", zip_path, ": ", std::strerror(errno)));
  }
  struct stat info;
  std::string data;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return BadZip(zip_path, "not a regular file");
  }
  if (static_cast<uint64_t>(info.st_size) > kMaxZipBytes) {
    ::close(fd);
    return BadZip(zip_path, absl::StrCat("the archive is ", info.st_size >> 20, " MB; at most ",
                                         kMaxZipBytes >> 20, " MB"));
  }
  data.resize(static_cast<size_t>(info.st_size));
  size_t have = 0;
  while (have < data.size()) {
    const ssize_t n = ::read(fd, data.data() + have, data.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(have);
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const size_t size = data.size();

  // The end-of-central-directory record: in the last 64 KB + 22 bytes.
  if (size < 22) return BadZip(zip_path, "not a .zip file (too short)");
  size_t eocd = std::string::npos;
  for (size_t at = size - 22;; --at) {
    if (Le32(bytes + at) == 0x06054b50) {
      eocd = at;
      break;
    }
    if (at == 0 || size - at > 65557) break;
  }
  if (eocd == std::string::npos) return BadZip(zip_path, "not a .zip file");
  const uint32_t total = Le16(bytes + eocd + 10);
  const uint32_t directory_size = Le32(bytes + eocd + 12);
  const uint32_t directory_offset = Le32(bytes + eocd + 16);
  if (total == 0xffff || directory_offset == 0xffffffff) {
    return BadZip(zip_path, "ZIP64 archives (over 65535 entries or 4 GB) are not accepted");
  }
  if (total > kMaxZipEntries) {
    return BadZip(zip_path, absl::StrCat(total, " entries; at most ", kMaxZipEntries));
  }
  if (static_cast<uint64_t>(directory_offset) + directory_size > size) {
    return BadZip(zip_path, "damaged central directory");
  }

  std::vector<ZipEntry> entries;
  std::set<std::string> names;
  uint64_t total_bytes = 0;
  size_t at = directory_offset;
  for (uint32_t i = 0; i < total; ++i) {
    if (at + 46 > size || Le32(bytes + at) != 0x02014b50) {
      return BadZip(zip_path, "damaged central directory");
    }
    const uint32_t made_by_host = bytes[at + 5];
    const uint32_t flags = Le16(bytes + at + 8);
    const uint32_t uncompressed = Le32(bytes + at + 24);
    const uint32_t name_length = Le16(bytes + at + 28);
    const uint32_t extra_length = Le16(bytes + at + 30);
    const uint32_t comment_length = Le16(bytes + at + 32);
    const uint32_t external = Le32(bytes + at + 38);
    if (at + 46 + name_length > size) return BadZip(zip_path, "damaged central directory");
    ZipEntry entry;
    entry.name = data.substr(at + 46, name_length);
    entry.size = uncompressed;
    at += 46 + name_length + extra_length + comment_length;

    const std::string shown = absl::StrCat("entry '", entry.name, "'");
    for (const char c : entry.name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\' || c == '*' || c == '?' ||
          c == '[' || c == ']') {
        return BadZip(zip_path, absl::StrCat("entry with an unusual character in its name (",
                                             absl::CHexEscape(entry.name), ")"));
      }
    }
    if (entry.name.empty() || entry.name.front() == '/' ||
        absl::StrContains(absl::StrCat("/", entry.name, "/"), "/../")) {
      return BadZip(zip_path, absl::StrCat(shown, " points outside the archive"));
    }
    if ((flags & 1) != 0) return BadZip(zip_path, absl::StrCat(shown, " is encrypted"));
    if (uncompressed == 0xffffffff) return BadZip(zip_path, absl::StrCat(shown, " is ZIP64"));
    entry.directory = entry.name.back() == '/';
    const uint32_t mode = external >> 16;
    if (made_by_host == 3 && (mode & 0170000) != 0) {
      const uint32_t type = mode & 0170000;
      if (type == 0120000) {
        return BadZip(zip_path,
                      absl::StrCat(shown, " is a symbolic link; submit the files themselves"));
      }
      if (type != 0100000 && type != 0040000) {
        return BadZip(zip_path, absl::StrCat(shown, " is not a regular file or folder"));
      }
      if (type == 0040000) entry.directory = true;
    }
    std::string key = entry.name;
    if (!key.empty() && key.back() == '/') key.pop_back();
    if (!names.insert(key).second) {
      return BadZip(zip_path, absl::StrCat(shown, " appears twice"));
    }
    total_bytes += uncompressed;
    if (total_bytes > kMaxZipTotalBytes) {
      return BadZip(zip_path, absl::StrCat("unpacks to more than ", kMaxZipTotalBytes >> 20,
                                           " MB (a zip bomb?)"));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::Status ExtractZipEntries(const std::string& zip_path, const std::vector<std::string>& names,
                               const std::string& dest, const std::string& scratch_dir) {
  if (names.empty()) return absl::OkStatus();
  ProcessSpec spec;
  // -o: no interactive questions; -qq: quiet. Names were checked by ScanZip
  // to hold no wildcard characters, so each matches exactly one entry.
  spec.argv = {"unzip", "-qq", "-o", zip_path};
  spec.argv.insert(spec.argv.end(), names.begin(), names.end());
  spec.argv.insert(spec.argv.end(), {"-d", dest});
  std::string log = scratch_dir + "/unzip-XXXXXX";
  const int log_fd = ::mkstemp(log.data());
  if (log_fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create a log in ", scratch_dir));
  }
  ::unlink(log.c_str());  // nobody can reach it by name; read through the fd
  spec.stdout_fd = log_fd;
  spec.timeout_seconds = 120;
  spec.max_output_bytes = kMaxStudentFileBytes;
  absl::StatusOr<ProcessResult> result = RunProcess(spec);
  const std::string output = ReadFdTail(log_fd, 4096);
  ::close(log_fd);
  if (!result.ok()) return result.status();
  if (result->interrupted) {
    return absl::CancelledError("interrupted while unpacking the submission");
  }
  if (result->signal == SIGXFSZ) {
    return BadZip(zip_path,
                  absl::StrCat("a file unpacks to more than ", kMaxStudentFileBytes >> 10, " KB"));
  }
  if (result->timed_out || !result->exited || result->exit_code > 1) {
    return BadZip(zip_path, absl::StrCat("cannot extract it (is it a .zip?): ", output));
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

// Copies `from` (a file, symlink or folder) to the new path `to`.
absl::Status CopyRecursive(const fs::path& from, const fs::path& to) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(from, error);
  if (!error) {
    if (fs::is_symlink(status)) {
      fs::copy_symlink(from, to, error);
    } else if (fs::is_directory(status)) {
      fs::create_directories(to, error);
      for (const fs::directory_entry& entry : fs::directory_iterator(from, error)) {
        if (absl::Status copied = CopyRecursive(entry.path(), to / entry.path().filename());
            !copied.ok()) {
          return copied;
        }
      }
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
    }
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot copy ", from.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& StagedPaths() {
  static const auto* const paths = new std::vector<std::string>{
      "WORKSPACE", "BUILD",    ".bazelrc",      ".bazelversion",  "tools",
      "labs",      "skeleton", "grader/hidden", "grader/verdict", "grader/rubric.textproto",
  };
  return *paths;
}

absl::Status StageCourseTree(const std::string& root, const std::string& to) {
  std::error_code error;
  for (const std::string& path : StagedPaths()) {
    const fs::path from = fs::path(root) / path;
    if (!fs::exists(fs::symlink_status(from, error))) continue;
    const fs::path target = fs::path(to) / path;
    fs::create_directories(target.parent_path(), error);
    if (absl::Status copied = CopyRecursive(from, target); !copied.ok()) return copied;
  }
  return absl::OkStatus();
}

absl::Status ApplySubmission(const SubmissionPlan& plan, const std::string& submission_dir,
                             const std::string& workspace) {
  for (const FileCopy& copy : plan.copies) {
    const fs::path source = fs::path(submission_dir) / copy.submitted;
    const fs::path target = fs::path(workspace) / copy.student_file;
    std::error_code error;
    const fs::file_status status = fs::symlink_status(source, error);
    if (error || !fs::is_regular_file(status)) {
      return absl::InvalidArgumentError(
          absl::StrCat("submitted ", copy.submitted, " is not a regular file"));
    }
    if (fs::file_size(source, error) > kMaxStudentFileBytes) {
      return absl::InvalidArgumentError(absl::StrCat("submitted ", copy.submitted,
                                                     " is larger than ", kMaxStudentFileBytes >> 10,
                                                     " KB; a student file may not be"));
    }
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

absl::StatusOr<StagingLock> StagingLock::Acquire(const std::string& dir, int timeout_seconds) {
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
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(std::max(0, timeout_seconds));
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      if ((error != EWOULDBLOCK && error != EINTR) || StopRequested()) {
        ::close(fd);
        return absl::UnavailableError(
            absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd);
        return absl::DeadlineExceededError(
            absl::StrCat("another grading job held ", path, " for more than ", timeout_seconds,
                         "s; give each concurrent job its own --staging=DIR"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  return StagingLock(fd);
}

StagingLock::StagingLock(StagingLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

StagingLock::~StagingLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace auroralab::grader
