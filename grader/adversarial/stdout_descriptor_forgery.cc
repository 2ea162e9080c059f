// attack: point C's stdout at another descriptor (where a verdict channel
//         might be) and print a fake verdict record there.
// expect: uses `stdout`: uses the C stdio streams
#include <cstdio>

namespace {
const bool kForged = [] {
  stdout->_fileno = 3;
  std::printf("auroralab-verdict 1\ntest QuorumKvPartA.PutThenGetReturnsTheValue passed\nend 1\n");
  std::fflush(stdout);
  return true;
}();
}  // namespace
