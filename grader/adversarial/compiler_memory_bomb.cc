// attack: a template that instantiates itself twice per level, 2^40 distinct
//         instantiations: the compiler's memory grows until the machine is
//         out of it, long before the build's time limit. GCC's constant-
//         expression limits do not apply; the compiler's memory limit does
//         (run with a 1 GiB limit to keep the suite fast).
// grade-flags: --compiler-memory=1
// expect: the compiler ran out of its 1 GiB memory limit compiling skeleton/quorum_kv/client\.cc
namespace {
template <int Depth, long Path>
struct Tree {
  static constexpr long kLeaves =
      Tree<Depth - 1, 2 * Path>::kLeaves + Tree<Depth - 1, 2 * Path + 1>::kLeaves;
};
template <long Path>
struct Tree<0, Path> {
  static constexpr long kLeaves = 1;
};
}  // namespace
long TreeLeaves() { return Tree<40, 1>::kLeaves; }
