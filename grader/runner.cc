// Implementation of runner.h with fork/exec, setsid and a waitpid poll loop.
#include "grader/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
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

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace auroralab::grader {
namespace {

std::atomic<bool> stop_requested{false};

std::string ErrnoText(int error) { return std::strerror(error); }

// Opens a log file for the child's stdout/stderr; close-on-exec in the
// parent's copy does not matter since the child dup2()s it.
absl::StatusOr<int> OpenLog(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", ErrnoText(errno)));
  }
  return fd;
}

// Writes a failure message from the child to the parent through a pipe;
// only async-signal-safe calls are allowed after fork().
[[noreturn]] void ChildFail(int report_fd, const char* what) {
  const int error = errno;
  (void)!::write(report_fd, &error, sizeof(error));
  (void)!::write(report_fd, what, std::strlen(what));
  ::_exit(127);
}

// Parses the count that starts `rest` (what follows a GoogleTest summary
// line's prefix).
bool LeadingNumber(absl::string_view rest, int* value) {
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  return digits > 0 && absl::SimpleAtoi(rest.substr(0, digits), value);
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

absl::StatusOr<ProcessResult> RunProcess(const ProcessSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("RunProcess: empty argv");
  absl::StatusOr<int> out_fd = OpenLog(spec.stdout_path);
  if (!out_fd.ok()) return out_fd.status();
  int err_fd = *out_fd;
  if (!spec.stderr_path.empty()) {
    absl::StatusOr<int> opened = OpenLog(spec.stderr_path);
    if (!opened.ok()) {
      ::close(*out_fd);
      return opened.status();
    }
    err_fd = *opened;
  }
  auto close_logs = [&] {
    ::close(*out_fd);
    if (err_fd != *out_fd) ::close(err_fd);
  };

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

  // The child reports exec failures through this close-on-exec pipe: EOF
  // means exec succeeded.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    close_logs();
    return absl::UnavailableError(absl::StrCat("pipe: ", ErrnoText(errno)));
  }

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    close_logs();
    ::close(report[0]);
    ::close(report[1]);
    return absl::UnavailableError(absl::StrCat("fork: ", ErrnoText(error)));
  }
  if (pid == 0) {
    ::close(report[0]);
    if (spec.own_session && ::setsid() < 0) ChildFail(report[1], "setsid");
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) ChildFail(report[1], "chdir");
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0) ChildFail(report[1], "stdin");
    if (null_fd != STDIN_FILENO) ::close(null_fd);
    if (::dup2(*out_fd, STDOUT_FILENO) < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) {
      ChildFail(report[1], "dup2");
    }
    if (spec.max_output_bytes > 0) {
      const struct rlimit limit = {spec.max_output_bytes, spec.max_output_bytes};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    // No core files in the test's temp dir: the grader reports the signal.
    const struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (search_path) {
      ::execvpe(argv[0], argv.data(), child_env);
    } else {
      ::execve(argv[0], argv.data(), child_env);
    }
    ChildFail(report[1], "exec");
  }

  close_logs();
  ::close(report[1]);
  int child_errno = 0;
  char what[64] = {};
  const ssize_t got = ::read(report[0], &child_errno, sizeof(child_errno));
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
  // Grandchildren the test left behind must not outlive it.
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

GtestSummary ParseGtestSummary(const std::string& output) {
  GtestSummary summary;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    int count = 0;
    if (line.rfind("[==========] ", 0) == 0 && line.find(" ran.") != absl::string_view::npos &&
        LeadingNumber(line.substr(13), &count)) {
      summary.ran = count;
    } else if (line.rfind("[  PASSED  ] ", 0) == 0 && LeadingNumber(line.substr(13), &count)) {
      summary.passed = count;
    } else if (line.rfind("[  FAILED  ] ", 0) == 0 && line.find("listed below") != line.npos &&
               LeadingNumber(line.substr(13), &count)) {
      summary.failed = count;
    } else if (line.rfind("[  SKIPPED ] ", 0) == 0 && line.find("listed below") != line.npos &&
               LeadingNumber(line.substr(13), &count)) {
      summary.skipped = count;
    }
  }
  return summary;
}

GtestOutcome JudgeGtest(const ProcessResult& process, const std::string& output,
                        const GtestSpec& spec) {
  GtestOutcome outcome;
  outcome.seconds = process.seconds;
  outcome.interrupted = process.interrupted;
  const GtestSummary summary = ParseGtestSummary(output);
  if (process.interrupted) {
    outcome.reason = "interrupted";
  } else if (process.timed_out) {
    outcome.reason = absl::StrCat("timed out after ", spec.timeout_seconds, "s");
  } else if (process.signal == SIGXFSZ) {
    outcome.reason = absl::StrCat("killed: output exceeded ", kMaxTestLogBytes >> 20, " MB");
  } else if (process.signal != 0) {
    outcome.reason = absl::StrCat("crashed with ", SignalName(process.signal));
  } else if (summary.ran == 0) {
    outcome.reason = absl::StrCat("test not found in ", spec.target, " (rubric out of date?)");
  } else if (summary.ran > 1) {
    outcome.reason = absl::StrCat("the filter ran ", summary.ran, " tests; expected exactly one");
  } else if (summary.skipped > 0) {
    outcome.reason = "test was skipped (GTEST_SKIP)";
  } else if (process.exit_code != 0) {
    outcome.reason = summary.ran == 1 ? std::string("test failed")
                                      : absl::StrCat("exited with status ", process.exit_code,
                                                     " before the test finished");
  } else if (summary.ran != 1 || summary.passed != 1 || summary.failed > 0) {
    // Exit status 0 without GoogleTest's summary: something called exit(0).
    outcome.reason = "exited before GoogleTest reported a result";
  } else {
    outcome.passed = true;
  }
  return outcome;
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  if (size <= 0) return "";
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                                   ? size - static_cast<std::streamoff>(max_bytes)
                                   : 0;
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

absl::StatusOr<GtestOutcome> RunGtest(const GtestSpec& spec) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(spec.artifacts_dir, error);
  fs::create_directories(fs::path(spec.log_path).parent_path(), error);

  std::string parent = spec.temp_parent;
  if (parent.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  std::string pattern = parent + "/auroralab-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a temp dir in ", parent, ": ", ErrnoText(errno)));
  }
  const std::string temp_dir = pattern;

  // A clean, fixed environment: grades must not depend on the grader's
  // shell (AURORALAB_SEED(S), GTEST_*), and tests expect Bazel's variables.
  std::vector<std::string> env = {
      "PATH=/usr/bin:/bin",
      "HOME=" + temp_dir,
      "TMPDIR=" + temp_dir,
      "TEST_TMPDIR=" + temp_dir,
      "TEST_TARGET=" + spec.target,
      "TEST_UNDECLARED_OUTPUTS_DIR=" + spec.artifacts_dir,
      "TEST_WORKSPACE=auroralab",
      "TZ=UTC",
      "LANG=C.UTF-8",
      "GTEST_COLOR=no",
  };
  // RUNFILES_DIR lets the runfiles library find data deps. TEST_SRCDIR is
  // deliberately not set: labs/framework/sim_test.cc takes it to mean "under
  // `bazel test`" and would then print bazel-testlogs/ paths for artifacts,
  // which the grader writes elsewhere.
  const std::string runfiles = spec.binary + ".runfiles";
  if (fs::is_directory(runfiles, error)) env.push_back("RUNFILES_DIR=" + runfiles);

  ProcessSpec process;
  process.argv = {spec.binary, "--gtest_filter=" + spec.gtest, "--gtest_color=no"};
  process.cwd = temp_dir;
  process.env = env;
  process.stdout_path = spec.log_path;
  process.timeout_seconds = spec.timeout_seconds;
  process.own_session = true;
  process.max_output_bytes = kMaxTestLogBytes;
  absl::StatusOr<ProcessResult> result = RunProcess(process);
  fs::remove_all(temp_dir, error);
  if (!result.ok()) return result.status();

  // The summary is at the end; 256 KB of tail is plenty to find it and to
  // cut the student-visible part from.
  std::string tail = ReadFileTail(spec.log_path, 256 << 10);
  GtestOutcome outcome = JudgeGtest(*result, tail, spec);
  outcome.log_tail = std::move(tail);
  return outcome;
}

}  // namespace auroralab::grader
