// attack: keep the compiler busy for the whole build time limit with a
//         constant expression that loops for a very long time.
// expect: Build failed
namespace {
constexpr long Spin() {
  long total = 0;
  for (long i = 0; i < (1L << 40); ++i) total += i % 7;
  return total;
}
static_assert(Spin() != 1, "spin");
}  // namespace
