// Virtual time for the simulator.
//
// All time inside a simulation is virtual: an int64 count of microseconds
// since the world started. Nothing in labs/ may read the wall clock, so a run
// depends only on its seed.
#ifndef AURORALAB_LABS_FRAMEWORK_TIME_H_
#define AURORALAB_LABS_FRAMEWORK_TIME_H_

#include <cstdint>
#include <limits>
#include <string>

namespace auroralab {

using Time = int64_t;      // microseconds since the start of the run
using Duration = int64_t;  // microseconds

inline constexpr Duration kMicrosecond = 1;
inline constexpr Duration kMillisecond = 1000;
inline constexpr Duration kSecond = 1000 * 1000;
inline constexpr Time kForever = std::numeric_limits<Time>::max();

constexpr Duration Micros(int64_t n) { return n; }
constexpr Duration Millis(int64_t n) { return n * kMillisecond; }
constexpr Duration Seconds(int64_t n) { return n * kSecond; }

// now + delay, where a negative delay counts as 0 and a delay reaching past
// the end of time means "never" (kForever) rather than overflowing into the
// past.
constexpr Time AddSaturating(Time now, Duration delay) {
  if (delay < 0) delay = 0;
  return delay > kForever - now ? kForever : now + delay;
}

// "12.345ms" style rendering for logs and test messages.
std::string FormatTime(Time t);

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_TIME_H_
