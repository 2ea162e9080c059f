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
  // Heap entries are small PODs; the callbacks stay put in `slots_`, so
  // sifting the heap never moves a std::function.
  struct Event {
    Time time;
    uint64_t sequence;  // breaks ties: scheduling order
    uint32_t slot;      // index into slots_
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
    }
  };
  // Where a scheduled callback waits. A slot is reused once its event has
  // left the heap; `generation` counts the uses, so an EventId (slot and
  // generation) of an event that already ran or was cancelled never matches
  // a later occupant of the slot.
  struct Slot {
    std::function<void()> fn;
    uint64_t generation = 0;
    bool live = false;  // scheduled, not yet run or cancelled
  };
  static constexpr int kSlotBits = 24;  // up to 16M events pending at once
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;

  // Removes cancelled events from the top; returns false if the queue is empty.
  bool SkipCancelled();
  // Takes the top event off the heap and frees its slot for reuse.
  void PopTop();

  uint64_t seed_;
  Time now_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t events_run_ = 0;
  std::vector<Event> queue_;  // a min-heap under Later
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t cancelled_in_queue_ = 0;
  Rng rng_;
  Trace trace_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_SIMULATOR_H_
