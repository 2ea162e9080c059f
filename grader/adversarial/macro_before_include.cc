// attack: change how a framework header compiles (and the copies of its
//         inline functions the linker may pick) with a macro defined first.
// expect: #include after the #define
#define private public
#include "labs/framework/node.h"
#undef private
