// Tests of runner.h against grader/testdata/fake_test, a GoogleTest binary
// whose cases pass, fail, hang, crash, skip, exit early, forge verdicts and
// probe the sandbox on purpose.
#include "grader/runner.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whether `pid` is gone (or a zombie nobody reaped: dead all the same).
bool ProcessIsDead(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

class RunGtestTest : public ::testing::Test {
 protected:
  GtestSpec Spec(const std::string& gtest, int timeout_seconds = 20) {
    const std::string base = std::getenv("TEST_TMPDIR");
    GtestSpec spec;
    spec.binary = absl::StrCat(std::getenv("TEST_SRCDIR"), "/auroralab/grader/testdata/fake_test");
    spec.gtest = gtest;
    spec.target = "//grader/testdata:fake_test";
    spec.log_path = absl::StrCat(base, "/logs/", gtest, ".log");
    spec.artifacts_dir = absl::StrCat(base, "/artifacts/", gtest);
    spec.temp_parent = base;
    spec.timeout_seconds = timeout_seconds;
    return spec;
  }

  // RunGtest, which must not fail with a grader error here.
  GtestOutcome Run(const GtestSpec& spec) {
    absl::StatusOr<GtestOutcome> outcome = RunGtest(spec);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.value_or(GtestOutcome());
  }
};

TEST_F(RunGtestTest, Passes) {
  const GtestSpec spec = Spec("Fake.Passes");
  const GtestOutcome outcome = Run(spec);
  EXPECT_TRUE(outcome.passed) << outcome.reason << "\n" << outcome.log_tail;
  EXPECT_EQ(outcome.reason, "");
  EXPECT_THAT(outcome.log_tail, HasSubstr("fake: all good"));
  EXPECT_THAT(ReadFile(spec.log_path), HasSubstr("[  PASSED  ] 1 test."));
}

TEST_F(RunGtestTest, Fails) {
  const GtestOutcome outcome = Run(Spec("Fake.Fails"));
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "test failed");
  EXPECT_THAT(outcome.log_tail, HasSubstr("arithmetic is broken"));
}

// Whether a process whose command line contains `needle` is running.
bool ProcessRunning(const std::string& needle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(entry.path().string() + "/cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(needle) != std::string::npos && ProcessIsDead(std::stoi(name)) == false) {
      return true;
    }
  }
  return false;
}

TEST_F(RunGtestTest, HangIsKilledWithEveryProcessOfTheSandbox) {
  const GtestSpec spec = Spec("Fake.Hangs", /*timeout_seconds=*/2);
  const GtestOutcome outcome = Run(spec);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "timed out after 2s");
  EXPECT_GE(outcome.seconds, 2.0);
  EXPECT_LT(outcome.seconds, 10.0);
  ASSERT_FALSE(ReadFile(spec.artifacts_dir + "/grandchild.started").empty())
      << "the fake test did not start its grandchild";
  // The grandchild left the session; the PID namespace still ends it.
  bool survived = true;
  for (int i = 0; i < 100 && (survived = ProcessRunning("sleep 4242")); ++i) usleep(10000);
  EXPECT_FALSE(survived) << "the grandchild outlived the sandbox";
}

TEST_F(RunGtestTest, PrintedSuccessLinesAndExitZeroAreNotAVerdict) {
  const GtestOutcome outcome = Run(Spec("Fake.ForgesAVerdict"));
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "exited before GoogleTest reported a result");
  EXPECT_THAT(outcome.log_tail, HasSubstr("[  PASSED  ] 1 test."));
}

TEST_F(RunGtestTest, TheSandboxHidesTheHostAndTheNetwork) {
  const GtestSpec spec = Spec("Fake.ProbesTheSandbox");
  const GtestOutcome outcome = Run(spec);
  EXPECT_TRUE(outcome.passed) << outcome.reason << "\n" << outcome.log_tail;
  const std::string probe = ReadFile(spec.artifacts_dir + "/probe.txt");
  for (const char* hidden : {"/etc/passwd=hidden", "/root=hidden", "/home=hidden", "/work=hidden",
                             "/var=hidden", "uid=65534", "usr_writable=no", "network=no"}) {
    EXPECT_THAT(probe, HasSubstr(absl::StrCat(hidden, "\n")));
  }
  // bubblewrap's init is the test's parent, as seen from inside.
  EXPECT_THAT(probe, ::testing::ContainsRegex("parent_pid=[12]\n"));
}

TEST_F(RunGtestTest, PlantedLinksAndFifosAreNotCopiedOrFollowed) {
  const GtestSpec spec = Spec("Fake.PlantsLinksAndFifos");
  const GtestOutcome outcome = Run(spec);
  EXPECT_TRUE(outcome.passed) << outcome.reason;
  namespace fs = std::filesystem;
  EXPECT_EQ(ReadFile(spec.artifacts_dir + "/real.txt"), "a real file\n");
  for (const char* name : {"passwd", "loop", "fifo"}) {
    EXPECT_FALSE(fs::exists(fs::symlink_status(spec.artifacts_dir + "/" + name))) << name;
  }
}

TEST_F(RunGtestTest, AVerdictThatChangesOnARerunIsReportedAsNondeterministic) {
  // Fake.FlipsACoin fails and then passes with probability 1/4 per try; 80
  // tries all missing that has probability (3/4)^80, about 1e-10.
  bool flagged = false;
  for (int i = 0; i < 80 && !flagged; ++i) {
    const absl::StatusOr<GtestOutcome> outcome =
        RunGtestCheckingDeterminism(Spec("Fake.FlipsACoin"));
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    if (!outcome->nondeterministic) continue;
    flagged = true;
    EXPECT_FALSE(outcome->passed);
    EXPECT_THAT(outcome->reason,
                HasSubstr("NONDETERMINISTIC: a second run of the same seeds passed"));
    EXPECT_THAT(outcome->reason, HasSubstr("ctx().rng()"));
  }
  EXPECT_TRUE(flagged) << "80 tries never saw a failure followed by a pass";
}

TEST_F(RunGtestTest, ADeterministicFailureIsNotCalledNondeterministic) {
  const absl::StatusOr<GtestOutcome> outcome = RunGtestCheckingDeterminism(Spec("Fake.Fails"));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE(outcome->nondeterministic);
  EXPECT_EQ(outcome->reason, "test failed");
}

TEST(JudgeGtest, OnlyACompleteRecordForThisTestWithExitZeroPasses) {
  GtestSpec spec;
  spec.gtest = "A.B";
  spec.target = "//x:y";
  ProcessResult exited0;
  exited0.exited = true;
  exited0.exit_code = 0;
  const std::string pass = "auroralab-verdict 1\ntest A.B passed\nend 1\n";
  EXPECT_TRUE(JudgeGtest(exited0, pass, spec).passed);
  // Truncated, wrong count, other test, exit status 1, killed.
  EXPECT_FALSE(JudgeGtest(exited0, "auroralab-verdict 1\ntest A.B passed\n", spec).passed);
  EXPECT_FALSE(JudgeGtest(exited0, "auroralab-verdict 1\ntest A.B passed\nend 2\n", spec).passed);
  EXPECT_EQ(JudgeGtest(exited0, "auroralab-verdict 1\ntest A.C passed\nend 1\n", spec).reason,
            "ran A.C instead of A.B");
  ProcessResult exited1 = exited0;
  exited1.exit_code = 1;
  EXPECT_THAT(JudgeGtest(exited1, pass, spec).reason, HasSubstr("exited with status 1"));
  ProcessResult killed;
  killed.signal = SIGKILL;
  EXPECT_EQ(JudgeGtest(killed, pass, spec).reason, "crashed with SIGKILL");
  EXPECT_EQ(JudgeGtest(exited0, "auroralab-verdict 1\nend 0\n", spec).reason,
            "test not found in //x:y (rubric out of date?)");
}

TEST_F(RunGtestTest, CrashIsReportedBySignalName) {
  const GtestOutcome outcome = Run(Spec("Fake.Crashes"));
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "crashed with SIGSEGV");
}

TEST_F(RunGtestTest, UnknownTestIsNotFound) {
  const GtestOutcome outcome = Run(Spec("Fake.DoesNotExist"));
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "test not found in //grader/testdata:fake_test (rubric out of date?)");
}

TEST_F(RunGtestTest, SkippedTestFails) {
  const GtestOutcome outcome = Run(Spec("Fake.Skipped"));
  EXPECT_FALSE(outcome.passed);
  EXPECT_THAT(outcome.reason, HasSubstr("skipped"));
}

TEST_F(RunGtestTest, ExitZeroWithoutVerdictFails) {
  const GtestOutcome outcome = Run(Spec("Fake.ExitsEarly"));
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "exited before GoogleTest reported a result");
}

TEST_F(RunGtestTest, FilterMatchingSeveralTestsFails) {
  const GtestOutcome outcome = Run(Spec("Fake.*Passes"));
  EXPECT_FALSE(outcome.passed);
  EXPECT_THAT(outcome.reason, HasSubstr("expected exactly one"));
}

TEST_F(RunGtestTest, CleanEnvironmentAndFreshTempDir) {
  ::setenv("AURORALAB_SEEDS", "1000", 1);  // must not leak into the test
  const GtestSpec spec = Spec("Fake.ReportsEnvironment");
  const GtestOutcome outcome = Run(spec);
  ::unsetenv("AURORALAB_SEEDS");
  EXPECT_TRUE(outcome.passed) << outcome.reason << "\n" << outcome.log_tail;
  const std::string env = ReadFile(spec.artifacts_dir + "/env.txt");
  EXPECT_THAT(env, HasSubstr("TEST_TARGET=//grader/testdata:fake_test\n"));
  EXPECT_THAT(env, HasSubstr("AURORALAB_SEEDS=\n"));
  // The sandbox's private /tmp is the cwd; the verdict variable is gone
  // before any test code runs.
  EXPECT_THAT(env, HasSubstr("cwd=/tmp\n"));
  EXPECT_THAT(env, HasSubstr("TEST_TMPDIR=/tmp\n"));
  EXPECT_THAT(env, HasSubstr("AURORALAB_VERDICT_FD=\n"));
}

TEST(RunProcess, MissingBinaryIsAnError) {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/binary"};
  spec.stdout_path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/missing.log");
  absl::StatusOr<ProcessResult> result = RunProcess(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("/nonexistent/binary"));
}

TEST(RunProcess, ExitCodeAndSeparateStderr) {
  ProcessSpec spec;
  const std::string base = std::getenv("TEST_TMPDIR");
  spec.argv = {"sh", "-c", "echo out; echo err >&2; exit 7"};
  spec.stdout_path = base + "/out.log";
  spec.stderr_path = base + "/err.log";
  absl::StatusOr<ProcessResult> result = RunProcess(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->exited);
  EXPECT_EQ(result->exit_code, 7);
  EXPECT_EQ(ReadFile(spec.stdout_path), "out\n");
  EXPECT_EQ(ReadFile(spec.stderr_path), "err\n");
}

TEST(ParseVerdictRecord, ReadsTestsAndRejectsDamage) {
  const VerdictRecord record =
      ParseVerdictRecord("auroralab-verdict 1\ntest A.B passed\ntest A.C skipped\nend 2\n");
  EXPECT_TRUE(record.complete);
  ASSERT_EQ(record.tests.size(), 2u);
  EXPECT_EQ(record.tests[1].first, "A.C");
  EXPECT_EQ(record.tests[1].second, "skipped");
  EXPECT_FALSE(ParseVerdictRecord("").complete);
  EXPECT_FALSE(ParseVerdictRecord("auroralab-verdict 1\nend 0\nextra\n").complete);
  EXPECT_FALSE(ParseVerdictRecord("auroralab-verdict 2\nend 0\n").complete);
}

TEST_F(RunGtestTest, TheGradersOwnFailureIsAnErrorNotAVerdict) {
  GtestSpec spec = Spec("Fake.Passes");
  spec.temp_parent = "/nonexistent-auroralab-dir";
  const absl::StatusOr<GtestOutcome> outcome = RunGtest(spec);
  EXPECT_FALSE(outcome.ok());
  EXPECT_THAT(std::string(outcome.status().message()), HasSubstr("cannot create a temp dir"));
}

TEST(SignalName, KnownAndUnknown) {
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(SIGABRT), "SIGABRT");
  EXPECT_EQ(SignalName(63), "signal 63");
}

}  // namespace
}  // namespace auroralab::grader
