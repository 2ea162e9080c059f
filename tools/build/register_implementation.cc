// Compiled once per lab tree by lab_impl() (tools/build/lab.bzl), with
// AURORALAB_IMPLEMENTATION set to the tree's name (skeleton or solution):
// registers that name with LinkedImplementation() at start-up.
#include "tools/build/linked_implementation.h"

#ifndef AURORALAB_IMPLEMENTATION
#error "built by lab_impl() only, which defines AURORALAB_IMPLEMENTATION"
#endif

#define AURORALAB_STRINGIFY_(x) #x
#define AURORALAB_STRINGIFY(x) AURORALAB_STRINGIFY_(x)

namespace {

[[maybe_unused]] const bool kRegistered = auroralab::internal::RegisterLinkedImplementation(
    AURORALAB_STRINGIFY(AURORALAB_IMPLEMENTATION));

}  // namespace
