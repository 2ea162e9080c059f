// Tests of runner.h against grader/testdata/fake_test, a GoogleTest binary
// whose cases pass, fail, hang, crash, skip and exit early on purpose.
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

TEST_F(RunGtestTest, HangIsKilledWithItsProcessGroup) {
  const GtestSpec spec = Spec("Fake.Hangs", /*timeout_seconds=*/2);
  const GtestOutcome outcome = Run(spec);
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.reason, "timed out after 2s");
  EXPECT_GE(outcome.seconds, 2.0);
  EXPECT_LT(outcome.seconds, 10.0);
  const std::string pid_text = ReadFile(spec.artifacts_dir + "/grandchild.pid");
  ASSERT_FALSE(pid_text.empty()) << "the fake test did not record its grandchild";
  const pid_t grandchild = std::atoi(pid_text.c_str());
  ASSERT_GT(grandchild, 1);
  // SIGKILL to the group is immediate, but give the kernel a moment.
  for (int i = 0; i < 100 && !ProcessIsDead(grandchild); ++i) usleep(10000);
  EXPECT_TRUE(ProcessIsDead(grandchild)) << "grandchild " << grandchild << " survived";
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
  // cwd is the fresh TEST_TMPDIR, and it is removed afterwards.
  const size_t cwd = env.find("cwd=") + 4;
  const std::string cwd_path = env.substr(cwd, env.find('\n', cwd) - cwd);
  EXPECT_THAT(env, HasSubstr("TEST_TMPDIR=" + cwd_path + "\n"));
  EXPECT_THAT(cwd_path, HasSubstr("auroralab-test-"));
  EXPECT_FALSE(std::filesystem::exists(cwd_path));
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

TEST(ParseGtestSummary, ReadsTheCounts) {
  const GtestSummary summary = ParseGtestSummary(
      "[==========] 3 tests from 1 test suite ran. (5 ms total)\n"
      "[  PASSED  ] 1 test.\n"
      "[  SKIPPED ] 1 test, listed below:\n"
      "[  SKIPPED ] A.B\n"
      "[  FAILED  ] 1 test, listed below:\n"
      "[  FAILED  ] A.C\n");
  EXPECT_EQ(summary.ran, 3);
  EXPECT_EQ(summary.passed, 1);
  EXPECT_EQ(summary.skipped, 1);
  EXPECT_EQ(summary.failed, 1);
  EXPECT_EQ(ParseGtestSummary("no gtest here").ran, -1);
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
