// attack: run a shell from the test to rewrite results.json after the
//         grader exits (setsid + sleep), or to edit the course tree.
// expect: uses `system`: starts or detaches processes
#include <cstdlib>

namespace {
const bool kEscaped = [] {
  return std::system("setsid sh -c 'sleep 5; echo {} > ../../grade-out/results.json' &") == 0;
}();
}  // namespace
