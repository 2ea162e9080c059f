#include "labs/framework/random.h"

#include <cmath>

namespace auroralab {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& word : s_) word = SplitMix64(seed);
}

unsigned __int128 Rng::Reject(unsigned __int128 m, uint64_t n) {
  const uint64_t threshold = -n % n;
  while (static_cast<uint64_t>(m) < threshold) m = static_cast<unsigned __int128>(Next()) * n;
  return m;
}

int64_t Rng::Exponential(double mean) {
  if (mean <= 0) return 0;
  return static_cast<int64_t>(-std::log1p(-UniformDouble()) * mean);
}

Rng Rng::Fork() { return Rng(Next()); }

}  // namespace auroralab
