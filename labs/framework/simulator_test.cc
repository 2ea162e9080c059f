// Tests for Simulator (simulator.h): events run in virtual-time order, ties
// run in the order they were scheduled, Cancel works before an event runs and
// is a no-op afterwards, scheduling in the past (or with a negative delay)
// runs "now" after what is already queued for now, and RunFor / RunUntil /
// RunUntilIdle stop exactly where their contracts say.
#include "labs/framework/simulator.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace auroralab {

// Reaches into the simulator to test what happens after 10^12 events.
struct SimulatorTestPeer {
  static void SetNextSequence(Simulator& sim, uint64_t sequence) { sim.next_sequence_ = sequence; }
  static uint64_t SequenceLimit() { return Simulator::kSequenceLimit; }
  static size_t QueueEntries(const Simulator& sim) { return sim.queue_.size(); }
  static size_t Slots(const Simulator& sim) { return sim.slots_.size(); }
};

namespace {

TEST(Simulator, RunsEventsInTimeOrder) {
  Simulator sim(1);
  std::vector<Time> ran_at;
  for (Time t : {30, 10, 20, 5, 25}) {
    sim.ScheduleAt(t, [&sim, &ran_at, t] {
      EXPECT_EQ(sim.Now(), t);
      ran_at.push_back(t);
    });
  }
  EXPECT_EQ(sim.RunUntilIdle(), 5u);
  EXPECT_EQ(ran_at, (std::vector<Time>{5, 10, 20, 25, 30}));
  EXPECT_EQ(sim.Now(), 30);
}

TEST(Simulator, EventsAtTheSameTimeRunInScheduleOrder) {
  Simulator sim(1);
  std::vector<int> order;
  // Interleave two times so that heap layout would scramble an unstable sort.
  for (int i = 0; i < 100; ++i) {
    sim.ScheduleAt(i % 2 == 0 ? 50 : 40, [&order, i] { order.push_back(i); });
  }
  sim.RunUntilIdle();
  std::vector<int> expected;
  for (int i = 1; i < 100; i += 2) expected.push_back(i);
  for (int i = 0; i < 100; i += 2) expected.push_back(i);
  EXPECT_EQ(order, expected);
}

TEST(Simulator, EventScheduledForNowRunsAfterEventsAlreadyQueuedForNow) {
  Simulator sim(1);
  std::vector<std::string> order;
  sim.ScheduleAt(10, [&] {
    order.push_back("a");
    sim.Schedule(0, [&] { order.push_back("c"); });
  });
  sim.ScheduleAt(10, [&] { order.push_back("b"); });
  sim.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(sim.Now(), 10);
}

TEST(Simulator, SchedulingInThePastRunsNow) {
  Simulator sim(1);
  std::vector<std::string> order;
  Time past_ran_at = -1;
  Time negative_ran_at = -1;
  sim.ScheduleAt(100, [&] {
    order.push_back("first");
    sim.ScheduleAt(50, [&] {
      past_ran_at = sim.Now();
      order.push_back("past");
    });
    sim.Schedule(-30, [&] {
      negative_ran_at = sim.Now();
      order.push_back("negative");
    });
  });
  sim.ScheduleAt(100, [&] { order.push_back("queued"); });
  sim.ScheduleAt(101, [&] { order.push_back("later"); });
  sim.RunUntilIdle();
  EXPECT_EQ(past_ran_at, 100);
  EXPECT_EQ(negative_ran_at, 100);
  EXPECT_EQ(order, (std::vector<std::string>{"first", "queued", "past", "negative", "later"}));
}

TEST(Simulator, TimeNeverGoesBackwards) {
  Simulator sim(1);
  Time last = 0;
  bool monotonic = true;
  for (int i = 0; i < 200; ++i) {
    sim.ScheduleAt((i * 7919) % 1000, [&] {
      monotonic = monotonic && sim.Now() >= last;
      last = sim.Now();
      sim.ScheduleAt(sim.Now() - 5, [&] {
        monotonic = monotonic && sim.Now() >= last;
        last = sim.Now();
      });
    });
  }
  EXPECT_EQ(sim.RunUntilIdle(), 400u);
  EXPECT_TRUE(monotonic);
}

TEST(Simulator, CancelledEventNeverRuns) {
  Simulator sim(1);
  bool ran = false;
  bool other_ran = false;
  const EventId id = sim.Schedule(10, [&] { ran = true; });
  sim.Schedule(10, [&] { other_ran = true; });
  EXPECT_EQ(sim.pending_events(), 2u);
  sim.Cancel(id);
  EXPECT_EQ(sim.pending_events(), 1u);
  sim.Cancel(id);  // twice is harmless
  EXPECT_EQ(sim.pending_events(), 1u);
  EXPECT_EQ(sim.RunUntilIdle(), 1u);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(other_ran);
  EXPECT_EQ(sim.events_run(), 1u);
}

TEST(Simulator, EventCanCancelALaterEvent) {
  Simulator sim(1);
  bool ran = false;
  const EventId victim = sim.ScheduleAt(20, [&] { ran = true; });
  sim.ScheduleAt(10, [&] { sim.Cancel(victim); });
  sim.RunUntilIdle();
  EXPECT_FALSE(ran);
  EXPECT_EQ(sim.pending_events(), 0u);
}

TEST(Simulator, CancellingAnEventThatAlreadyRanIsANoOp) {
  Simulator sim(1);
  int runs = 0;
  const EventId done = sim.Schedule(1, [&] { ++runs; });
  sim.RunUntilIdle();
  ASSERT_EQ(runs, 1);
  bool later_ran = false;
  sim.Schedule(5, [&] { later_ran = true; });
  sim.Cancel(done);
  sim.Cancel(kNoEvent);
  sim.Cancel(done + 1000);  // never issued
  EXPECT_EQ(sim.pending_events(), 1u);
  sim.RunUntilIdle();
  EXPECT_TRUE(later_ran);
  EXPECT_EQ(runs, 1);
}

TEST(Simulator, AnOldIdNeverCancelsTheEventThatReusedItsPlace) {
  Simulator sim(1);
  const EventId first = sim.Schedule(1, [] {});
  sim.RunUntilIdle();
  // The simulator reuses the finished event's storage for the next one.
  bool second_ran = false;
  const EventId second = sim.Schedule(1, [&] { second_ran = true; });
  EXPECT_NE(first, second);
  sim.Cancel(first);
  EXPECT_EQ(sim.pending_events(), 1u);
  sim.RunUntilIdle();
  EXPECT_TRUE(second_ran);
}

TEST(Simulator, RunsManyInterleavedEventsInTimeThenScheduleOrder) {
  // A property check of the event heap against a plain sort: random times
  // with many ties, scheduled both up front and from inside events, some
  // cancelled.
  Simulator sim(1);
  Rng rng(7);
  struct Ran {
    Time time;
    int order;  // scheduling order
    bool operator==(const Ran&) const = default;
  };
  std::vector<Ran> expected;
  std::vector<Ran> ran;
  int next_order = 0;
  std::vector<EventId> ids;
  std::function<void(int)> schedule = [&](int depth) {
    const Time when = sim.Now() + static_cast<Time>(rng.Uniform(20));
    const int order = next_order++;
    ids.push_back(sim.ScheduleAt(when, [&, when, order, depth] {
      ran.push_back({when, order});
      if (depth < 2) schedule(depth + 1);
    }));
  };
  for (int i = 0; i < 500; ++i) schedule(0);
  for (size_t i = 0; i < ids.size(); i += 7) sim.Cancel(ids[i]);
  sim.RunUntilIdle();
  // Events scheduled later never run before earlier-scheduled events of
  // the same time, and time never goes backwards.
  for (size_t i = 1; i < ran.size(); ++i) {
    ASSERT_LE(ran[i - 1].time, ran[i].time) << i;
    if (ran[i - 1].time == ran[i].time) {
      ASSERT_LT(ran[i - 1].order, ran[i].order) << i;
    }
  }
  // 500 first-level events minus 72 cancelled, each running two more levels.
  EXPECT_EQ(ran.size(), (500u - 72u) * 3u);
}

TEST(Simulator, KeepsOrderWhenSequenceNumbersRunOut) {
  Simulator sim(1);
  std::vector<int> order;
  sim.ScheduleAt(10, [&] { order.push_back(1); });
  sim.ScheduleAt(10, [&] { order.push_back(2); });
  sim.ScheduleAt(5, [&] { order.push_back(0); });
  // Jump to the last sequence number: the next events force a renumbering.
  SimulatorTestPeer::SetNextSequence(sim, SimulatorTestPeer::SequenceLimit() - 1);
  sim.ScheduleAt(10, [&] { order.push_back(3); });
  sim.ScheduleAt(10, [&] { order.push_back(4); });
  sim.ScheduleAt(7, [&] { order.push_back(-1); });
  sim.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<int>{0, -1, 1, 2, 3, 4}));
}

TEST(Simulator, EventCancellingItselfWhileRunningIsANoOp) {
  Simulator sim(1);
  EventId self = kNoEvent;
  bool next_ran = false;
  self = sim.Schedule(1, [&] { sim.Cancel(self); });
  sim.Schedule(2, [&] { next_ran = true; });
  EXPECT_EQ(sim.RunUntilIdle(), 2u);
  EXPECT_TRUE(next_ran);
  EXPECT_EQ(sim.pending_events(), 0u);
}

TEST(Simulator, StepRunsOneEventAndReportsAnEmptyQueue) {
  Simulator sim(1);
  EXPECT_FALSE(sim.Step());
  int runs = 0;
  sim.Schedule(3, [&] { ++runs; });
  sim.Schedule(4, [&] { ++runs; });
  EXPECT_TRUE(sim.Step());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(sim.Now(), 3);
  EXPECT_TRUE(sim.Step());
  EXPECT_FALSE(sim.Step());
  EXPECT_EQ(runs, 2);
}

TEST(Simulator, RunUntilIdleStopsAfterMaxEvents) {
  Simulator sim(1);
  int runs = 0;
  for (int i = 0; i < 10; ++i) sim.Schedule(i, [&] { ++runs; });
  EXPECT_EQ(sim.RunUntilIdle(4), 4u);
  EXPECT_EQ(runs, 4);
  EXPECT_EQ(sim.pending_events(), 6u);
  EXPECT_EQ(sim.RunUntilIdle(), 6u);
}

TEST(Simulator, RunForRunsEventsUpToAndIncludingItsEnd) {
  Simulator sim(1);
  std::vector<Time> ran_at;
  for (Time t : {0, 99, 100, 101, 250}) {
    sim.ScheduleAt(t, [&ran_at, t] { ran_at.push_back(t); });
  }
  sim.RunFor(100);
  EXPECT_EQ(ran_at, (std::vector<Time>{0, 99, 100}));
  EXPECT_EQ(sim.Now(), 100);
  sim.RunFor(100);
  EXPECT_EQ(ran_at, (std::vector<Time>{0, 99, 100, 101}));
  EXPECT_EQ(sim.Now(), 200);
  EXPECT_EQ(sim.pending_events(), 1u);
}

TEST(Simulator, RunForAdvancesTimeEvenWithNothingToDo) {
  Simulator sim(1);
  sim.RunFor(Millis(5));
  EXPECT_EQ(sim.Now(), Millis(5));
  sim.RunFor(-10);  // a negative duration does not move time back
  EXPECT_EQ(sim.Now(), Millis(5));
}

TEST(Simulator, RunForRunsEventsScheduledDuringTheWindow) {
  Simulator sim(1);
  std::vector<Time> ran_at;
  sim.ScheduleAt(10, [&] {
    ran_at.push_back(sim.Now());
    sim.Schedule(40, [&] { ran_at.push_back(sim.Now()); });   // at 50: inside
    sim.Schedule(200, [&] { ran_at.push_back(sim.Now()); });  // at 210: outside
  });
  sim.RunFor(100);
  EXPECT_EQ(ran_at, (std::vector<Time>{10, 50}));
  EXPECT_EQ(sim.pending_events(), 1u);
}

TEST(Simulator, RunUntilStopsRightAfterTheConditionHolds) {
  Simulator sim(1);
  int count = 0;
  for (int i = 1; i <= 10; ++i) sim.ScheduleAt(i * 10, [&] { ++count; });
  EXPECT_TRUE(sim.RunUntil([&] { return count == 3; }, kForever));
  EXPECT_EQ(count, 3);
  EXPECT_EQ(sim.Now(), 30);
  EXPECT_EQ(sim.pending_events(), 7u);
}

TEST(Simulator, RunUntilGivesUpAtTheDeadlineWithoutPassingIt) {
  Simulator sim(1);
  int count = 0;
  for (int i = 1; i <= 10; ++i) sim.ScheduleAt(i * 10, [&] { ++count; });
  EXPECT_FALSE(sim.RunUntil([&] { return count == 100; }, 45));
  EXPECT_EQ(count, 4);
  EXPECT_EQ(sim.Now(), 45);
  EXPECT_EQ(sim.pending_events(), 6u);
}

TEST(Simulator, RunUntilDoesNothingWhenAlreadyDone) {
  Simulator sim(1);
  bool ran = false;
  sim.Schedule(1, [&] { ran = true; });
  EXPECT_TRUE(sim.RunUntil([] { return true; }, kForever));
  EXPECT_FALSE(ran);
  EXPECT_EQ(sim.Now(), 0);
}

TEST(Simulator, RunUntilWithAnEmptyQueueMovesTimeToTheDeadline) {
  Simulator sim(1);
  EXPECT_FALSE(sim.RunUntil([] { return false; }, Seconds(2)));
  EXPECT_EQ(sim.Now(), Seconds(2));
  // With no deadline and nothing left to run, it returns at once.
  EXPECT_FALSE(sim.RunUntil([] { return false; }, kForever));
  EXPECT_EQ(sim.Now(), Seconds(2));
}

TEST(Simulator, DelayOfForeverNeverComesAround) {
  Simulator sim(1);
  bool ran = false;
  sim.RunFor(Seconds(1));
  sim.Schedule(kForever, [&] { ran = true; });
  sim.RunFor(Seconds(3600));
  EXPECT_FALSE(ran);
  EXPECT_EQ(sim.Now(), Seconds(3601));
  EXPECT_EQ(sim.pending_events(), 0u);  // "never" is not queued at all
}

TEST(Simulator, RunForForeverRunsEverythingWithoutOverflowing) {
  Simulator sim(1);
  std::vector<Time> ran_at;
  sim.RunFor(10);
  sim.Schedule(Seconds(5), [&] { ran_at.push_back(sim.Now()); });
  sim.RunFor(kForever);
  EXPECT_EQ(ran_at, (std::vector<Time>{10 + Seconds(5)}));
  EXPECT_EQ(sim.Now(), kForever);
}

TEST(Simulator, RootRngIsAFunctionOfTheSeed) {
  Simulator a(99);
  Simulator b(99);
  Simulator c(100);
  EXPECT_EQ(a.seed(), 99u);
  bool all_same_as_b = true;
  bool all_same_as_c = true;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.rng().Next();
    all_same_as_b = all_same_as_b && x == b.rng().Next();
    all_same_as_c = all_same_as_c && x == c.rng().Next();
  }
  EXPECT_TRUE(all_same_as_b);
  EXPECT_FALSE(all_same_as_c);
}

// Cancelled events used to stay queued (and keep their slot) until their
// due time: a million cancelled timers held ~80 MB, and 2^24 of them aborted
// the run with "more than 16777215 events pending" while two were pending.
TEST(Simulator, CancelledEventsDoNotAccumulate) {
  Simulator sim(1);
  int ran = 0;
  sim.Schedule(Seconds(10), [&ran] { ++ran; });
  for (int i = 0; i < 200000; ++i) {
    const EventId id = sim.Schedule(Seconds(5) + i, [&ran] { ran += 1000; });
    sim.Cancel(id);
  }
  EXPECT_EQ(sim.pending_events(), 1u);
  EXPECT_LE(SimulatorTestPeer::QueueEntries(sim), 2048u);
  EXPECT_LE(SimulatorTestPeer::Slots(sim), 2048u);
  // Order and cancellation still hold after the compactions.
  std::vector<int> order;
  for (int i = 0; i < 5000; ++i) {
    const EventId id = sim.Schedule(Seconds(1) + (i % 7), [&order, i] { order.push_back(i); });
    if (i % 3 != 0) sim.Cancel(id);
  }
  sim.RunUntilIdle();
  EXPECT_EQ(ran, 1);
  ASSERT_EQ(order.size(), 1667u);
  for (size_t k = 1; k < order.size(); ++k) {
    const int a = order[k - 1];
    const int b = order[k];
    EXPECT_TRUE(a % 7 < b % 7 || (a % 7 == b % 7 && a < b)) << a << " ran before " << b;
  }
}

}  // namespace
}  // namespace auroralab
