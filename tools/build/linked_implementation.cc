// The registry behind LinkedImplementation(): one name, set during static
// initialization by each linked lab tree.
#include "tools/build/linked_implementation.h"

#include <cstring>

namespace auroralab {
namespace {

// Constant-initialized, so registrations from other files' static
// initializers never find it unset-up.
const char* linked_tree = nullptr;

}  // namespace

std::string LinkedImplementation() { return linked_tree == nullptr ? "" : linked_tree; }

namespace internal {

bool RegisterLinkedImplementation(const char* tree) {
  if (linked_tree != nullptr && std::strcmp(linked_tree, tree) != 0) {
    linked_tree = "mixed";
  } else if (linked_tree == nullptr) {
    linked_tree = tree;
  }
  return true;
}

}  // namespace internal
}  // namespace auroralab
