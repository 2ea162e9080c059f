#include "labs/framework/simulator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace auroralab {
Simulator::Simulator(uint64_t seed) : seed_(seed), rng_(seed) {}

EventId Simulator::Schedule(Duration delay, std::function<void()> fn) {
  return ScheduleAt(AddSaturating(now_, delay), std::move(fn));
}

EventId Simulator::ScheduleAt(Time when, std::function<void()> fn) {
  uint32_t slot;
  if (free_slots_.empty()) {
    if (slots_.size() > kSlotMask - 1) {
      std::fprintf(stderr, "auroralab: more than %llu events pending at once\n",
                   static_cast<unsigned long long>(kSlotMask));
      std::abort();
    }
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Slot& s = slots_[slot];
  s.fn = std::move(fn);
  s.live = true;
  ++s.generation;
  queue_.push_back(Event{std::max(when, now_), next_sequence_++, slot});
  std::push_heap(queue_.begin(), queue_.end(), Later());
  // Generations start at 1, so no id is kNoEvent (0).
  return (s.generation << kSlotBits) | slot;
}

void Simulator::Cancel(EventId id) {
  const uint64_t slot = id & kSlotMask;
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.live || s.generation != id >> kSlotBits) return;
  s.live = false;
  s.fn = nullptr;  // frees what it captured now, not when it surfaces
  ++cancelled_in_queue_;
}

bool Simulator::SkipCancelled() {
  while (!queue_.empty() && !slots_[queue_.front().slot].live) {
    --cancelled_in_queue_;
    PopTop();
  }
  return !queue_.empty();
}

void Simulator::PopTop() {
  free_slots_.push_back(queue_.front().slot);
  std::pop_heap(queue_.begin(), queue_.end(), Later());
  queue_.pop_back();
}

bool Simulator::Step() {
  if (!SkipCancelled()) return false;
  const Event event = queue_.front();
  Slot& s = slots_[event.slot];
  std::function<void()> fn = std::move(s.fn);
  s.fn = nullptr;
  s.live = false;  // cancelling a running event is a no-op
  PopTop();
  now_ = event.time;
  ++events_run_;
  fn();
  return true;
}

uint64_t Simulator::RunUntilIdle(uint64_t max_events) {
  uint64_t n = 0;
  while (n < max_events && Step()) ++n;
  return n;
}

void Simulator::RunFor(Duration d) {
  const Time end = AddSaturating(now_, d);
  while (SkipCancelled() && queue_.front().time <= end) Step();
  now_ = end;
}

bool Simulator::RunUntil(const std::function<bool()>& done, Time deadline) {
  while (!done()) {
    if (!SkipCancelled() || queue_.front().time > deadline) {
      if (deadline != kForever) now_ = std::max(now_, deadline);
      return done();
    }
    Step();
  }
  return true;
}

}  // namespace auroralab
