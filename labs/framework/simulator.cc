#include "labs/framework/simulator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace auroralab {
Simulator::Simulator(uint64_t seed) : seed_(seed), rng_(seed) {}

uint32_t Simulator::NewSlot() {
  if (slots_.size() > kSlotMask - 1) {
    std::fprintf(stderr, "auroralab: more than %llu events pending at once\n",
                 static_cast<unsigned long long>(kSlotMask));
    std::abort();
  }
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

EventId Simulator::Enqueue(Time when, uint32_t slot) {
  Slot& s = slots_[slot];
  s.live = true;
  ++s.generation;
  if (next_sequence_ == kSequenceLimit) RenumberSequences();
  PushEvent(Event{std::max(when, now_), next_sequence_++ << kSlotBits | slot});
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
  CompactIfMostlyCancelled();
}

void Simulator::CompactIfMostlyCancelled() {
  // Amortized: a pass over n entries happens only after n/2 cancellations.
  if (cancelled_in_queue_ < 1024 || cancelled_in_queue_ * 2 < queue_.size()) return;
  size_t kept = 0;
  for (const Event& e : queue_) {
    if (slots_[SlotOf(e)].live) {
      queue_[kept++] = e;
    } else {
      free_slots_.push_back(SlotOf(e));
    }
  }
  queue_.resize(kept);
  queue_.shrink_to_fit();
  cancelled_in_queue_ = 0;
  // Any heap order gives the same run: events run by (time, sequence).
  std::make_heap(queue_.begin(), queue_.end(), [](const Event& a, const Event& b) {
    return Earlier(b, a);  // a max-heap of "later", so the earliest is on top
  });
}

bool Simulator::SkipCancelled() {
  while (!queue_.empty() && !slots_[SlotOf(queue_.front())].live) {
    --cancelled_in_queue_;
    PopTop();
  }
  return !queue_.empty();
}

void Simulator::PushEvent(Event e) {
  // Sift up from a hole at the end.
  size_t i = queue_.size();
  queue_.push_back(e);
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!Earlier(e, queue_[parent])) break;
    queue_[i] = queue_[parent];
    i = parent;
  }
  queue_[i] = e;
}

void Simulator::PopTop() {
  free_slots_.push_back(SlotOf(queue_.front()));
  const Event last = queue_.back();
  queue_.pop_back();
  const size_t n = queue_.size();
  if (n == 0) return;
  // Sift `last` down from a hole at the root.
  size_t i = 0;
  for (size_t child = 1; child < n; child = 2 * i + 1) {
    if (child + 1 < n && Earlier(queue_[child + 1], queue_[child])) ++child;
    if (!Earlier(queue_[child], last)) break;
    queue_[i] = queue_[child];
    i = child;
  }
  queue_[i] = last;
}

void Simulator::RenumberSequences() {
  // Sorted, the heap keeps its order and is still a valid heap.
  std::sort(queue_.begin(), queue_.end(), Earlier);
  for (size_t i = 0; i < queue_.size(); ++i) {
    queue_[i].key = static_cast<uint64_t>(i) << kSlotBits | SlotOf(queue_[i]);
  }
  next_sequence_ = queue_.size();
}

bool Simulator::Step() {
  if (!SkipCancelled()) return false;
  const Event event = queue_.front();
  Slot& s = slots_[SlotOf(event)];
  std::function<void()> fn = std::move(s.fn);
  s.fn = nullptr;
  s.live = false;  // cancelling a running event is a no-op
  PopTop();
  now_ = event.time;
  ++events_run_;
  const bool outer = in_event_;
  in_event_ = true;
  fn();
  in_event_ = outer;
  if (after_event_) {
    // Copied: the hook may clear or replace itself.
    std::function<void()> hook = after_event_;
    hook();
  }
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
