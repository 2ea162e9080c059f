// Running untrusted processes: a generic subprocess runner with a wall-clock
// limit, and a GoogleTest runner that turns one test case into a verdict.
//
// Contract: nothing a child does (crash, hang, fork bomb-free spawning of
// grandchildren, flooding output, exiting early) can crash or stall the
// grader. Output goes to a log file, never through the grader's memory
// unbounded. Test processes get their own session so a timeout kills the
// whole process group. The grader is not a simulation: wall-clock time is
// the right clock here.
#ifndef AURORALAB_GRADER_RUNNER_H_
#define AURORALAB_GRADER_RUNNER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace auroralab::grader {

// A test's log may not grow beyond this (RLIMIT_FSIZE); a test that floods
// its output is killed by SIGXFSZ and reported as such.
inline constexpr uint64_t kMaxTestLogBytes = 64ull << 20;

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] without '/' is looked up in PATH
  std::string cwd;                // empty: the grader's cwd
  // The child's whole environment; nullopt inherits the grader's.
  std::optional<std::vector<std::string>> env;
  std::string stdout_path;  // required; truncated first
  std::string stderr_path;  // empty: stderr goes to stdout_path too
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

// What GoogleTest's summary lines say; -1 when a line is absent.
struct GtestSummary {
  int ran = -1;      // "[==========] N tests from M test suites ran."
  int passed = -1;   // "[  PASSED  ] N tests."
  int failed = -1;   // "[  FAILED  ] N tests, listed below:"
  int skipped = -1;  // "[  SKIPPED ] N tests, listed below:"
};
GtestSummary ParseGtestSummary(const std::string& output);

struct GtestSpec {
  std::string binary;         // absolute path of the test binary
  std::string gtest;          // exact "Suite.Name"
  std::string target;         // Bazel label, for TEST_TARGET and messages
  std::string log_path;       // stdout+stderr
  std::string artifacts_dir;  // TEST_UNDECLARED_OUTPUTS_DIR (created)
  std::string temp_parent;    // where the fresh cwd/TEST_TMPDIR is made; empty: $TMPDIR or /tmp
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
};

// Runs one test case: `binary --gtest_filter=<gtest>` in a fresh temp dir
// with a clean environment (so an instructor's AURORALAB_SEEDS or
// GTEST_REPEAT cannot change grades). Passes only if the process exits 0 and
// GoogleTest reports exactly one test run and passed. An error is the
// grader's own failure (no temp dir, no log, no fork), never the test's.
absl::StatusOr<GtestOutcome> RunGtest(const GtestSpec& spec);

// Decides a verdict from a finished process and its output; exposed for tests.
GtestOutcome JudgeGtest(const ProcessResult& process, const std::string& output,
                        const GtestSpec& spec);

// The last `max_bytes` of a file ("" if unreadable).
std::string ReadFileTail(const std::string& path, size_t max_bytes);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_RUNNER_H_
