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
  uint64_t Next();
  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi] (inclusive); requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // Uniform in [0, 1).
  double UniformDouble();
  // True with probability p (p <= 0 never, p >= 1 always).
  bool Bernoulli(double p);
  // Exponentially distributed with the given mean, rounded down.
  int64_t Exponential(double mean);

  // A new generator with an independent stream, for handing to a component
  // (a node, the network) so that its draws do not shift everyone else's.
  Rng Fork();

 private:
  uint64_t s_[4];
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_RANDOM_H_
