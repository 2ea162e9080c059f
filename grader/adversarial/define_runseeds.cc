// attack: define the framework's RunSeeds so that every scenario is skipped
//         (with dynamic linking the student library's definition won).
// expect: may only define its lab's own symbols
#include <functional>

#include "labs/framework/world.h"

namespace auroralab {
void RunSeeds(const std::function<void(World&)>&, int) {}
void RunSeeds(const WorldOptions&, const std::function<void(World&)>&, int) {}
}  // namespace auroralab
