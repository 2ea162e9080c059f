#include "labs/framework/simulator.h"

#include <algorithm>
#include <utility>

namespace auroralab {
Simulator::Simulator(uint64_t seed) : seed_(seed), finished_(1, true), rng_(seed) {}

EventId Simulator::Schedule(Duration delay, std::function<void()> fn) {
  return ScheduleAt(AddSaturating(now_, delay), std::move(fn));
}

EventId Simulator::ScheduleAt(Time when, std::function<void()> fn) {
  const EventId id = next_id_++;
  finished_.push_back(false);
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(callbacks_.size());
    callbacks_.push_back(std::move(fn));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    callbacks_[slot] = std::move(fn);
  }
  queue_.push_back(Event{std::max(when, now_), id, slot});
  std::push_heap(queue_.begin(), queue_.end(), Later());
  return id;
}

void Simulator::Cancel(EventId id) {
  if (id >= next_id_ || finished_[id]) return;
  finished_[id] = true;
  ++cancelled_in_queue_;
}

bool Simulator::SkipCancelled() {
  while (!queue_.empty() && finished_[queue_.front().id]) {
    --cancelled_in_queue_;
    callbacks_[queue_.front().slot] = nullptr;  // frees what it captured
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
  std::function<void()> fn = std::move(callbacks_[event.slot]);
  callbacks_[event.slot] = nullptr;
  PopTop();
  now_ = event.time;
  finished_[event.id] = true;
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
