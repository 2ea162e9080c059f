// Simulator: a deterministic discrete-event loop in virtual time.
//
// Callbacks are scheduled at virtual times and run one at a time, in time
// order; events at the same time run in the order they were scheduled (a
// sequence number breaks ties), so a run never depends on heap layout, hash
// order or the wall clock. The simulator owns the run's root Rng and Trace.
//
// Contract: single-threaded. A callback may schedule and cancel events. Time
// never goes backwards; scheduling in the past runs "now" (after the events
// already queued for now).
#ifndef AURORALAB_LABS_FRAMEWORK_SIMULATOR_H_
#define AURORALAB_LABS_FRAMEWORK_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "labs/framework/random.h"
#include "labs/framework/time.h"
#include "labs/framework/trace.h"

namespace auroralab {

using EventId = uint64_t;
inline constexpr EventId kNoEvent = 0;

class Simulator {
 public:
  explicit Simulator(uint64_t seed);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  uint64_t seed() const { return seed_; }
  Time Now() const { return now_; }
  Rng& rng() { return rng_; }
  Trace& trace() { return trace_; }

  // Runs `fn` after `delay` (>= 0) of virtual time. Returns an id for Cancel.
  EventId Schedule(Duration delay, std::function<void()> fn);
  EventId ScheduleAt(Time when, std::function<void()> fn);
  // Cancelling an event that already ran, or kNoEvent, does nothing.
  void Cancel(EventId id);

  // Runs the next event. Returns false when there is none.
  bool Step();
  // Runs events until the queue is empty or `max_events` ran; returns the
  // number run.
  uint64_t RunUntilIdle(uint64_t max_events = UINT64_MAX);
  // Runs every event due at or before Now() + d, then sets Now() to that time.
  void RunFor(Duration d);
  // Runs events until `done()` holds (checked after each event) or virtual
  // time would pass `deadline`. Returns done().
  bool RunUntil(const std::function<bool()>& done, Time deadline);

  size_t pending_events() const { return queue_.size() - cancelled_in_queue_; }
  uint64_t events_run() const { return events_run_; }

 private:
  // Heap entries are small PODs; the callbacks stay put in `callbacks_`, so
  // sifting the heap never moves a std::function.
  struct Event {
    Time time;
    EventId id;     // also the tie-breaking sequence number
    uint32_t slot;  // index into callbacks_
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.id > b.id;
    }
  };

  // Removes cancelled events from the top; returns false if the queue is empty.
  bool SkipCancelled();
  void PopTop();

  uint64_t seed_;
  Time now_ = 0;
  EventId next_id_ = 1;
  uint64_t events_run_ = 0;
  std::vector<Event> queue_;  // a min-heap under Later
  std::vector<std::function<void()>> callbacks_;
  std::vector<uint32_t> free_slots_;
  // finished_[id]: the event ran or was cancelled. Ids are dense, so one bit
  // per event ever scheduled is cheaper than a hash set and needs no hashing.
  std::vector<bool> finished_;
  size_t cancelled_in_queue_ = 0;
  Rng rng_;
  Trace trace_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_SIMULATOR_H_
