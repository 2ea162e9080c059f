// Implementation of runner.h with fork/exec, setsid, bubblewrap and a waitpid
// poll loop.
#include "grader/runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace auroralab::grader {
namespace {

std::atomic<bool> stop_requested{false};

std::string ErrnoText(int error) { return std::strerror(error); }

// Writes a failure message from the child to the parent through a pipe;
// only async-signal-safe calls are allowed after fork().
[[noreturn]] void ChildFail(int report_fd, const char* what) {
  const int error = errno;
  (void)!::write(report_fd, &error, sizeof(error));
  (void)!::write(report_fd, what, std::strlen(what));
  ::_exit(127);
}

// Whether this process is real root's namespace (not root inside a user
// namespace, such as Bazel's own test sandbox, where uid 65534 is unmapped
// and the process holds no real privileges to drop).
bool InInitialUserNamespace() {
  static const bool initial = [] {
    std::ifstream in("/proc/self/uid_map");
    long inside = -1, outside = -1, count = -1;
    in >> inside >> outside >> count;
    return inside == 0 && outside == 0 && count == 4294967295L;
  }();
  return initial;
}

}  // namespace

void RequestStop() { stop_requested.store(true); }
bool StopRequested() { return stop_requested.load(); }

std::string SignalName(int signal) {
  if (const char* abbrev = ::sigabbrev_np(signal); abbrev != nullptr) {
    return absl::StrCat("SIG", abbrev);
  }
  return absl::StrCat("signal ", signal);
}

absl::StatusOr<int> CreateFreshFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(absl::StrCat("cannot replace ", path, ": ", ErrnoText(errno)));
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", ErrnoText(errno)));
  }
  return fd;
}

absl::StatusOr<ProcessResult> RunProcess(const ProcessSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("RunProcess: empty argv");
  std::vector<int> owned_fds;  // opened here, closed before returning
  auto close_owned = [&owned_fds] {
    for (int fd : owned_fds) ::close(fd);
  };
  int out_fd = spec.stdout_fd;
  if (out_fd < 0) {
    absl::StatusOr<int> opened = CreateFreshFile(spec.stdout_path);
    if (!opened.ok()) return opened.status();
    out_fd = *opened;
    owned_fds.push_back(out_fd);
  }
  int err_fd = out_fd;
  if (!spec.stderr_path.empty()) {
    absl::StatusOr<int> opened = CreateFreshFile(spec.stderr_path);
    if (!opened.ok()) {
      close_owned();
      return opened.status();
    }
    err_fd = *opened;
    owned_fds.push_back(err_fd);
  }

  // Everything the child needs is built before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (spec.env.has_value()) {
    for (const std::string& var : *spec.env) envp.push_back(const_cast<char*>(var.c_str()));
    envp.push_back(nullptr);
  }
  char** child_env = spec.env.has_value() ? envp.data() : environ;
  const bool search_path = spec.argv[0].find('/') == std::string::npos;
  const bool drop_privileges = spec.run_as_uid != 0 && ::geteuid() == 0 && InInitialUserNamespace();

  // The child reports exec failures through this close-on-exec pipe: EOF
  // means exec succeeded.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    close_owned();
    return absl::UnavailableError(absl::StrCat("pipe: ", ErrnoText(errno)));
  }

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    close_owned();
    ::close(report[0]);
    ::close(report[1]);
    return absl::UnavailableError(absl::StrCat("fork: ", ErrnoText(error)));
  }
  if (pid == 0) {
    ::close(report[0]);
    // The grader's Ctrl-C handler must not run in the child.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    if (spec.own_session && ::setsid() < 0) ChildFail(report[1], "setsid");
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) ChildFail(report[1], "chdir");
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) ChildFail(report[1], "stdin");
    if (null_fd != STDIN_FILENO) ::close(null_fd);
    if (::dup2(out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) {
      ChildFail(report[1], "dup2");
    }
    for (const auto& [parent_fd, child_fd] : spec.pass_fds) {
      if (parent_fd == child_fd) {
        if (::fcntl(child_fd, F_SETFD, 0) != 0) ChildFail(report[1], "fcntl");
      } else if (::dup2(parent_fd, child_fd) < 0) {
        ChildFail(report[1], "dup2");
      }
    }
    if (spec.max_output_bytes > 0) {
      const struct rlimit limit = {spec.max_output_bytes, spec.max_output_bytes};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    // No core files in the test's temp dir: the grader reports the signal.
    const struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    const std::pair<int, uint64_t> limits[] = {
        {RLIMIT_AS, spec.limits.address_space_bytes},
        {RLIMIT_NPROC, spec.limits.max_processes},
        {RLIMIT_CPU, spec.limits.cpu_seconds},
        {RLIMIT_NOFILE, spec.limits.open_files},
    };
    for (const auto& [resource, value] : limits) {
      if (value == 0) continue;
      const struct rlimit limit = {value, value};
      if (::setrlimit(resource, &limit) != 0) ChildFail(report[1], "setrlimit");
    }
    if (drop_privileges) {
      const gid_t gid = spec.run_as_uid;
      if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
          ::setresuid(spec.run_as_uid, spec.run_as_uid, spec.run_as_uid) != 0) {
        ChildFail(report[1], "dropping privileges");
      }
    }
    if (search_path) {
      ::execvpe(argv[0], argv.data(), child_env);
    } else {
      ::execve(argv[0], argv.data(), child_env);
    }
    ChildFail(report[1], "exec");
  }

  close_owned();
  ::close(report[1]);
  int child_errno = 0;
  char what[64] = {};
  ssize_t got;
  do {
    got = ::read(report[0], &child_errno, sizeof(child_errno));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(child_errno))) {
    (void)!::read(report[0], what, sizeof(what) - 1);
  }
  ::close(report[0]);
  if (got > 0) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return absl::UnavailableError(
        absl::StrCat("cannot run ", spec.argv[0], ": ", what, ": ", ErrnoText(child_errno)));
  }

  ProcessResult result;
  const auto deadline = start + std::chrono::seconds(spec.timeout_seconds);
  auto sleep_for = std::chrono::milliseconds(1);
  int status = 0;
  int lost_child_errno = 0;  // waitpid failed: cannot happen for our own child
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      // Cannot happen for our own child; do not spin forever if it does.
      lost_child_errno = errno;
      break;
    }
    const bool timed_out = spec.timeout_seconds > 0 && std::chrono::steady_clock::now() >= deadline;
    if (timed_out || StopRequested()) {
      result.timed_out = timed_out;
      result.interrupted = !timed_out;
      if (!spec.own_session) {
        // Bazel: SIGINT makes the client cancel the build on its server
        // (SIGKILL would leave the server building and holding its lock).
        ::kill(pid, SIGINT);
        const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        bool reaped = false;
        while (!reaped && std::chrono::steady_clock::now() < grace) {
          reaped = ::waitpid(pid, &status, WNOHANG) == pid;
          if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (reaped) break;
      }
      ::kill(spec.own_session ? -pid : pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    // Short sleeps first so that fast tests report accurate times, then
    // back off to keep polling cheap.
    std::this_thread::sleep_for(sleep_for);
    sleep_for = std::min(sleep_for * 2, std::chrono::milliseconds(50));
  }
  // Grandchildren the test left behind must not outlive it (in the sandbox
  // the PID namespace already ends them all with bubblewrap).
  if (spec.own_session) ::kill(-pid, SIGKILL);

  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (lost_child_errno != 0) {
    return absl::InternalError(
        absl::StrCat("lost track of ", spec.argv[0], ": ", ErrnoText(lost_child_errno)));
  }
  if (WIFEXITED(status)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

VerdictRecord ParseVerdictRecord(const std::string& text) {
  VerdictRecord record;
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.empty() || lines.front() != "auroralab-verdict 1") return record;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.rfind("test ", 0) == 0) {
      const absl::string_view rest = line.substr(5);
      const size_t space = rest.rfind(' ');
      if (space == absl::string_view::npos) return VerdictRecord();
      record.tests.emplace_back(std::string(rest.substr(0, space)),
                                std::string(rest.substr(space + 1)));
    } else if (line.rfind("end ", 0) == 0) {
      int count = -1;
      // Only an empty remainder may follow the end line.
      const bool last = i + 2 == lines.size() && lines.back().empty();
      if (!absl::SimpleAtoi(line.substr(4), &count) || !last ||
          count != static_cast<int>(record.tests.size())) {
        return VerdictRecord();
      }
      record.complete = true;
      return record;
    } else {
      return VerdictRecord();
    }
  }
  return VerdictRecord();  // no end line: the process died while writing
}

GtestOutcome JudgeGtest(const ProcessResult& process, const std::string& verdict_text,
                        const GtestSpec& spec) {
  GtestOutcome outcome;
  outcome.seconds = process.seconds;
  outcome.interrupted = process.interrupted;
  const VerdictRecord verdict = ParseVerdictRecord(verdict_text);
  if (process.interrupted) {
    outcome.reason = "interrupted";
  } else if (process.timed_out) {
    outcome.reason = absl::StrCat("timed out after ", spec.timeout_seconds, "s");
  } else if (process.signal == SIGXFSZ) {
    outcome.reason =
        absl::StrCat("killed: a file or the output exceeded ", kMaxTestLogBytes >> 20, " MB");
  } else if (process.signal == SIGXCPU) {
    outcome.reason = "killed: CPU time limit exceeded";
  } else if (process.signal != 0) {
    outcome.reason = absl::StrCat("crashed with ", SignalName(process.signal));
  } else if (!verdict.complete) {
    outcome.reason = process.exit_code == 0
                         ? std::string("exited before GoogleTest reported a result")
                         : absl::StrCat("exited with status ", process.exit_code,
                                        " before GoogleTest reported a result (out of memory?)");
  } else if (verdict.tests.empty()) {
    outcome.reason = absl::StrCat("test not found in ", spec.target, " (rubric out of date?)");
  } else if (verdict.tests.size() > 1) {
    outcome.reason =
        absl::StrCat("the filter ran ", verdict.tests.size(), " tests; expected exactly one");
  } else if (verdict.tests[0].first != spec.gtest) {
    outcome.reason = absl::StrCat("ran ", verdict.tests[0].first, " instead of ", spec.gtest);
  } else if (verdict.tests[0].second == "skipped") {
    outcome.reason = "test was skipped (GTEST_SKIP)";
  } else if (verdict.tests[0].second != "passed") {
    outcome.reason = "test failed";
  } else if (!process.exited || process.exit_code != 0) {
    outcome.reason = absl::StrCat("the test passed, but the process then exited with status ",
                                  process.exit_code);
  } else {
    outcome.passed = true;
  }
  return outcome;
}

std::string ReadFdTail(int fd, size_t max_bytes) {
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size <= 0) return "";
  const off_t size = info.st_size;
  const off_t start =
      size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
  std::string text(static_cast<size_t>(size - start), '\0');
  size_t have = 0;
  while (have < text.size()) {
    const ssize_t n =
        ::pread(fd, text.data() + have, text.size() - have, start + static_cast<off_t>(have));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  text.resize(have);
  return text;
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text = ReadFdTail(fd, max_bytes);
  ::close(fd);
  return text;
}

namespace {

// Whether the sandbox user can reach `dir` (every ancestor searchable by
// "other"); bubblewrap runs as that user when the grader is root.
bool ReachableByOthers(const std::string& dir) {
  std::filesystem::path path = std::filesystem::path(dir).lexically_normal();
  for (; !path.empty(); path = path.parent_path()) {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0 || (info.st_mode & S_IXOTH) == 0) return false;
    if (path == path.parent_path()) break;
  }
  return true;
}

// Copies `from` to the new file `to` (mode `mode`), at most `max_bytes`.
// Opens `from` without following symlinks and skips anything not regular.
bool CopyRegularFile(int from_dir, const char* name, int to_dir, mode_t mode, uint64_t max_bytes,
                     uint64_t* copied) {
  const int in = ::openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (in < 0) return false;
  struct stat info;
  if (::fstat(in, &info) != 0 || !S_ISREG(info.st_mode) ||
      static_cast<uint64_t>(info.st_size) > max_bytes) {
    ::close(in);
    return false;
  }
  const int out =
      ::openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (out < 0) {
    ::close(in);
    return false;
  }
  char buffer[1 << 16];
  bool ok = true;
  uint64_t total = 0;
  while (true) {
    const ssize_t n = ::read(in, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    total += static_cast<uint64_t>(n);
    if (total > max_bytes || ::write(out, buffer, static_cast<size_t>(n)) != n) {
      ok = false;
      break;
    }
  }
  ::close(in);
  ::close(out);
  *copied += total;
  return ok;
}

// Copies the regular files and folders under `from_dir` into `to_dir`,
// never following a symlink and skipping FIFOs, sockets and devices, up to
// `budget` bytes and 1000 entries in all and 16 levels deep.
void CopyArtifacts(int from_dir, int to_dir, int depth, uint64_t* budget, int* entries) {
  const int from_copy = ::dup(from_dir);
  if (from_copy < 0) return;
  DIR* dir = ::fdopendir(from_copy);
  if (dir == nullptr) {
    ::close(from_copy);
    return;
  }
  while (const struct dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (--*entries < 0 || *budget == 0) break;
    struct stat info;
    if (::fstatat(from_dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(info.st_mode)) {
      uint64_t copied = 0;
      CopyRegularFile(from_dir, name.c_str(), to_dir, 0644, *budget, &copied);
      *budget -= std::min(*budget, copied);
    } else if (S_ISDIR(info.st_mode) && depth < 16) {
      if (::mkdirat(to_dir, name.c_str(), 0755) != 0) continue;
      const int sub_from =
          ::openat(from_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      const int sub_to =
          ::openat(to_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub_from >= 0 && sub_to >= 0) CopyArtifacts(sub_from, sub_to, depth + 1, budget, entries);
      if (sub_from >= 0) ::close(sub_from);
      if (sub_to >= 0) ::close(sub_to);
    }
  }
  ::closedir(dir);
}

// Reads everything left in a pipe whose writers are all gone (at most
// `max_bytes`; the rest is dropped).
std::string DrainPipe(int fd, size_t max_bytes) {
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (text.size() < max_bytes) text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

constexpr uint64_t kMaxArtifactBytes = 64ull << 20;

}  // namespace

std::vector<std::string> SandboxArgv(const std::string& job_dir, const std::string& command,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      "bwrap",
      // New user, PID, network, IPC, UTS and cgroup namespaces.
      "--unshare-all",
      // Killed when the grader's child (bubblewrap's parent) dies; the PID
      // namespace then takes every process of the test with it.
      "--die-with-parent",
      // No controlling terminal to push input into (TIOCSTI).
      "--new-session",
      "--uid",
      std::to_string(kSandboxUid),
      "--gid",
      std::to_string(kSandboxUid),
      "--hostname",
      "sandbox",
  };
  // The system's libraries and nothing else of the host file system.
  for (const char* dir : {"/usr", "/lib", "/lib64", "/lib32"}) {
    struct stat info;
    if (::lstat(dir, &info) != 0) continue;
    if (S_ISLNK(info.st_mode)) {
      char target[4096] = {};
      const ssize_t n = ::readlink(dir, target, sizeof(target) - 1);
      if (n > 0) argv.insert(argv.end(), {"--symlink", std::string(target, n), dir});
    } else if (S_ISDIR(info.st_mode)) {
      argv.insert(argv.end(), {"--ro-bind", dir, dir});
    }
  }
  if (::access("/etc/ld.so.cache", R_OK) == 0) {
    argv.insert(argv.end(), {"--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"});
  }
  argv.insert(argv.end(), {
                              "--proc",
                              "/proc",
                              "--dev",
                              "/dev",
                              "--size",
                              std::to_string(kTestTmpfsBytes),
                              "--tmpfs",
                              "/tmp",
                              "--ro-bind",
                              job_dir + "/bin",
                              "/job/bin",
                              "--bind",
                              job_dir + "/artifacts",
                              "/job/artifacts",
                              "--remount-ro",
                              "/",
                              "--chdir",
                              "/tmp",
                              "--",
                              command,
                          });
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

absl::Status CheckSandbox() {
  static const absl::Status* const checked = [] {
    if (::access("/usr/bin/bwrap", X_OK) != 0) {
      return new absl::Status(absl::FailedPreconditionError(
          "bubblewrap (/usr/bin/bwrap) is missing: tests only run sandboxed. Install Debian's "
          "bubblewrap package (./lab installs it for you)."));
    }
    // bubblewrap fails at run time when this machine forbids namespaces
    // (some containers); a failed test would look like the student's fault,
    // so try an empty sandbox first.
    char dir[] = "/tmp/auroralab-sandbox-check-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
      return new absl::Status(absl::UnavailableError("cannot create a temp dir in /tmp"));
    }
    const std::string job = dir;
    ::chmod(dir, 0711);
    ::mkdir((job + "/bin").c_str(), 0755);
    ::mkdir((job + "/artifacts").c_str(), 0755);
    ProcessSpec probe;
    probe.argv = SandboxArgv(job, "/usr/bin/true", {});
    probe.argv[0] = "/usr/bin/bwrap";
    probe.stdout_path = job + ".log";
    probe.timeout_seconds = 30;
    probe.run_as_uid = kSandboxUid;
    absl::StatusOr<ProcessResult> result = RunProcess(probe);
    const std::string log = ReadFileTail(probe.stdout_path, 2048);
    std::error_code ignored;
    std::filesystem::remove_all(job, ignored);
    std::filesystem::remove(probe.stdout_path, ignored);
    if (!result.ok()) return new absl::Status(result.status());
    if (!result->exited || result->exit_code != 0) {
      return new absl::Status(absl::FailedPreconditionError(absl::StrCat(
          "bubblewrap cannot create a sandbox on this machine (user namespaces disabled?): ",
          log)));
    }
    return new absl::Status();
  }();
  return *checked;
}

absl::StatusOr<GtestOutcome> RunGtest(const GtestSpec& spec) {
  namespace fs = std::filesystem;
  if (absl::Status sandbox = CheckSandbox(); !sandbox.ok()) return sandbox;
  std::error_code error;
  fs::create_directories(fs::path(spec.log_path).parent_path(), error);

  std::string parent = spec.temp_parent;
  if (parent.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  // Real root hands the test to the unprivileged sandbox uid (RunProcess
  // drops privileges); anyone else runs bubblewrap as themselves.
  const bool as_root = ::geteuid() == 0 && InInitialUserNamespace();
  if (as_root && fs::is_directory(parent, error) && !ReachableByOthers(parent)) parent = "/tmp";
  // The job dir: a fresh, unpredictable name; bin/ holds a private copy of
  // the binary, artifacts/ is the test's only writable folder on disk.
  std::string pattern = parent + "/auroralab-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a temp dir in ", parent, ": ", ErrnoText(errno)));
  }
  const std::string job_dir = pattern;
  absl::Cleanup remove_job = [&job_dir] {
    std::error_code ignored;
    fs::remove_all(job_dir, ignored);  // does not follow symlinks
  };
  // The sandbox user must pass through the job dir (not list it) and read
  // the binary, and own its artifacts folder.
  if (::chmod(job_dir.c_str(), 0711) != 0 || ::mkdir((job_dir + "/bin").c_str(), 0755) != 0 ||
      ::mkdir((job_dir + "/artifacts").c_str(), 0700) != 0 ||
      (as_root && ::chown((job_dir + "/artifacts").c_str(), kSandboxUid, kSandboxUid) != 0)) {
    return absl::UnavailableError(absl::StrCat("cannot prepare ", job_dir, ": ", ErrnoText(errno)));
  }
  {
    const int bin_dir = ::open((job_dir + "/bin").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    // The binary comes from the grader's own Bazel output (runfiles trees
    // are symlinks), which no test can reach: resolving it is safe.
    const fs::path binary = fs::canonical(spec.binary, error);
    const std::string binary_dir = binary.parent_path().string();
    const std::string binary_name = binary.filename().string();
    const int source_dir = ::open(binary_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    uint64_t copied = 0;
    const bool ok = bin_dir >= 0 && source_dir >= 0 &&
                    CopyRegularFile(source_dir, binary_name.c_str(), bin_dir, 0555,
                                    uint64_t{1} << 31, &copied) &&
                    ::renameat(bin_dir, binary_name.c_str(), bin_dir, "test") == 0;
    if (bin_dir >= 0) ::close(bin_dir);
    if (source_dir >= 0) ::close(source_dir);
    if (!ok) {
      return absl::UnavailableError(absl::StrCat("cannot copy the test binary ", spec.binary,
                                                 " (not built? not a regular file?)"));
    }
  }

  absl::StatusOr<int> log_fd = CreateFreshFile(spec.log_path);
  if (!log_fd.ok()) return log_fd.status();
  absl::Cleanup close_log = [fd = *log_fd] { ::close(fd); };
  int verdict_pipe[2];
  if (::pipe2(verdict_pipe, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe: ", ErrnoText(errno)));
  }
  constexpr int kVerdictFd = 3;

  // A clean, fixed environment: grades must not depend on the grader's
  // shell (AURORALAB_SEED(S), GTEST_*), and tests expect Bazel's variables.
  // RUNFILES_DIR and TEST_SRCDIR are deliberately not set: graded tests have
  // no data files, and labs/framework/sim_test.cc takes TEST_SRCDIR to mean
  // "under `bazel test`".
  const std::vector<std::string> env = {
      "PATH=/usr/bin:/bin",
      "HOME=/tmp",
      "TMPDIR=/tmp",
      "TEST_TMPDIR=/tmp",
      "TEST_TARGET=" + spec.target,
      "TEST_UNDECLARED_OUTPUTS_DIR=/job/artifacts",
      "TEST_WORKSPACE=auroralab",
      "TZ=UTC",
      "LANG=C.UTF-8",
      "GTEST_COLOR=no",
      absl::StrCat("AURORALAB_VERDICT_FD=", kVerdictFd),
  };

  ProcessSpec process;
  process.argv =
      SandboxArgv(job_dir, "/job/bin/test", {"--gtest_filter=" + spec.gtest, "--gtest_color=no"});
  process.argv[0] = "/usr/bin/bwrap";
  process.env = env;
  process.stdout_fd = *log_fd;
  process.pass_fds = {{verdict_pipe[1], kVerdictFd}};
  process.timeout_seconds = spec.timeout_seconds;
  process.own_session = true;
  process.max_output_bytes = kMaxTestLogBytes;
  process.limits.address_space_bytes = kTestAddressSpaceBytes;
  // RLIMIT_NPROC counts every process of the uid: only meaningful when the
  // sandbox has a uid of its own (the grader runs as root).
  process.limits.max_processes = as_root ? kTestMaxProcesses : 0;
  process.limits.open_files = kTestOpenFiles;
  process.limits.cpu_seconds = static_cast<uint64_t>(spec.timeout_seconds) + 5;
  process.run_as_uid = kSandboxUid;
  absl::StatusOr<ProcessResult> result = RunProcess(process);
  ::close(verdict_pipe[1]);
  // bubblewrap is gone and took its PID namespace with it: no writer is
  // left, so reading to EOF cannot block.
  const std::string verdict = DrainPipe(verdict_pipe[0], 1 << 20);
  ::close(verdict_pipe[0]);
  if (!result.ok()) return result.status();
  // bubblewrap exits with 128 + N when the test died of signal N.
  if (result->exited && result->exit_code > 128 && result->exit_code < 128 + 65) {
    result->exited = false;
    result->signal = result->exit_code - 128;
    result->exit_code = -1;
  }

  // Artifacts: regular files only, never through a link the test planted.
  fs::create_directories(spec.artifacts_dir, error);
  const int from =
      ::open((job_dir + "/artifacts").c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  const int to =
      ::open(spec.artifacts_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (from >= 0 && to >= 0) {
    uint64_t budget = kMaxArtifactBytes;
    int entries = 1000;
    CopyArtifacts(from, to, 0, &budget, &entries);
  }
  if (from >= 0) ::close(from);
  if (to >= 0) ::close(to);

  // The tail is enough to cut the student-visible part from.
  std::string tail = ReadFdTail(*log_fd, 256 << 10);
  GtestOutcome outcome = JudgeGtest(*result, verdict, spec);
  outcome.log_tail = std::move(tail);
  return outcome;
}

absl::StatusOr<GtestOutcome> RunGtestCheckingDeterminism(const GtestSpec& spec) {
  absl::StatusOr<GtestOutcome> first = RunGtest(spec);
  if (!first.ok() || first->passed || first->interrupted ||
      absl::StartsWith(first->reason, "timed out")) {
    return first;
  }
  GtestSpec again = spec;
  again.log_path = spec.log_path + ".rerun";
  again.artifacts_dir = spec.artifacts_dir + ".rerun";
  absl::StatusOr<GtestOutcome> second = RunGtest(again);
  std::error_code ignored;
  std::filesystem::remove(again.log_path, ignored);
  std::filesystem::remove_all(again.artifacts_dir, ignored);
  if (!second.ok()) return second.status();
  if (second->interrupted) return first;
  if (second->passed || second->reason != first->reason) {
    first->nondeterministic = true;
    first->reason = absl::StrCat(
        first->reason, "; NONDETERMINISTIC: a second run of the same seeds ",
        second->passed ? "passed" : absl::StrCat("failed differently (", second->reason, ")"),
        ". The simulation is deterministic, so the code depends on something else: iteration "
        "order of an unordered or absl hash container, pointer values (addresses, sorting by "
        "pointer), uninitialized variables, or state kept in static/global variables. Use "
        "ctx().rng() for randomness and ordered containers where order matters.");
  }
  return first;
}

}  // namespace auroralab::grader
