// Rng: the project's own seeded pseudo-random generator (xoshiro256**).
//
// Every random choice in a simulation comes from an Rng derived from the
// world's seed, so the same seed gives the same run on every machine and
// compiler (std::uniform_int_distribution and friends are not portable
// across standard libraries, so none of them are used here).
#ifndef AURORALAB_LABS_FRAMEWORK_RANDOM_H_
#define AURORALAB_LABS_FRAMEWORK_RANDOM_H_

#include <cstdint>

namespace auroralab {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  // Uniform over all 64-bit values.
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n) {
    // Lemire's multiply-shift with rejection: unbiased and portable.
    unsigned __int128 m = static_cast<unsigned __int128>(Next()) * n;
    if (static_cast<uint64_t>(m) < n) m = Reject(m, n);
    return static_cast<uint64_t>(m >> 64);
  }
  // Uniform in [lo, hi] (inclusive); requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi) {
    // Unsigned (modular) arithmetic: hi - lo and lo + offset may not fit in
    // int64_t.
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    if (span == 0) return static_cast<int64_t>(Next());  // the full 64-bit range
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + Uniform(span));
  }
  // Uniform in [0, 1).
  double UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // True with probability p (p <= 0 never, p >= 1 always; neither draws).
  bool Bernoulli(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return UniformDouble() < p;
  }
  // Exponentially distributed with the given mean, rounded down.
  int64_t Exponential(double mean);

  // A new generator with an independent stream, for handing to a component
  // (a node, the network) so that its draws do not shift everyone else's.
  Rng Fork();

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  // The rare rejection step of Uniform(): redraws while the low half of
  // `m` falls in the biased range.
  unsigned __int128 Reject(unsigned __int128 m, uint64_t n);

  uint64_t s_[4];
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_RANDOM_H_
