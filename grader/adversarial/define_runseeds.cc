// attack: define the framework's RunSeeds so that every scenario is skipped
//         (with dynamic linking the student library's definition won).
// expect: may only define its lab's own symbols
#include <functional>

namespace auroralab {
// Declared rather than included: the engine's world.h is out of a lab's
// reach (the source check and the build refuse it), but its symbols are
// what this attack is about.
class World;
struct WorldOptions;
void RunSeeds(const std::function<void(World&)>&, int) {}
void RunSeeds(const WorldOptions&, const std::function<void(World&)>&, int) {}
}  // namespace auroralab
