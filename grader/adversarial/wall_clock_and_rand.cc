// attack (and a common determinism bug): seed behaviour from the wall clock
//         and rand(), so each run differs.
// expect: use ctx\(\).rng\(\), not rand\(\)
#include <chrono>
#include <cstdlib>

namespace auroralab::quorum_kv {
int Jitter() {
  std::srand(static_cast<unsigned>(
      std::chrono::system_clock::now().time_since_epoch().count()));
  return std::rand();
}
}  // namespace auroralab::quorum_kv
