// Tests for the seeded scenario runner (sim_test.h):
//   - SeedsToRun honours AURORALAB_SEED / AURORALAB_SEEDS and ignores values
//     that are not numbers;
//   - ReplayCommand names the seed and the test, through TEST_TARGET when set;
//   - RunSeeds runs each seed once on a fresh World whose seed() is that
//     seed, with the given options, and labels every assertion with its seed;
//   - when a seed fails, the runner stops, prints the seed, the replay command
//     and the trace path, and writes the trace file; also when the test had
//     already failed before, and when the failure is fatal.
//
// The failing scenarios run in death-test children (EXPECT_EXIT): the runner
// notices a failure through the test's result, which gtest-spi's
// EXPECT_NONFATAL_FAILURE hides from it, and a failure recorded in this
// process would fail this test. EXPECT_NONFATAL_FAILURE is used where it fits:
// to check the seed label on the failure message itself.
#include "labs/framework/sim_test.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "labs/framework/world.h"

namespace auroralab {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Clears the runner's environment variables for the test and restores them
// afterwards (Bazel sets TEST_TARGET; ./lab may set the seeds).
class SimTestRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVars) {
      const char* value = std::getenv(name);
      saved_.push_back(value == nullptr ? std::nullopt : std::optional<std::string>(value));
    }
    unsetenv("AURORALAB_SEED");
    unsetenv("AURORALAB_SEEDS");
  }
  void TearDown() override {
    for (size_t i = 0; i < saved_.size(); ++i) {
      if (saved_[i].has_value()) {
        setenv(kVars[i], saved_[i]->c_str(), 1);
      } else {
        unsetenv(kVars[i]);
      }
    }
  }

  static constexpr const char* kVars[] = {"AURORALAB_SEED", "AURORALAB_SEEDS", "TEST_TARGET"};
  std::vector<std::optional<std::string>> saved_;
};

using SimTestRunnerDeathTest = SimTestRunner;

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

// ---------------------------------------------------------------------------
// Seeds from the environment.

TEST_F(SimTestRunner, SeedsDefaultToOneThroughN) {
  EXPECT_EQ(SeedsToRun(), Range(1, kDefaultSeeds));
  EXPECT_EQ(SeedsToRun(3), Range(1, 3));
  EXPECT_EQ(SeedsToRun(1), Range(1, 1));
}

TEST_F(SimTestRunner, AuroralabSeedsSetsHowManySeedsRun) {
  setenv("AURORALAB_SEEDS", "12", 1);
  EXPECT_EQ(SeedsToRun(), Range(1, 12));
  EXPECT_EQ(SeedsToRun(3), Range(1, 12));
}

TEST_F(SimTestRunner, AuroralabSeedRunsOnlyThatSeed) {
  setenv("AURORALAB_SEED", "1234", 1);
  EXPECT_EQ(SeedsToRun(), std::vector<uint64_t>{1234});
  setenv("AURORALAB_SEEDS", "50", 1);  // a single seed wins over a count
  EXPECT_EQ(SeedsToRun(), std::vector<uint64_t>{1234});
}

TEST_F(SimTestRunner, ValuesThatAreNotNumbersAreIgnored) {
  setenv("AURORALAB_SEED", "abc", 1);
  EXPECT_EQ(SeedsToRun(), Range(1, kDefaultSeeds));
  setenv("AURORALAB_SEED", "", 1);
  EXPECT_EQ(SeedsToRun(), Range(1, kDefaultSeeds));
  setenv("AURORALAB_SEEDS", "lots", 1);
  EXPECT_EQ(SeedsToRun(), Range(1, kDefaultSeeds));
  EXPECT_EQ(SeedsToRun(2), Range(1, 2));
}

// ---------------------------------------------------------------------------
// Replay commands.

TEST_F(SimTestRunner, ReplayCommandUsesTestTargetWhenSet) {
  setenv("TEST_TARGET", "//labs/quorum_kv:kv_test", 1);
  EXPECT_THAT(ReplayCommand(77),
              AllOf(StartsWith("./lab test //labs/quorum_kv:kv_test "), HasSubstr("--seed=77"),
                    HasSubstr("SimTestRunner.ReplayCommandUsesTestTargetWhenSet")));
}

TEST_F(SimTestRunner, ReplayCommandWithoutTestTargetSetsTheSeedVariable) {
  unsetenv("TEST_TARGET");
  EXPECT_THAT(ReplayCommand(77),
              AllOf(HasSubstr("AURORALAB_SEED=77 "),
                    HasSubstr("--gtest_filter=SimTestRunner."
                              "ReplayCommandWithoutTestTargetSetsTheSeedVariable"),
                    Not(HasSubstr("./lab"))));
}

// ---------------------------------------------------------------------------
// Running seeds.

TEST_F(SimTestRunner, RunSeedsRunsEachSeedOnceOnAFreshWorld) {
  std::vector<uint64_t> seeds;
  EXPECT_EQ(CurrentSeed(), 0u);
  RunSeeds([&](World& world) {
    seeds.push_back(world.seed());
    EXPECT_EQ(CurrentSeed(), world.seed());
    EXPECT_EQ(world.Now(), 0);
    EXPECT_EQ(world.num_nodes(), 0);
    world.RunFor(Seconds(1));  // must not leak into the next seed's world
  });
  EXPECT_EQ(seeds, Range(1, kDefaultSeeds));
  EXPECT_EQ(CurrentSeed(), 0u);
}

TEST_F(SimTestRunner, RunSeedsHonoursTheEnvironmentAndDefaultCount) {
  std::vector<uint64_t> seeds;
  auto record = [&seeds](World& world) { seeds.push_back(world.seed()); };
  RunSeeds(record, /*default_seeds=*/2);
  EXPECT_EQ(seeds, Range(1, 2));
  seeds.clear();
  setenv("AURORALAB_SEEDS", "7", 1);
  RunSeeds(record);
  EXPECT_EQ(seeds, Range(1, 7));
  seeds.clear();
  setenv("AURORALAB_SEED", "4242", 1);
  RunSeeds(record);
  EXPECT_EQ(seeds, std::vector<uint64_t>{4242});
}

TEST_F(SimTestRunner, RunSeedsUsesTheOptionsButOverridesTheirSeed) {
  WorldOptions options;
  options.seed = 999;
  options.network.drop_request_probability = 1;
  options.keep_trace = false;
  std::vector<uint64_t> seeds;
  RunSeeds(options, [&](World& world) {
    seeds.push_back(world.seed());
    EXPECT_EQ(world.network().config().drop_request_probability, 1);
    EXPECT_FALSE(world.trace().keep_events());
  });
  EXPECT_EQ(seeds, Range(1, kDefaultSeeds));
}

TEST_F(SimTestRunner, ArtifactPathNamesTheTestAndSeed) {
  setenv("AURORALAB_SEED", "9", 1);
  std::string path;
  RunSeeds([&path](World&) { path = ArtifactPath("history.html"); });
  EXPECT_THAT(path, EndsWith("/SimTestRunner.ArtifactPathNamesTheTestAndSeed.seed9.history.html"));
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (outputs != nullptr && *outputs != '\0') {
    EXPECT_THAT(path, StartsWith(outputs));
  }
}

TEST_F(SimTestRunner, FailuresAreLabelledWithTheirSeed) {
  EXPECT_NONFATAL_FAILURE(
      RunSeeds([](World& world) { EXPECT_NE(world.seed(), 3u) << "deliberate failure"; }),
      "seed=3");
}

// ---------------------------------------------------------------------------
// What a failing seed leaves behind. Each scenario runs in a child process
// that exits with 10 + the number of seeds it ran.

// The trace path the runner uses for `seed` in the current test.
std::string TracePathFor(uint64_t seed) {
  setenv("AURORALAB_SEED", std::to_string(seed).c_str(), 1);
  std::string path;
  RunSeeds([&path](World&) { path = ArtifactPath("trace.jsonl"); });
  unsetenv("AURORALAB_SEED");
  return path;
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Escapes the characters of a file name that are special in a regex.
std::string RegexQuote(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '.' || c == '+' || c == '*' || c == '?' || c == '(' || c == ')' || c == '[' ||
        c == ']' || c == '$' || c == '^' || c == '|' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// A scenario that leaves a recognizable trace and fails on seed 2 only.
void FailOnSeedTwo(World& world, int* runs) {
  ++*runs;
  world.RunFor(Millis(3));
  world.trace().Record(world.Now(), TraceKind::kLog, -1, -1, "marker-before-failure");
  EXPECT_NE(world.seed(), 2u) << "deliberate failure";
}

TEST_F(SimTestRunnerDeathTest, FailingSeedStopsTheRunPrintsReplayInfoAndWritesTheTrace) {
  const std::string trace_path = TracePathFor(2);
  std::remove(trace_path.c_str());
  EXPECT_EXIT(
      {
        int runs = 0;
        RunSeeds([&runs](World& world) { FailOnSeedTwo(world, &runs); });
        std::fflush(stderr);
        std::_Exit(::testing::Test::HasFailure() ? 10 + runs : 1);
      },
      ::testing::ExitedWithCode(12),  // seeds 1 and 2 ran; 3..5 did not
      AllOf(HasSubstr("[auroralab] FAILED with seed 2 at virtual time 3.000ms"),
            HasSubstr("[auroralab] replay: " + ReplayCommand(2)),
            // The file itself; the directory may be shown as bazel-testlogs/.
            ContainsRegex("\\[auroralab\\] trace: +[^ ]*/" + RegexQuote(Basename(trace_path))),
            HasSubstr("marker-before-failure")));

  std::ifstream in(trace_path);
  ASSERT_TRUE(in.good()) << "no trace written at " << trace_path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) EXPECT_THAT(line, StartsWith("{\"t_us\":"));
  EXPECT_THAT(lines.back(), HasSubstr("\"detail\":\"marker-before-failure\""));
  std::remove(trace_path.c_str());
}

TEST_F(SimTestRunnerDeathTest, FailingSeedWritesAViewerPageLinkedWithTheHistoryPage) {
  const std::string trace_path = TracePathFor(2);
  const std::string stem =
      trace_path.substr(0, trace_path.size() - std::string("trace.jsonl").size());
  const std::string page = stem + "trace.html";
  std::remove(page.c_str());
  EXPECT_EXIT(
      {
        int runs = 0;
        RunSeeds([&runs](World& world) {
          // What a lab's linearizability check leaves for a failing seed.
          if (world.seed() == 2) std::ofstream(ArtifactPath("linearizability.html")) << "history";
          FailOnSeedTwo(world, &runs);
        });
        std::fflush(stderr);
        std::_Exit(::testing::Test::HasFailure() ? 10 + runs : 1);
      },
      ::testing::ExitedWithCode(12),
      ContainsRegex("\\[auroralab\\] viewer: +[^ ]*/" + RegexQuote(Basename(page))));
  std::ifstream in(page);
  ASSERT_TRUE(in.good()) << "no viewer page at " << page;
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_THAT(html.str(), HasSubstr("marker-before-failure"));
  EXPECT_THAT(html.str(),
              HasSubstr("\"linearizability\":\"" + Basename(stem) + "linearizability.html\""));
  for (const char* suffix : {"trace.jsonl", "trace.html", "linearizability.html"}) {
    std::remove((stem + suffix).c_str());
  }
}

TEST_F(SimTestRunnerDeathTest, FailingSeedIsReportedEvenIfTheTestHadFailedBefore) {
  EXPECT_EXIT(
      {
        ADD_FAILURE() << "an earlier, unrelated failure";
        int runs = 0;
        RunSeeds([&runs](World& world) { FailOnSeedTwo(world, &runs); });
        std::fflush(stderr);
        std::_Exit(10 + runs);
      },
      ::testing::ExitedWithCode(12), HasSubstr("[auroralab] FAILED with seed 2"));
}

TEST_F(SimTestRunnerDeathTest, FatalFailureEndsTheSeedAndIsReported) {
  EXPECT_EXIT(
      {
        int runs = 0;
        RunSeeds([&runs](World& world) {
          ++runs;
          ASSERT_NE(world.seed(), 1u) << "deliberate fatal failure";
          ++runs;  // not reached for seed 1
        });
        std::fflush(stderr);
        std::_Exit(10 + runs);
      },
      ::testing::ExitedWithCode(11), HasSubstr("[auroralab] FAILED with seed 1"));
}

TEST_F(SimTestRunnerDeathTest, PassingSeedsPrintNothing) {
  EXPECT_EXIT(
      {
        int runs = 0;
        RunSeeds([&runs](World&) { ++runs; });
        std::fflush(stderr);
        std::_Exit(::testing::Test::HasFailure() ? 1 : 10 + runs);
      },
      ::testing::ExitedWithCode(10 + kDefaultSeeds), Not(HasSubstr("[auroralab]")));
}

// Run only by the test below, in a child process: a failure outside RunSeeds.
TEST(SimTestSelfCheck, DISABLED_FailsOutsideRunSeeds) { ADD_FAILURE() << "deliberate failure"; }

TEST(SimTest, EveryFailingTestGetsAReplayLine) {
  char self[4096] = {};
  ASSERT_GT(readlink("/proc/self/exe", self, sizeof(self) - 1), 0);
  const std::string command =
      std::string("TEST_TARGET=//labs/framework:sim_test_test '") + self +
      "' --gtest_filter=SimTestSelfCheck.DISABLED_FailsOutsideRunSeeds "
      "--gtest_also_run_disabled_tests 2>&1";
  FILE* child = popen(command.c_str(), "r");
  ASSERT_NE(child, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), child)) output.append(buffer, n);
  const int status = pclose(child);
  EXPECT_NE(status, 0) << "the deliberately failing test passed";
  EXPECT_THAT(output, ::testing::HasSubstr("deliberate failure"));
  EXPECT_THAT(output, ::testing::HasSubstr(
                          "[auroralab] replay: ./lab test //labs/framework:sim_test_test"));
  EXPECT_THAT(output,
              ::testing::HasSubstr("--filter=SimTestSelfCheck.DISABLED_FailsOutsideRunSeeds"));
  EXPECT_THAT(output, ::testing::Not(::testing::HasSubstr("--seed=")))
      << "a test outside RunSeeds has no seed to replay";
}

// ---------------------------------------------------------------------------
// Crashes, seed 0, zero seeds, failures before any event.

void CrashOnSeedTwo(World& world, bool segfault) {
  world.RunFor(Millis(3));
  world.trace().Record(world.Now(), TraceKind::kLog, -1, -1, "marker-before-crash");
  if (world.seed() != 2) return;
  if (segfault) {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
  }
  std::abort();
}

TEST_F(SimTestRunnerDeathTest, AbortingSeedPrintsItsReplayCommandAndTrace) {
  const std::string trace_path = TracePathFor(2);
  std::remove(trace_path.c_str());
  EXPECT_DEATH(RunSeeds([](World& world) { CrashOnSeedTwo(world, /*segfault=*/false); }),
               AllOf(HasSubstr("[auroralab] CRASHED (ABRT) with seed 2."),
                     HasSubstr("[auroralab] replay: " + ReplayCommand(2)),
                     HasSubstr("marker-before-crash")));
  std::ifstream in(trace_path);
  ASSERT_TRUE(in.good()) << "no trace written at " << trace_path;
  std::string last;
  for (std::string line; std::getline(in, line);) last = line;
  EXPECT_THAT(last, HasSubstr("\"detail\":\"marker-before-crash\""));
  std::remove(trace_path.c_str());
}

TEST_F(SimTestRunnerDeathTest, SegfaultingSeedPrintsItsReplayCommand) {
  EXPECT_DEATH(RunSeeds([](World& world) { CrashOnSeedTwo(world, /*segfault=*/true); }),
               AllOf(HasSubstr("[auroralab] CRASHED (SEGV) with seed 2."),
                     HasSubstr("[auroralab] replay: " + ReplayCommand(2))));
}

TEST_F(SimTestRunner, SeedZeroReplaysAsSeedZero) {
  setenv("TEST_TARGET", "//labs/quorum_kv:kv_test", 1);
  EXPECT_THAT(ReplayCommand(0), HasSubstr(" --seed=0 "));
  EXPECT_THAT(ReplayCommand(std::nullopt), Not(HasSubstr("--seed")));
  unsetenv("TEST_TARGET");
  EXPECT_THAT(ReplayCommand(0), StartsWith("AURORALAB_SEED=0 "));
  setenv("AURORALAB_SEED", "0", 1);
  EXPECT_EQ(SeedsToRun(), std::vector<uint64_t>{0});
}

TEST_F(SimTestRunnerDeathTest, AFailingSeedZeroPrintsAReplayOfSeedZero) {
  setenv("AURORALAB_SEED", "0", 1);
  unsetenv("TEST_TARGET");
  EXPECT_EXIT(
      {
        RunSeeds([](World& world) { EXPECT_NE(world.seed(), 0u) << "deliberate failure"; });
        std::fflush(stderr);
        std::_Exit(3);
      },
      ::testing::ExitedWithCode(3),
      AllOf(HasSubstr("[auroralab] FAILED with seed 0"),
            HasSubstr("[auroralab] replay: AURORALAB_SEED=0 <test binary>")));
}

TEST_F(SimTestRunner, ZeroSeedsIsAFailureNotASilentPass) {
  setenv("AURORALAB_SEEDS", "0", 1);
  int runs = 0;
  EXPECT_NONFATAL_FAILURE(RunSeeds([&runs](World&) { ++runs; }), "no seeds to run");
  EXPECT_EQ(runs, 0);
}

TEST_F(SimTestRunnerDeathTest, AFailureBeforeAnyEventSaysSo) {
  EXPECT_EXIT(
      {
        RunSeeds([](World&) { ADD_FAILURE() << "deliberate failure during set-up"; });
        std::fflush(stderr);
        std::_Exit(3);
      },
      ::testing::ExitedWithCode(3),
      AllOf(HasSubstr("[auroralab] last events:\n(none: the failure came before the simulation "
                      "ran any event"),
            Not(HasSubstr("last events:\n\n"))));
}

}  // namespace
}  // namespace auroralab
