// attack: SIGSTOP or SIGKILL the grader (the test's parent process group).
// expect: #include <csignal>: not an allowed header
#include <csignal>

namespace {
const bool kStopped = [] { return std::raise(SIGSTOP) == 0; }();
}  // namespace
