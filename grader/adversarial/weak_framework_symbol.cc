// attack: a weak definition of a framework function, which a static link
//         through archives would then prefer to the real one.
// expect: compiler attributes are not allowed
#include "labs/framework/node.h"

namespace auroralab {
__attribute__((weak)) void WeakHijack() {}
}  // namespace auroralab
