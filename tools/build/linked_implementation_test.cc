// Checks the implementation switch end to end: the lab's :impl alias links
// the tree --//tools/build:impl names, that tree registers itself, and
// replay commands name it. EXPECTED_IMPLEMENTATION comes from the same
// switch (see BUILD), so the test holds under both settings.
#include "tools/build/linked_implementation.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"

#define AURORALAB_STRINGIFY_(x) #x
#define AURORALAB_STRINGIFY(x) AURORALAB_STRINGIFY_(x)

namespace auroralab {
namespace {

using ::testing::HasSubstr;

const std::string kExpected = AURORALAB_STRINGIFY(EXPECTED_IMPLEMENTATION);

TEST(LinkedImplementation, IsTheTreeTheSwitchSelects) {
  EXPECT_EQ(LinkedImplementation(), kExpected);
}

TEST(LinkedImplementation, ReplayCommandsNameIt) {
  // Bazel sets TEST_TARGET, which is what makes ReplayCommand name ./lab.
  ASSERT_NE(std::getenv("TEST_TARGET"), nullptr);
  EXPECT_THAT(ReplayCommand(3), HasSubstr(" --impl=" + kExpected + " --seed=3 "));
}

}  // namespace
}  // namespace auroralab
