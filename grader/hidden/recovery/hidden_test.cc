// Lab 3 hidden tests: graded, never shipped in the student handout. They
// probe corners behind the public lessons: repeated writer crashes, a
// recovery crashed at every point, GC, an interrupted undo, an old writer
// that is partitioned and comes back, slow and failing segment disks.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/world.h"
#include "labs/recovery/harness.h"
#include "labs/recovery/recovery.h"

namespace auroralab::recovery {
namespace {

using aurora::COMMIT;
using aurora::PUT;
using aurora::RedoRecord;

const Epoch kOld = NextEpoch(0, 99);

std::vector<int> AllSegments() { return {0, 1, 2, 3, 4, 5}; }

aurora::WorkloadOptions Bank(int transactions) {
  return aurora::WorkloadOptions{.kind = aurora::WorkloadKind::kBank,
                                 .clients = 3,
                                 .transactions = transactions,
                                 .think_time = Micros(300)};
}

// Runs writer k's workload to its end and checks the bank and the history.
void FinishBank(RecoveryCluster& cluster, int k) {
  ASSERT_OK(cluster.AwaitUndo(k, Seconds(10)));
  ASSERT_TRUE(cluster.world().RunUntil([&] { return cluster.writer_node(k).workload()->done(); },
                                       Seconds(30)));
  EXPECT_OK(cluster.writer_node(k).workload()->stats().first_violation);
  EXPECT_OK(cluster.CheckBankTotal(k, 100 * cluster.layout().num_keys()));
  EXPECT_OK(cluster.CheckQuiet());
}

// Three writers in a row, each crashed between two events chosen by the
// seed; the fourth finishes the bank.
TEST(RecoveryHidden, ThreeWriterCrashesInARow) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.writers = 4;
    options.workload = Bank(20);
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    ASSERT_TRUE(cluster.AwaitCommits(0, 1, Seconds(5)));
    for (int k = 0; k < 3; ++k) {
      if (k > 0) cluster.TakeOver(k);
      world.CrashAfterEvents(cluster.writer(k), 1 + world.sim().rng().Uniform(1500));
      ASSERT_TRUE(world.RunUntil([&] { return !world.IsUp(cluster.writer(k)); }, Seconds(30)));
    }
    cluster.TakeOver(3);
    FinishBank(cluster, 3);
  });
}

// The writer that recovers crashes between two events of its own
// recovery, chosen by the seed; the next one finishes.
TEST(RecoveryHidden, ACrashAnywhereInsideRecovery) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.writers = 3;
    options.workload = Bank(15);
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    ASSERT_TRUE(cluster.AwaitCommits(0, 3, Seconds(5)));
    cluster.CrashWriter(0);
    cluster.TakeOver(1);
    world.CrashAfterEvents(cluster.writer(1), 1 + world.sim().rng().Uniform(120));
    ASSERT_TRUE(world.RunUntil([&] { return !world.IsUp(cluster.writer(1)); }, Seconds(5)));
    cluster.TakeOver(2);
    FinishBank(cluster, 2);
  });
}

// A writer's undo is cut short by a crash after its first UNDO record was
// shipped; the next writer finds part of the transaction undone, no ABORT,
// and must finish the job.
TEST(RecoveryHidden, AnInterruptedUndoIsFinishedByTheNextWriter) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.first_writer_starts = false;
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    ASSERT_OK(cluster.Establish(SetOf(kOld, {Range(1, 100, kOld)}), AllSegments()));
    std::vector<RedoRecord> records = {
        OldRecord(layout, PUT, 1, kOld, layout.KeyName(1), "x"), OldRecord(layout, COMMIT, 1, kOld),
        OldRecord(layout, PUT, 2, kOld, layout.KeyName(1), "y", "x"),
        OldRecord(layout, PUT, 2, kOld, layout.KeyName(13), "z", "w")};
    Chain(records, 101, 0, {101, 102, 103, 104});
    for (const RedoRecord& r : records) {
      cluster.RecordShipped(r);
      for (int i : AllSegments()) ASSERT_OK(cluster.Append(i, {r}));
    }
    cluster.RecordAcked(1, 102);
    // w0 crashes once one of its Appends (its first UNDO) was answered.
    world.SetDeliveryObserver([&](const World::Delivery& d) {
      if (d.to == cluster.writer(0) && d.reply && d.ok && d.method == segments::kAppend.name) {
        world.SetDeliveryObserver(nullptr);
        cluster.CrashWriter(0);
      }
    });
    cluster.TakeOver(0);
    ASSERT_TRUE(world.RunUntil([&] { return !world.IsUp(cluster.writer(0)); }, Seconds(5)));
    world.RunFor(Millis(50));
    cluster.TakeOver(1);
    ASSERT_OK(cluster.AwaitUndo(1));
    EXPECT_EQ(*cluster.Get(1, layout.KeyName(1)), "x");
    EXPECT_EQ(*cluster.Get(1, layout.KeyName(13)), "w");
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// The old writer is partitioned from everything during the takeover and
// comes back afterwards, still sending its queued records.
TEST(RecoveryHidden, AnOldWriterThatComesBackAfterAPartitionIsRefused) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.workload = aurora::WorkloadOptions{.kind = aurora::WorkloadKind::kKvPuts,
                                               .clients = 3,
                                               .transactions = 100000,
                                               .think_time = Micros(500)};
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    world.RunFor(Millis(80));
    world.network().Isolate(cluster.writer(0));
    world.RunFor(Millis(30));
    cluster.TakeOver(1);
    ASSERT_OK(cluster.AwaitOpen(1));
    const Epoch old_epoch = cluster.recovered(0).epoch;
    const int before = cluster.AckedInEpoch(old_epoch);
    world.network().Heal();
    world.RunFor(Millis(400));
    EXPECT_EQ(cluster.AckedInEpoch(old_epoch), before)
        << "the deposed writer acknowledged a commit";
    EXPECT_OK(cluster.PutAll(1, {{cluster.layout().KeyName(0), "new"}}));
    EXPECT_OK(cluster.CheckAll());
  });
}

// GC runs on both writers: folded records must never be needed by
// recovery or undo.
TEST(RecoveryHidden, RecoveryAfterGarbageCollection) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.gc_interval = Millis(5);
    options.workload = Bank(25);
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    ASSERT_TRUE(cluster.AwaitCommits(0, 10, Seconds(10)));
    world.CrashAfterEvents(cluster.writer(0), 1 + world.sim().rng().Uniform(500));
    ASSERT_TRUE(world.RunUntil([&] { return !world.IsUp(cluster.writer(0)); }, Seconds(30)));
    cluster.TakeOver(1);
    FinishBank(cluster, 1);
  });
}

// Two segments are very slow during recovery: a quorum of the others
// carries it; the slow ones catch up through the background set delivery.
TEST(RecoveryHidden, SlowSegmentsDuringRecovery) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.workload = Bank(15);
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    ASSERT_TRUE(cluster.AwaitCommits(0, 5, Seconds(10)));
    cluster.CrashWriter(0);
    cluster.SlowSegment(1, 40);
    cluster.SlowSegment(4, 40);
    cluster.TakeOver(1);
    FinishBank(cluster, 1);
    world.RunFor(Seconds(2));
    const Epoch epoch = cluster.recovered(1).epoch;
    for (int i : AllSegments()) {
      EXPECT_EQ(cluster.fenced(i).truncations().epoch(), epoch)
          << "segment " << i << " never got the new writer's truncation set";
    }
  });
}

// Segment disks fail syncs now and then during the takeover: a failed
// sync is no acknowledgement.
TEST(RecoveryHidden, FailingSegmentSyncsDuringRecovery) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.workload = Bank(15);
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    ASSERT_TRUE(cluster.AwaitCommits(0, 5, Seconds(10)));
    cluster.CrashWriter(0);
    for (int i : {0, 2, 4}) world.FailNextSyncs(cluster.segment(i), 3);
    cluster.TakeOver(1);
    FinishBank(cluster, 1);
  });
}

// The lecture case, with the old writer's LSNs far from the start and a
// second recovery on top of the first: the ranges accumulate and the
// second range starts above the first writer's kept records.
TEST(RecoveryHidden, TwoRecoveriesInARowKeepEveryRange) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.first_writer_starts = false;
    options.writers = 2;
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    cluster.TakeOver(0);
    ASSERT_OK(cluster.AwaitUndo(0));
    const std::string key = cluster.layout().KeyName(7);
    ASSERT_OK(cluster.PutAll(0, {{key, "first"}}));
    const RecoveredVolume first = cluster.recovered(0);
    cluster.CrashWriter(0);
    cluster.TakeOver(1);
    ASSERT_OK(cluster.AwaitUndo(1));
    const RecoveredVolume& second = cluster.recovered(1);
    EXPECT_GT(second.epoch, first.epoch);
    EXPECT_EQ(second.truncations.ranges_size(), first.truncations.ranges_size() + 1)
        << "the second set keeps the first recovery's ranges and adds its own";
    EXPECT_GE(second.start.next_lsn, first.start.next_lsn + cluster.options().lal)
        << "the first writer could allocate up to its range end + LAL";
    EXPECT_EQ(*cluster.Get(1, key), "first");
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// Recovery resends: the same BumpEpoch and the same truncation set may
// arrive twice (a duplicate, or a retry after a lost answer). Both are
// accepted again and change nothing.
TEST(RecoveryHidden, ARepeatedBumpOrTruncateIsAcceptedAndChangesNothing) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.first_writer_starts = false;
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    ASSERT_OK(cluster.Establish(SetOf(kOld, {Range(1, 100, kOld)}), {0}));
    std::vector<RedoRecord> records = {OldRecord(layout, PUT, 1, kOld, layout.KeyName(1), "a"),
                                       OldRecord(layout, COMMIT, 1, kOld)};
    Chain(records, 101, 0, {101, 102});
    ASSERT_OK(cluster.Append(0, records));
    const Epoch newer = NextEpoch(kOld, 5);
    for (int round = 0; round < 2; ++round) {
      absl::StatusOr<BumpEpochReply> bumped = cluster.BumpEpoch(0, newer);
      ASSERT_OK(bumped);
      EXPECT_TRUE(bumped->accepted()) << "round " << round;
    }
    const TruncationSet set = SetOf(newer, {Range(1, 100, kOld), Range(103, 200, newer)});
    for (int round = 0; round < 2; ++round) {
      absl::StatusOr<TruncateReply> truncated = cluster.Truncate(0, set);
      ASSERT_OK(truncated);
      EXPECT_TRUE(truncated->accepted()) << "round " << round;
    }
    absl::StatusOr<SegmentStateReply> state = cluster.State(0);
    ASSERT_OK(state);
    EXPECT_EQ(state->epoch(), newer);
    EXPECT_EQ(state->truncations().SerializeAsString(), set.SerializeAsString());
    EXPECT_EQ(state->scl(), 102u) << "records below the range are kept";
  });
}

// A segment that has the new set restarts while the others, which have not
// heard of it, still hold the annulled records and gossip them. After the
// restart the set must be in force again as a filter, not only as data:
// the annulled records never come back. (Mutant
// filter_not_reinstalled_at_start.)
TEST(RecoveryHidden, AnnulledRecordsStayGoneAfterASegmentRestart) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.first_writer_starts = false;
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    ASSERT_OK(cluster.Establish(SetOf(kOld, {Range(1, 100, kOld)}), AllSegments()));
    std::vector<RedoRecord> records;
    for (int n = 0; n < 8; ++n) {
      records.push_back(
          OldRecord(layout, PUT, 1 + n, kOld, layout.KeyName(n), absl::StrCat("v", n)));
    }
    Chain(records, 101, 0, {101, 102, 103, 104, 105, 106, 107, 108});
    for (const RedoRecord& r : records) {
      cluster.RecordShipped(r);
      for (int i : AllSegments()) ASSERT_OK(cluster.Append(i, {r}));
    }
    world.RunFor(Millis(50));
    const Epoch newer = NextEpoch(kOld, 7);
    ASSERT_OK(cluster.Establish(SetOf(newer, {Range(1, 100, kOld), Range(105, 300, newer)}), {0}));
    ASSERT_EQ(cluster.fenced(0).scl(), 104u);
    cluster.CrashSegment(0);
    cluster.RestartSegment(0);
    world.RunFor(Millis(500));  // plenty of gossip from segments 1..5
    EXPECT_EQ(cluster.fenced(0).scl(), 104u)
        << "after a restart, annulled records came back to segment 0 by gossip";
    for (int n = 4; n < 8; ++n) {
      EXPECT_EQ(cluster.DurableCopies(0, records[n]), 0)
          << "record " << records[n].lsn() << " is annulled but back on segment 0's disk";
    }
  });
}

// The first writer opens and crashes before anything it writes is
// durable: its VDL is still below the end of its own range, yet it could
// allocate up to that end + LAL. The second range must reach that far
// (max(VDL, the highest range end in force) + LAL), and the second writer
// continues above it. (Mutant range_end_ignores_earlier_ranges.)
TEST(RecoveryHidden, TheRangeReachesTheLastRangeEndPlusLal) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.first_writer_starts = false;
    options.writers = 2;
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    cluster.TakeOver(0);
    ASSERT_OK(cluster.AwaitUndo(0));
    const RecoveredVolume first = cluster.recovered(0);
    const Lsn first_end = first.truncations.ranges(first.truncations.ranges_size() - 1).last();
    cluster.CrashWriter(0);
    cluster.TakeOver(1);
    ASSERT_OK(cluster.AwaitUndo(1));
    const RecoveredVolume& second = cluster.recovered(1);
    ASSERT_LT(second.vdl, first_end) << "the first writer wrote nothing durable";
    const Lsn second_end = second.truncations.ranges(second.truncations.ranges_size() - 1).last();
    EXPECT_GE(second_end, first_end + cluster.options().lal)
        << "w0 could allocate up to its range end " << first_end << " + LAL";
    EXPECT_GT(second.start.next_lsn, second_end);
    EXPECT_OK(cluster.PutAll(1, {{cluster.layout().KeyName(3), "second"}}));
    EXPECT_OK(cluster.CheckQuiet());
  });
}

}  // namespace
}  // namespace auroralab::recovery
