// A GoogleTest binary that misbehaves on purpose, one way per case, for
// grader/runner_test.cc. Not a cc_test: it is only run case by case, inside
// the grader's sandbox. Some cases try to break out of it; they record what
// they managed in the outputs dir for the test to check.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
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

// Leaves a grandchild that left the session behind and then hangs: the
// runner must kill both. The grandchild is marked by its argv so the test
// can look for it in /proc.
TEST(Fake, Hangs) {
  const pid_t child = fork();
  if (child == 0) {
    setsid();
    execl("/usr/bin/sleep", "sleep", "4242", static_cast<char*>(nullptr));
    for (;;) pause();
  }
  std::ofstream(Env("TEST_UNDECLARED_OUTPUTS_DIR") + "/grandchild.started") << child << "\n";
  for (;;) sleep(1000);
}

// Prints GoogleTest's success lines and a fake verdict record, then leaves
// with status 0 before the test ends: none of it may count.
TEST(Fake, ForgesAVerdict) {
  std::printf(
      "[       OK ] Fake.ForgesAVerdict (0 ms)\n"
      "[==========] 1 test from 1 test suite ran. (0 ms total)\n"
      "[  PASSED  ] 1 test.\n"
      "auroralab-verdict 1\ntest Fake.ForgesAVerdict passed\nend 1\n");
  std::fflush(stdout);
  _exit(0);
}

// Tries to reach what the sandbox hides; writes what it found.
TEST(Fake, ProbesTheSandbox) {
  std::ofstream out(Env("TEST_UNDECLARED_OUTPUTS_DIR") + "/probe.txt");
  struct stat info;
  for (const char* path : {"/etc/passwd", "/root", "/home", "/work", "/var"}) {
    out << path << "=" << (stat(path, &info) == 0 ? "visible" : "hidden") << "\n";
  }
  out << "uid=" << getuid() << "\n";
  out << "usr_writable=" << (access("/usr", W_OK) == 0 ? "yes" : "no") << "\n";
  // The grader is not in this PID namespace: the parent is the sandbox's.
  out << "parent_pid=" << getppid() << "\n";
  const int sock = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(53);
  inet_pton(AF_INET, "8.8.8.8", &address.sin_addr);
  const bool connected =
      sock >= 0 && connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  out << "network=" << (connected ? "yes" : "no") << "\n";
}

// Plants a symlink to a host file, a symlink loop and a FIFO in its outputs:
// the grader must copy none of them and must not hang on the FIFO.
TEST(Fake, PlantsLinksAndFifos) {
  const std::string dir = Env("TEST_UNDECLARED_OUTPUTS_DIR");
  symlink("/etc/passwd", (dir + "/passwd").c_str());
  symlink("loop", (dir + "/loop").c_str());
  mkfifo((dir + "/fifo").c_str(), 0644);
  std::ofstream(dir + "/real.txt") << "a real file\n";
}

// Dies by SIGSEGV. The default action is restored first, because under
// --config=asan AddressSanitizer would catch the signal and exit(1) instead.
TEST(Fake, Crashes) {
  signal(SIGSEGV, SIG_DFL);
  raise(SIGSEGV);
}

// Passes or fails at random, a fair coin from the kernel's random source
// (the sandbox has /dev/urandom). The grader must call this nondeterministic
// when a failure is followed by a pass. (An address bit under ASLR was not a
// fair enough coin: a CI run once saw 40 tries without failure-then-pass.)
TEST(Fake, FlipsACoin) {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  char byte = 0;
  ASSERT_TRUE(urandom.get(byte)) << "no /dev/urandom";
  EXPECT_EQ(byte & 1, 1) << "tails";
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
      << "AURORALAB_VERDICT_FD=" << Env("AURORALAB_VERDICT_FD") << "\n"
      << "TEST_TMPDIR=" << Env("TEST_TMPDIR") << "\n"
      << "TEST_TARGET=" << Env("TEST_TARGET") << "\n"
      << "AURORALAB_SEEDS=" << Env("AURORALAB_SEEDS") << "\n";
  // Bytes that are not UTF-8, as student output may contain.
  std::printf("binary: \xff\xfe done\n");
}

}  // namespace
