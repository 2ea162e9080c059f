// attack: include GoogleTest's own failure-swallowing reporter (gtest-spi)
//         and install it so that real assertion failures never count.
// expect: GoogleTest belongs to the test harness
#include "gtest/gtest-spi.h"

namespace {
const bool kInstalled = [] {
  new ::testing::ScopedFakeTestPartResultReporter(
      ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ALL_THREADS, nullptr);
  return true;
}();
}  // namespace
