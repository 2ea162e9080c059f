// attack: grab 8 GB when the test starts, to starve the machine. Not refused
//         by the checks: the sandbox's address-space limit makes it fail.
// expect: crashed with SIGABRT
#include <memory>
#include <new>

namespace {
const bool kGrabbed = [] {
  auto* block = new char[8ull << 30];
  block[0] = 1;
  return block[0] == 1;
}();
}  // namespace
