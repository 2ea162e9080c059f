// The verdict channel between a graded test binary and the grader.
//
// Contract: when the environment has AURORALAB_VERDICT_FD=N (set by the
// grader's runner, never by students), this file's GoogleTest listener writes
// one record to descriptor N when the test program ends:
//
//   auroralab-verdict 1
//   test <Suite.Name> passed|failed|skipped     (one line per test that ran)
//   end <number of tests that ran>
//
// and closes it. The grader trusts only this record plus the process's exit
// status, never the test's stdout, which student code can print into. Student
// code cannot write the record itself: the grader's symbol check rejects
// every way to reach a descriptor (write, files, stdio objects, syscall), and
// the variable is removed from the environment before any test runs.
// Without the variable the listener does nothing, so `bazel test` is
// unaffected.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace {

class VerdictListener : public ::testing::EmptyTestEventListener {
 public:
  explicit VerdictListener(int fd) : fd_(fd) {}

  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestResult* result = info.result();
    const char* verdict = "failed";
    if (result != nullptr && result->Skipped()) {
      verdict = "skipped";
    } else if (result != nullptr && result->Passed()) {
      verdict = "passed";
    }
    record_ +=
        std::string("test ") + info.test_suite_name() + "." + info.name() + " " + verdict + "\n";
    ++ran_;
  }

  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    if (fd_ < 0) return;
    const std::string text =
        "auroralab-verdict 1\n" + record_ + "end " + std::to_string(ran_) + "\n";
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the grader sees a short record: no verdict
      written += static_cast<size_t>(n);
    }
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  std::string record_;
  int ran_ = 0;
};

// Registered before main() runs; the descriptor number is parsed here and the
// variable dropped, so later code cannot look it up.
const bool kVerdictListenerInstalled = [] {
  const char* text = std::getenv("AURORALAB_VERDICT_FD");
  if (text == nullptr) return false;
  char* end = nullptr;
  const long fd = std::strtol(text, &end, 10);
  ::unsetenv("AURORALAB_VERDICT_FD");
  if (end == text || *end != '\0' || fd < 3 || fd > 1000) return false;
  ::testing::UnitTest::GetInstance()->listeners().Append(new VerdictListener(static_cast<int>(fd)));
  return true;
}();

}  // namespace
