// attack: print GoogleTest's success lines from a static initializer and end
//         the process with status 0 before any test runs.
// expect: uses `_Exit`: ends the process
#include <cstdio>
#include <cstdlib>

namespace {
const bool kForged = [] {
  std::printf("[==========] 1 test from 1 test suite ran. (0 ms total)\n[  PASSED  ] 1 test.\n");
  std::fflush(nullptr);
  std::_Exit(0);
  return true;
}();
}  // namespace
