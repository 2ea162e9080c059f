// Which lab implementation ("skeleton" or "solution") a binary links.
//
// Each tree's library (made by lab_impl() in tools/build/lab.bzl) registers
// its name at start-up, so code that is built the same way for both trees
// (the test runner in labs/framework/sim_test.cc) can still say which one it
// is running against, e.g. in a replay command. Only names; no behaviour may
// depend on it.
#ifndef AURORALAB_TOOLS_BUILD_LINKED_IMPLEMENTATION_H_
#define AURORALAB_TOOLS_BUILD_LINKED_IMPLEMENTATION_H_

#include <string>

namespace auroralab {

// "skeleton", "solution", or "" when the binary links no lab implementation
// (the framework's own tests, the examples). "mixed" if trees disagree.
std::string LinkedImplementation();

namespace internal {
// Called by the registration object of lab_impl(); returns true so it can
// initialize a static.
bool RegisterLinkedImplementation(const char* tree);
}  // namespace internal

}  // namespace auroralab

#endif  // AURORALAB_TOOLS_BUILD_LINKED_IMPLEMENTATION_H_
