#include "labs/framework/simulator.h"

#include <algorithm>
#include <utility>

namespace auroralab {

Simulator::Simulator(uint64_t seed) : seed_(seed), finished_(1, true), rng_(seed) {}

EventId Simulator::Schedule(Duration delay, std::function<void()> fn) {
  return ScheduleAt(now_ + std::max<Duration>(delay, 0), std::move(fn));
}

EventId Simulator::ScheduleAt(Time when, std::function<void()> fn) {
  const EventId id = next_id_++;
  finished_.push_back(false);
  queue_.push_back(Event{std::max(when, now_), id, std::move(fn)});
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
    std::pop_heap(queue_.begin(), queue_.end(), Later());
    queue_.pop_back();
  }
  return !queue_.empty();
}

bool Simulator::Step() {
  if (!SkipCancelled()) return false;
  std::pop_heap(queue_.begin(), queue_.end(), Later());
  Event event = std::move(queue_.back());
  queue_.pop_back();
  now_ = event.time;
  finished_[event.id] = true;
  ++events_run_;
  event.fn();
  return true;
}

uint64_t Simulator::RunUntilIdle(uint64_t max_events) {
  uint64_t n = 0;
  while (n < max_events && Step()) ++n;
  return n;
}

void Simulator::RunFor(Duration d) {
  const Time end = now_ + std::max<Duration>(d, 0);
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
