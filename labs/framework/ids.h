// The small identifiers a node's code handles: which node, which timer.
//
// Part of the student-facing API (//labs/framework:api). Both are plain
// numbers so they can be stored, compared and printed freely.
#ifndef AURORALAB_LABS_FRAMEWORK_IDS_H_
#define AURORALAB_LABS_FRAMEWORK_IDS_H_

#include <cstdint>

namespace auroralab {

// A node of the world, numbered from 0 in the order the test added nodes.
// The number stays the node's across crashes and restarts.
using NodeId = int;

// A scheduled timer (NodeContext::SetTimer), for cancelling it.
using EventId = uint64_t;
// No timer: SetTimer's answer for a timer that can never fire, and a handy
// "none set" value for a node's own fields. Cancelling it does nothing.
inline constexpr EventId kNoEvent = 0;

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_IDS_H_
