// The other half of linked_implementation_test: a test binary that links no
// lab implementation (like the framework's own tests) reports none, and its
// replay commands carry no --impl, since there is nothing to choose.
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"
#include "tools/build/linked_implementation.h"

namespace auroralab {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(NoLinkedImplementation, IsEmpty) { EXPECT_EQ(LinkedImplementation(), ""); }

TEST(NoLinkedImplementation, ReplayCommandsNameNoImplementation) {
  ASSERT_NE(std::getenv("TEST_TARGET"), nullptr);
  const std::string replay = ReplayCommand(3);
  EXPECT_THAT(replay,
              HasSubstr("./lab test //tools/build:no_linked_implementation_test --seed=3 "));
  EXPECT_THAT(replay, Not(HasSubstr("--impl")));
}

}  // namespace
}  // namespace auroralab
