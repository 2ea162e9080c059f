// Simulator: a deterministic discrete-event loop in virtual time.
//
// Callbacks are scheduled at virtual times and run one at a time, in time
// order; events at the same time run in the order they were scheduled (a
// sequence number breaks ties), so a run never depends on heap layout, hash
// order or the wall clock. The simulator owns the run's root Rng and Trace.
//
// Contract: single-threaded. A callback may schedule and cancel events. Time
// never goes backwards; scheduling in the past runs "now" (after the events
// already queued for now). kForever means never: an event due at kForever
// (or a delay that saturates to it) is not queued and never runs, even in
// RunFor(kForever). Memory follows what is live: cancelled events leave the
// queue in amortized batches, long before their due time.
//
// Part of the engine (//labs/framework:engine), which tests, harnesses and
// tools use; a lab implementation cannot (it gets //labs/framework:api).
#ifndef AURORALAB_LABS_FRAMEWORK_SIMULATOR_H_
#define AURORALAB_LABS_FRAMEWORK_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "labs/framework/ids.h"
#include "labs/framework/random.h"
#include "labs/framework/time.h"
#include "labs/framework/trace.h"

namespace auroralab {

class Simulator {
 public:
  explicit Simulator(uint64_t seed);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  uint64_t seed() const { return seed_; }
  Time Now() const { return now_; }
  Rng& rng() { return rng_; }
  Trace& trace() { return trace_; }

  // Runs `fn` (any callable taking no arguments) after `delay` (>= 0) of
  // virtual time. Returns an id for Cancel (kNoEvent for an event at
  // kForever, which is dropped).
  template <typename Fn>
  EventId Schedule(Duration delay, Fn&& fn) {
    return ScheduleAt(AddSaturating(now_, delay), std::forward<Fn>(fn));
  }
  template <typename Fn>
  EventId ScheduleAt(Time when, Fn&& fn) {
    static_assert(std::is_invocable_v<Fn&>, "an event is a callable taking no arguments");
    if (when == kForever) return kNoEvent;  // never
    const uint32_t slot = TakeSlot();
    slots_[slot].fn = std::forward<Fn>(fn);  // built in place: no extra move
    return Enqueue(when, slot);
  }
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

  // Runs `hook` after every event (null: none); the hook may replace or
  // clear itself. World's crash points use it.
  void SetAfterEvent(std::function<void()> hook) { after_event_ = std::move(hook); }

  size_t pending_events() const { return queue_.size() - cancelled_in_queue_; }
  uint64_t events_run() const { return events_run_; }
  // Whether an event's callback is running now (false between events, e.g.
  // in a test's own code between RunFor calls).
  bool in_event() const { return in_event_; }

 private:
  // Heap entries are 16-byte PODs; the callbacks stay put in `slots_`, so
  // sifting the heap never moves a std::function. Events run in order of
  // (time, sequence): the sequence number (scheduling order) breaks ties.
  struct Event {
    Time time;     // never negative
    uint64_t key;  // sequence << kSlotBits | slot
  };
  static bool Earlier(const Event& a, const Event& b) {
    // One 128-bit comparison: (time, sequence) order, without branches.
    auto order = [](const Event& e) {
      return static_cast<unsigned __int128>(static_cast<uint64_t>(e.time)) << 64 | e.key;
    };
    return order(a) < order(b);
  }
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
  // Sequence numbers have the other 40 bits of a key; when they run out
  // (after 10^12 events) the pending events are renumbered in order.
  static constexpr uint64_t kSequenceLimit = uint64_t{1} << (64 - kSlotBits);
  static uint32_t SlotOf(const Event& e) { return static_cast<uint32_t>(e.key & kSlotMask); }

  uint32_t TakeSlot() {
    if (free_slots_.empty()) return NewSlot();
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  uint32_t NewSlot();
  // Puts the event waiting in `slot` on the heap; returns its id.
  EventId Enqueue(Time when, uint32_t slot);
  void PushEvent(Event e);
  void RenumberSequences();

  // Removes cancelled events from the top; returns false if the queue is empty.
  bool SkipCancelled();
  // Drops every cancelled event from the heap and frees its slot, once they
  // are more than half of it.
  void CompactIfMostlyCancelled();
  // Takes the top event off the heap and frees its slot for reuse.
  void PopTop();

  uint64_t seed_;
  Time now_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t events_run_ = 0;
  std::function<void()> after_event_;
  std::vector<Event> queue_;  // a binary min-heap under Earlier
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t cancelled_in_queue_ = 0;
  bool in_event_ = false;
  Rng rng_;
  Trace trace_;

  friend struct SimulatorTestPeer;  // reaches the sequence limit in a test
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_SIMULATOR_H_
