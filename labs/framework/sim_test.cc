#include "labs/framework/sim_test.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/trace_view.h"
#include "tools/build/linked_implementation.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

namespace auroralab {
namespace {

uint64_t current_seed = 0;
// Whether RunSeeds already printed a replay command for the running test.
bool replay_printed = false;

// ---------------------------------------------------------------------------
// Crash reporting: what a seed that takes the process down prints.

// The world of the seed now running, and its report's first lines, written
// before the seed starts so that the signal handler only has to write(2)
// them.
World* running_world = nullptr;
char crash_report[4096] = "";
constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM};
struct sigaction previous_actions[sizeof(kCrashSignals) / sizeof(kCrashSignals[0])];

void WriteStderr(const char* text) {
  for (size_t left = std::strlen(text); left > 0;) {
    const ssize_t n = write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

void RestorePreviousHandlers() {
  for (size_t i = 0; i < sizeof(kCrashSignals) / sizeof(kCrashSignals[0]); ++i) {
    sigaction(kCrashSignals[i], &previous_actions[i], nullptr);
  }
}

// Prints the crashing seed's report. The replay lines come first and are
// async-signal-safe; writing the trace is best effort (it allocates), and
// runs with the previous handlers back in place, so a second crash while
// writing it simply ends the process.
void ReportCrash(const char* what) {
  World* world = running_world;
  running_world = nullptr;  // once
  if (world == nullptr) return;
  WriteStderr("\n[auroralab] CRASHED (");
  WriteStderr(what);
  WriteStderr(") ");
  WriteStderr(crash_report);
  const std::string trace_path = ArtifactPath("trace.jsonl");
  const absl::Status written = world->trace().WriteJsonLines(trace_path);
  const std::string tail = world->trace().Tail(15);
  const std::string rest = absl::StrCat(
      "[auroralab] trace:  ", written.ok() ? DisplayPath(trace_path) : written.message(),
      "\n[auroralab] virtual time at the crash: ", FormatTime(world->Now()),
      "\n[auroralab] last events:\n", tail.empty() ? "(none)\n" : tail);
  WriteStderr(rest.c_str());
}

void OnCrashSignal(int sig, siginfo_t* info, void*) {
  RestorePreviousHandlers();
  ReportCrash(sigabbrev_np(sig) != nullptr ? sigabbrev_np(sig) : "signal");
  // A fault re-runs its instruction under the previous handler when this
  // returns; a signal that was sent (abort, kill, Bazel's timeout) is sent
  // again.
  const bool fault = sig != SIGABRT && sig != SIGTERM && info != nullptr && info->si_code > 0;
  if (!fault) raise(sig);
}

#ifdef __SANITIZE_ADDRESS__
void OnSanitizerDeath() { ReportCrash("AddressSanitizer report above"); }
#endif

void InstallCrashReporter() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_sigaction = OnCrashSignal;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < sizeof(kCrashSignals) / sizeof(kCrashSignals[0]); ++i) {
    sigaction(kCrashSignals[i], &action, &previous_actions[i]);
  }
#ifdef __SANITIZE_ADDRESS__
  __sanitizer_set_death_callback(OnSanitizerDeath);
#endif
}

// What to show when the trace has no events to list.
std::string LastEvents(const Trace& trace) {
  const std::string tail = trace.Tail(15);
  if (!tail.empty()) return tail;
  if (!trace.keep_events()) return "(none kept: this run keeps no trace events)\n";
  return "(none: the failure came before the simulation ran any event, e.g. while the test "
         "was building its world or nodes; see the failure message above)\n";
}

bool EnvNumber(const char* name, uint64_t* value) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return false;
  // SimpleAtoi clobbers its output on failure; keep the caller's default.
  uint64_t parsed = 0;
  if (!absl::SimpleAtoi(text, &parsed)) {
    std::fprintf(stderr, "auroralab: ignoring %s=%s (not a number)\n", name, text);
    return false;
  }
  *value = parsed;
  return true;
}

// Failed assertions recorded so far in the running test. Counting them (not
// just asking HasFailure()) lets the runner see a seed fail even when the
// test had already failed before.
int FailureCount() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return ::testing::Test::HasFailure() ? 1 : 0;
  const ::testing::TestResult* result = info->result();
  int failures = 0;
  for (int i = 0; i < result->total_part_count(); ++i) {
    failures += result->GetTestPartResult(i).failed();
  }
  return failures;
}

std::string CurrentTestName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "unknown";
  return absl::StrCat(info->test_suite_name(), ".", info->name());
}

// Writes the trace viewer page next to a failing seed's trace, linked with
// the run's linearizability page if the test wrote one; returns the line to
// print about it.
std::string WriteViewerPage(const std::string& trace_path, uint64_t seed) {
  TraceViewOptions options;
  options.title = absl::StrCat(CurrentTestName(), " seed ", seed);
  options.jsonl_file = trace_path;
  if (const std::string history = ArtifactPath("linearizability.html");
      std::filesystem::exists(history)) {
    options.linearizability_page = history;
  }
  const std::string page = ArtifactPath("trace.html");
  const absl::Status written = WriteTraceViewHtmlFromFile(trace_path, page, options);
  return absl::StrCat(
      "[auroralab] viewer: ", written.ok() ? DisplayPath(page) : std::string(written.message()),
      written.ok() ? "  (open it in a browser)" : "", "\n");
}

}  // namespace

std::string DisplayPath(const std::string& path) {
  const char* target = std::getenv("TEST_TARGET");
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (std::getenv("TEST_SRCDIR") == nullptr || target == nullptr || outputs == nullptr) {
    return path;
  }
  std::string label = target;
  if (label.rfind("//", 0) == 0) label = label.substr(2);
  const size_t colon = label.find(':');
  if (colon != std::string::npos) label[colon] = '/';
  const std::string outputs_dir = outputs;
  if (path.rfind(outputs_dir, 0) != 0) return path;
  return absl::StrCat("bazel-testlogs/", label, "/test.outputs", path.substr(outputs_dir.size()));
}

std::vector<uint64_t> SeedsToRun(int default_seeds) {
  uint64_t seed = 0;
  if (EnvNumber("AURORALAB_SEED", &seed)) return {seed};
  uint64_t count = static_cast<uint64_t>(default_seeds);
  EnvNumber("AURORALAB_SEEDS", &count);
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= count; ++s) seeds.push_back(s);
  return seeds;
}

uint64_t CurrentSeed() { return current_seed; }

std::string ReplayCommand(std::optional<uint64_t> seed) {
  const std::string test = CurrentTestName();
  // Bazel sets TEST_TARGET; the grader sets it too when it runs a binary.
  const char* target = std::getenv("TEST_TARGET");
  if (target != nullptr && *target != '\0') {
    // Which implementation this binary links, so the replay tests the same
    // code (none for tests that link no lab).
    const std::string impl = LinkedImplementation();
    return absl::StrCat("./lab test ", target, impl.empty() ? "" : " --impl=", impl,
                        seed.has_value() ? absl::StrCat(" --seed=", *seed) : "",
                        " --filter=", test);
  }
  return absl::StrCat(seed.has_value() ? absl::StrCat("AURORALAB_SEED=", *seed, " ") : "",
                      "<test binary> --gtest_filter=", test);
}

std::string ArtifactPath(std::string_view suffix) {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string base = dir != nullptr && *dir != '\0' ? dir : ::testing::TempDir();
  return absl::StrCat(base, "/", CurrentTestName(), ".seed", current_seed, ".", std::string(suffix));
}

void RunSeeds(const WorldOptions& options, const std::function<void(World&)>& scenario,
              int default_seeds) {
  const std::vector<uint64_t> seeds = SeedsToRun(default_seeds);
  if (seeds.empty()) {
    ADD_FAILURE() << "no seeds to run (AURORALAB_SEEDS=0): a run of zero seeds tests nothing; "
                     "use --seeds=K with K >= 1, or --seed=S for one seed";
    return;
  }
  for (uint64_t seed : seeds) {
    const int failures_before = FailureCount();
    current_seed = seed;
    WorldOptions seeded = options;
    seeded.seed = seed;
    World world(seeded);
    // Ready before the seed runs, in case it takes the process down.
    std::snprintf(crash_report, sizeof(crash_report), "with seed %llu.\n[auroralab] replay: %s\n",
                  static_cast<unsigned long long>(seed), ReplayCommand(seed).c_str());
    running_world = &world;
    {
      SCOPED_TRACE(absl::StrCat("seed=", seed));
      scenario(world);
    }
    running_world = nullptr;
    if (FailureCount() > failures_before) {
      const std::string trace_path = ArtifactPath("trace.jsonl");
      const absl::Status written = world.trace().WriteJsonLines(trace_path);
      const std::string shown_path = DisplayPath(trace_path);
      const std::string viewer = written.ok() ? WriteViewerPage(trace_path, seed) : "";
      std::fprintf(stderr,
                   "\n[auroralab] FAILED with seed %llu at virtual time %s.\n"
                   "[auroralab] replay: %s\n"
                   "[auroralab] trace:  %s\n"
                   "%s"
                   "[auroralab] last events:\n%s\n",
                   static_cast<unsigned long long>(seed), FormatTime(world.Now()).c_str(),
                   ReplayCommand(seed).c_str(),
                   written.ok() ? shown_path.c_str() : std::string(written.message()).c_str(),
                   viewer.c_str(), LastEvents(world.trace()).c_str());
      current_seed = 0;
      replay_printed = true;
      return;
    }
  }
  current_seed = 0;
}

namespace {

// Gives every failing test a replay line, including tests that do not go
// through RunSeeds (their runs do not depend on an outside seed).
class ReplayPrinter : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { replay_printed = false; }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result() == nullptr || !info.result()->Failed() || replay_printed) return;
    std::fprintf(stderr, "[auroralab] replay: %s\n", ReplayCommand(std::nullopt).c_str());
  }
};

// Installed when a test binary that links this library starts.
const bool kReplayPrinterInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new ReplayPrinter);
  InstallCrashReporter();
  return true;
}();

}  // namespace

void RunSeeds(const std::function<void(World&)>& scenario, int default_seeds) {
  RunSeeds(WorldOptions(), scenario, default_seeds);
}

}  // namespace auroralab
