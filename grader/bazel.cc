// Implementation of bazel.h.
#include "grader/bazel.h"

#include <filesystem>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grader/runner.h"

namespace auroralab::grader {
namespace {

// Flags every grader invocation of Bazel gets: plain-text logs.
std::vector<std::string> BazelArgv(const std::string& command) {
  return {"bazel", command, "--curses=no", "--color=no"};
}

bool IsErrorLine(const std::string& line) {
  return line.find("error:") != std::string::npos || line.rfind("ERROR:", 0) == 0;
}

// What GCC prints when an allocation fails: libiberty's xmalloc ("out of
// memory allocating N bytes", "virtual memory exhausted").
bool IsOutOfMemoryLine(absl::string_view line) {
  return absl::StrContains(line, "virtual memory exhausted") ||
         absl::StrContains(line, "out of memory allocating");
}

}  // namespace

std::vector<std::string> CompilerMemoryLimitFlags(int gib) {
  const long long kib = static_cast<long long>(gib) << 20;
  // GCC splits the -wrapper value at commas: program, then its arguments.
  // The script therefore has no comma; "$0" is the subprocess, "$@" its
  // arguments.
  return {"--copt=-wrapper",
          absl::StrCat("--copt=/bin/sh,-c,ulimit -v ", kib, " && exec \"$0\" \"$@\"")};
}

std::vector<std::string> CompilerMemoryFailures(const std::string& log, int gib) {
  std::vector<std::string> failures;
  std::set<std::string> seen;
  // Bazel 4: "ERROR: <BUILD>:1:11: Compiling <file> failed: (Exit 1): ...",
  // then the compiler's output.
  constexpr absl::string_view kCompiling = ": Compiling ";
  std::string compiling;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StartsWith(line, "ERROR: ")) {
      compiling.clear();
      const size_t start = line.find(kCompiling);
      const size_t end = line.find(" failed", start);
      if (start != absl::string_view::npos && end != absl::string_view::npos) {
        const size_t file = start + kCompiling.size();
        compiling = std::string(line.substr(file, end - file));
      }
      continue;
    }
    // Bazel's own lines end the compiler's output.
    if (absl::StartsWith(line, "INFO: ") || absl::StartsWith(line, "WARNING: ") ||
        absl::StartsWith(line, "Target ")) {
      compiling.clear();
    }
    if (compiling.empty() || !IsOutOfMemoryLine(line)) continue;
    const std::string what = absl::StartsWith(compiling, "grader/hidden/")
                                 ? std::string("a hidden test (it includes your headers)")
                                 : compiling;
    if (seen.insert(what).second) {
      failures.push_back(
          absl::StrCat("the compiler ran out of its ", gib, " GiB memory limit compiling ", what));
    }
  }
  return failures;
}

absl::StatusOr<BuildOutcome> BazelBuild(const std::string& workspace,
                                        const std::vector<std::string>& flags,
                                        const std::vector<std::string>& targets,
                                        const std::string& log_path, int timeout_seconds) {
  ProcessSpec spec;
  spec.argv = BazelArgv("build");
  // --keep_going: show the student every compile error, not just the first.
  spec.argv.insert(spec.argv.end(), {"--noshow_progress", "--keep_going"});
  spec.argv.insert(spec.argv.end(), flags.begin(), flags.end());
  spec.argv.push_back("--");
  spec.argv.insert(spec.argv.end(), targets.begin(), targets.end());
  spec.cwd = workspace;
  spec.stdout_path = log_path;
  spec.timeout_seconds = timeout_seconds;
  // Bazel stays in the grader's process group so Ctrl-C reaches it too.
  spec.own_session = false;
  absl::StatusOr<ProcessResult> result = RunProcess(spec);
  if (!result.ok()) return result.status();
  BuildOutcome outcome;
  outcome.seconds = result->seconds;
  outcome.interrupted = result->interrupted;
  outcome.ok = result->exited && result->exit_code == 0;
  if (result->timed_out) {
    outcome.timeout = absl::StrCat(
        "the build was stopped at its time limit of ", timeout_seconds,
        "s (code that takes that long to compile: a constant expression or template that "
        "computes too much)");
  }
  return outcome;
}

absl::StatusOr<std::string> BazelInfo(const std::string& workspace,
                                      const std::vector<std::string>& flags, const std::string& key,
                                      const std::string& log_path) {
  ProcessSpec spec;
  spec.argv = BazelArgv("info");
  spec.argv.insert(spec.argv.end(), flags.begin(), flags.end());
  spec.argv.push_back(key);
  spec.cwd = workspace;
  spec.stdout_path = log_path + ".stdout";
  spec.stderr_path = log_path;
  spec.timeout_seconds = 600;
  spec.own_session = false;
  absl::StatusOr<ProcessResult> result = RunProcess(spec);
  std::string value = ReadFileTail(spec.stdout_path, 64 << 10);
  std::error_code error;
  std::filesystem::remove(spec.stdout_path, error);
  if (!result.ok()) return result.status();
  if (!result->exited || result->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("`bazel info ", key, "` failed in ", workspace,
                                               ":\n", ReadFileTail(log_path, 4096)));
  }
  value = std::string(absl::StripAsciiWhitespace(value));
  if (value.empty() || value.find('\n') != std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat("unexpected `bazel info ", key, "` output: ", value));
  }
  return value;
}

std::string WithholdHiddenSource(const std::string& log) {
  std::vector<std::string> kept;
  bool in_hidden = false;  // the last diagnostic was about a hidden file
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    const absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(line);
    size_t digits = 0;
    while (digits < trimmed.size() && absl::ascii_isdigit(trimmed[digits])) ++digits;
    // GCC's source excerpts: "   12 |   code" and "      |   ^~~~".
    const bool excerpt =
        absl::StartsWith(trimmed.substr(digits), " |") || absl::StartsWith(trimmed, "|");
    if (absl::StrContains(line, "grader/hidden/")) {
      if (!in_hidden) kept.push_back("[a message about a hidden test's code: withheld]");
      in_hidden = true;
    } else if (!(excerpt && in_hidden)) {
      in_hidden = false;
      kept.push_back(std::string(line));
    }
  }
  return absl::StrJoin(kept, "\n");
}

std::string SummarizeBuildLog(const std::string& raw_log, int tail_lines) {
  const std::string log = WithholdHiddenSource(raw_log);
  std::vector<std::string> lines = absl::StrSplit(log, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::vector<std::string> errors;
  std::set<std::string> seen;
  for (const std::string& line : lines) {
    if (IsErrorLine(line) && seen.insert(line).second) {
      errors.push_back(line);
      if (errors.size() == 20) break;
    }
  }
  std::string summary;
  if (!errors.empty()) {
    absl::StrAppend(&summary, "Errors:\n", absl::StrJoin(errors, "\n"), "\n\n");
  }
  const size_t first =
      lines.size() > static_cast<size_t>(tail_lines) ? lines.size() - tail_lines : 0;
  absl::StrAppend(&summary, first > 0
                                ? absl::StrCat("Last ", tail_lines, " lines of the build log:\n")
                                : std::string("Build log:\n"));
  for (size_t i = first; i < lines.size(); ++i) absl::StrAppend(&summary, lines[i], "\n");
  return summary;
}

std::string BinaryPath(const std::string& bazel_bin, const Label& label) {
  std::filesystem::path path(bazel_bin);
  if (!label.package.empty()) path /= label.package;
  return (path / label.name).string();
}

bool PackageExists(const std::string& workspace, const std::string& package) {
  std::error_code error;
  const std::filesystem::path dir = std::filesystem::path(workspace) / package;
  return std::filesystem::is_regular_file(dir / "BUILD", error) ||
         std::filesystem::is_regular_file(dir / "BUILD.bazel", error);
}

}  // namespace auroralab::grader
