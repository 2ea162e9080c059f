// A GoogleTest binary that misbehaves on purpose, one way per case, for
// grader/runner_test.cc. Not a cc_test: it is only run case by case.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

TEST(Fake, Passes) { std::printf("fake: all good\n"); }

TEST(Fake, AlsoPasses) {}

TEST(Fake, Fails) { EXPECT_EQ(1 + 1, 3) << "arithmetic is broken"; }

// Leaves a grandchild behind and then hangs: the runner must kill both. The
// grandchild's pid goes to the outputs dir so the test can check it died.
TEST(Fake, Hangs) {
  const pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  std::ofstream(Env("TEST_UNDECLARED_OUTPUTS_DIR") + "/grandchild.pid") << child << "\n";
  for (;;) sleep(1000);
}

// Dies by SIGSEGV. The default action is restored first, because under
// --config=asan AddressSanitizer would catch the signal and exit(1) instead.
TEST(Fake, Crashes) {
  signal(SIGSEGV, SIG_DFL);
  raise(SIGSEGV);
}

TEST(Fake, Skipped) { GTEST_SKIP() << "not today"; }

// exit(0) in the middle of a test: status 0 but no GoogleTest verdict.
TEST(Fake, ExitsEarly) { std::exit(0); }

// Records what the runner gave the process.
TEST(Fake, ReportsEnvironment) {
  char cwd[4096] = {};
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  std::ofstream out(Env("TEST_UNDECLARED_OUTPUTS_DIR") + "/env.txt");
  out << "cwd=" << cwd << "\n"
      << "TEST_TMPDIR=" << Env("TEST_TMPDIR") << "\n"
      << "TEST_TARGET=" << Env("TEST_TARGET") << "\n"
      << "AURORALAB_SEEDS=" << Env("AURORALAB_SEEDS") << "\n";
  // Bytes that are not UTF-8, as student output may contain.
  std::printf("binary: \xff\xfe done\n");
}

}  // namespace
