// Driving Bazel for the grader: build a lab's test targets, locate binaries,
// and condense a failed build's log into something a student can act on.
//
// Contract: Bazel runs as a child process with the workspace as cwd and its
// output captured to a log file; nothing here parses Bazel's output except
// SummarizeBuildLog, which is pure and only selects lines.
#ifndef AURORALAB_GRADER_BAZEL_H_
#define AURORALAB_GRADER_BAZEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grader/rubric.h"

namespace auroralab::grader {

// The memory limit of each compiler process in a grading build, in GiB. A
// template that instantiates without end (Tree<N> naming Tree<N-1> twice)
// eats memory faster than any time limit notices; GCC's constant-expression
// limits do not cover it. .bazelrc's `build:grading` holds
// CompilerMemoryLimitFlags(kDefaultCompilerMemoryGiB) (checked by
// bazel_test), so the default costs no extra flags; another limit is passed
// on the command line.
inline constexpr int kDefaultCompilerMemoryGiB = 4;
inline constexpr int kMaxCompilerMemoryGiB = 1024;

// Bazel flags that run every subprocess of GCC (cc1plus, as) under
// `ulimit -v` of `gib` GiB: GCC's -wrapper option with an inline /bin/sh
// script. No script file, so the compile commands (and the disk cache's
// keys) are the same in every staging folder; and no toolchain change, so
// the builds outside grading are untouched.
std::vector<std::string> CompilerMemoryLimitFlags(int gib);

// One line per compile in a Bazel build log that ran out of the compiler's
// memory limit: "the compiler ran out of its 4 GiB memory limit compiling
// skeleton/quorum_kv/client.cc". A hidden test is not named. Empty when no
// compile ran out of memory.
std::vector<std::string> CompilerMemoryFailures(const std::string& log, int gib);

struct BuildOutcome {
  bool ok = false;
  bool interrupted = false;
  double seconds = 0;
  std::string timeout;  // why a build that did not finish was stopped
};

// `bazel build <flags> -- <targets>` in `workspace`, output to `log_path`,
// stopped after `timeout_seconds`. An error means Bazel could not be run at
// all (the grader's failure); a build that fails, however it fails, is an
// outcome.
absl::StatusOr<BuildOutcome> BazelBuild(const std::string& workspace,
                                        const std::vector<std::string>& flags,
                                        const std::vector<std::string>& targets,
                                        const std::string& log_path, int timeout_seconds);

// `bazel info <flags> <key>` in `workspace`, e.g. key "bazel-bin". Bazel's
// stderr goes to `log_path` and is quoted on failure.
absl::StatusOr<std::string> BazelInfo(const std::string& workspace,
                                      const std::vector<std::string>& flags, const std::string& key,
                                      const std::string& log_path);

// `log` without what it says about files under grader/hidden/: each run of
// such lines and their source excerpts becomes one "withheld" line, so a
// build error shown to students never quotes a hidden test.
std::string WithholdHiddenSource(const std::string& log);

// Compiler errors first (up to 20 distinct "error:" lines), then the last
// `tail_lines` lines of the log; hidden tests' code withheld.
std::string SummarizeBuildLog(const std::string& log, int tail_lines = 60);

// Where `label`'s binary lands under `bazel_bin`.
std::string BinaryPath(const std::string& bazel_bin, const Label& label);

// Whether `package` has a BUILD file under `workspace` (hidden tests are not
// part of a student handout).
bool PackageExists(const std::string& workspace, const std::string& package);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_BAZEL_H_
