// Running untrusted processes: a generic subprocess runner with a wall-clock
// limit and resource limits, and a GoogleTest runner that runs one test case
// inside a bubblewrap sandbox and turns it into a verdict.
//
// Contract: nothing a child does (crash, hang, spawning grandchildren,
// flooding output, exiting early, printing fake GoogleTest lines, signalling
// the grader, planting symlinks or FIFOs) can crash, stall or fool the
// grader. Output goes to a file the grader opened itself and reads back
// through the same descriptor. A test's verdict comes only from the record
// grader/verdict writes to a pipe the grader created, checked against the
// exit status. Tests run in new PID, network, IPC, UTS and mount namespaces
// as an unprivileged uid, see only the system libraries, a copy of their
// binary and a private artifacts folder, and die with the sandbox. The
// grader is not a simulation: wall-clock time is the right clock here.
#ifndef AURORALAB_GRADER_RUNNER_H_
#define AURORALAB_GRADER_RUNNER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace auroralab::grader {

// A test's log may not grow beyond this (RLIMIT_FSIZE); a test that floods
// its output is killed by SIGXFSZ and reported as such.
inline constexpr uint64_t kMaxTestLogBytes = 64ull << 20;

// Resource limits a child gets (setrlimit before exec); 0: not limited.
struct ResourceLimits {
  uint64_t address_space_bytes = 0;  // RLIMIT_AS
  uint64_t max_processes = 0;        // RLIMIT_NPROC (per uid; not for root)
  uint64_t cpu_seconds = 0;          // RLIMIT_CPU
  uint64_t open_files = 0;           // RLIMIT_NOFILE
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] without '/' is looked up in PATH
  std::string cwd;                // empty: the grader's cwd
  // The child's whole environment; nullopt inherits the grader's.
  std::optional<std::vector<std::string>> env;
  // Where stdout goes: an open descriptor the caller keeps (preferred: the
  // caller then reads the log back through it), else a path that is created
  // fresh (an existing file, symlink or FIFO there is removed first).
  int stdout_fd = -1;
  std::string stdout_path;
  std::string stderr_path;  // empty: stderr goes to stdout too
  // Descriptors the child inherits: {descriptor in the parent, number in the
  // child}. Every other descriptor is closed on exec.
  std::vector<std::pair<int, int>> pass_fds;
  ResourceLimits limits;
  // When the grader runs as root: the child switches to this uid and gid
  // (no supplementary groups) before exec. 0: keep the grader's.
  uint32_t run_as_uid = 0;
  int timeout_seconds = 0;  // 0: no limit
  // setsid() the child and kill its whole process group on timeout and after
  // it exits (stray grandchildren). Off for Bazel, so Ctrl-C reaches it.
  bool own_session = true;
  uint64_t max_output_bytes = 0;  // RLIMIT_FSIZE; 0: unlimited
};

struct ProcessResult {
  bool exited = false;  // normal exit; exit_code is valid
  int exit_code = -1;
  int signal = 0;  // the signal that killed it, if any
  bool timed_out = false;
  bool interrupted = false;  // RequestStop() was called while it ran
  double seconds = 0;
};

// Runs a process to completion (or timeout). An error means it could not be
// started at all (bad path, unwritable log, fork failure).
absl::StatusOr<ProcessResult> RunProcess(const ProcessSpec& spec);

// Asks the running RunProcess (if any) to kill its child and return; safe to
// call from a signal handler (Ctrl-C in the grader).
void RequestStop();
bool StopRequested();

// "SIGSEGV", "SIGABRT", ..., or "signal 42".
std::string SignalName(int signal);

// What grader/verdict's record says (see verdict_listener.cc for the format).
struct VerdictRecord {
  bool complete = false;  // header and "end N" line present and consistent
  // "Suite.Name" -> "passed" | "failed" | "skipped", in the order they ran.
  std::vector<std::pair<std::string, std::string>> tests;
};
VerdictRecord ParseVerdictRecord(const std::string& text);

// The uid and gid sandboxed tests run as (nobody/nogroup on Debian).
inline constexpr uint32_t kSandboxUid = 65534;

// Limits every sandboxed test gets.
inline constexpr uint64_t kTestAddressSpaceBytes = 4ull << 30;
inline constexpr uint64_t kTestMaxProcesses = 256;
inline constexpr uint64_t kTestOpenFiles = 256;
inline constexpr uint64_t kTestTmpfsBytes = 64ull << 20;

// The bubblewrap command line that runs `binary_in_sandbox` with `args`:
// new namespaces, read-only system directories, `job_dir`'s bin/ read-only
// at /job/bin, its artifacts/ writable at /job/artifacts, a private tmpfs at
// /tmp, a read-only root, no network, killed with its parent. Exposed for
// tests.
std::vector<std::string> SandboxArgv(const std::string& job_dir, const std::string& command,
                                     const std::vector<std::string>& args);

// Whether bubblewrap can be run (an error says why not and what to install).
absl::Status CheckSandbox();

struct GtestSpec {
  std::string binary;         // absolute path of the test binary
  std::string gtest;          // exact "Suite.Name"
  std::string target;         // Bazel label, for TEST_TARGET and messages
  std::string log_path;       // stdout+stderr
  std::string artifacts_dir;  // where the test's artifacts are copied (created)
  std::string temp_parent;    // where the job dir is made; empty: $TMPDIR or /tmp
  int timeout_seconds = 60;
};

struct GtestOutcome {
  bool passed = false;
  // One line for people: "" when passed, else e.g. "timed out after 60s",
  // "crashed with SIGSEGV", "test not found in //x:y (rubric out of date?)".
  std::string reason;
  double seconds = 0;
  bool interrupted = false;
  std::string log_tail;  // the last part of the log (enough for results.json)
  // A failed test was run a second time and passed: the verdict depends on
  // something other than the seed.
  bool nondeterministic = false;
};

// Runs one test case: `binary --gtest_filter=<gtest>` in the sandbox (see
// SandboxArgv) with a fresh job dir and a clean environment (so an
// instructor's AURORALAB_SEEDS or GTEST_REPEAT cannot change grades). The
// binary is copied into the job dir first, so nothing can swap it while it
// runs. Passes only if the verdict record names exactly this one test as
// passed and the process exits 0. Only regular files and folders of the
// test's artifacts are copied to `artifacts_dir`, within size limits. An
// error is the grader's own failure (no temp dir, no log, no bubblewrap),
// never the test's.
absl::StatusOr<GtestOutcome> RunGtest(const GtestSpec& spec);

// RunGtest, and when the test fails (not by timeout or interruption), once
// more: if the second run passes, the outcome is a failure marked
// nondeterministic, with the usual causes in its reason.
absl::StatusOr<GtestOutcome> RunGtestCheckingDeterminism(const GtestSpec& spec);

// Decides a verdict from a finished process and its verdict record (the raw
// text read from the verdict pipe); exposed for tests.
GtestOutcome JudgeGtest(const ProcessResult& process, const std::string& verdict,
                        const GtestSpec& spec);

// The last `max_bytes` of a file ("" if unreadable). The file is opened with
// O_NOFOLLOW | O_NONBLOCK and must be a regular file: a planted symlink or
// FIFO yields "".
std::string ReadFileTail(const std::string& path, size_t max_bytes);

// The last `max_bytes` of what an open descriptor holds (pread from its end).
std::string ReadFdTail(int fd, size_t max_bytes);

// Opens `path` for reading and writing as a new, empty regular file: whatever is there
// (file, symlink, FIFO) is unlinked first and the open uses O_EXCL and
// O_NOFOLLOW, so nothing planted there can redirect the write.
absl::StatusOr<int> CreateFreshFile(const std::string& path);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_RUNNER_H_
