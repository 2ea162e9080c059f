// Lab 3 public tests: crash recovery without consensus. Read them as the
// specification; docs/labs/recovery.md explains each lesson.
//
// Part A tests one fenced segment through the probe (the probe plays an old
// writer or a new one). Part B tests the new writer's recovery against
// scripted states: the probe writes exactly the records an old writer left
// behind (the lecture's 101, 102, 104), then a writer takes over. The
// system tests crash real writers anywhere in a bank workload.
//
// Each scripted test fails deterministically, on every seed, for the
// classic mistake its comment names; the seeds add breadth.
#include "labs/recovery/recovery.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/aurora/checkers.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/world.h"
#include "labs/recovery/harness.h"

namespace auroralab::recovery {
namespace {

using aurora::COMMIT;
using aurora::PUT;
using aurora::RedoRecord;

constexpr int kAll[] = {0, 1, 2, 3, 4, 5};
std::vector<int> AllSegments() { return std::vector<int>(std::begin(kAll), std::end(kAll)); }

// The epoch of the old writer the probe plays.
const Epoch kOld = NextEpoch(0, 99);

RecoveryClusterOptions Scripted() {
  RecoveryClusterOptions options;
  options.first_writer_starts = false;
  return options;
}

// A first writer that keeps committing small puts (two clients, 1 ms think
// time, more transactions than any test runs): an old writer still busy when
// the next one takes over.
RecoveryClusterOptions BusyOldWriter() {
  RecoveryClusterOptions options;
  options.workload = aurora::WorkloadOptions{.kind = aurora::WorkloadKind::kKvPuts,
                                             .clients = 2,
                                             .transactions = 100000,
                                             .think_time = Millis(1)};
  return options;
}

// Puts the old writer's set in force everywhere ([1, 100] annulled, so its
// records start at 101 as in the lecture) and appends `records` to the
// listed segments. Records go into the history as shipped.
void OldWriterLeft(RecoveryCluster& cluster, const std::vector<RedoRecord>& records,
                   const std::map<Lsn, std::vector<int>>& where) {
  ASSERT_OK(cluster.Establish(SetOf(kOld, {Range(1, 100, kOld)}), AllSegments()));
  for (const RedoRecord& record : records) {
    cluster.RecordShipped(record);
    auto it = where.find(record.lsn());
    const std::vector<int> segments = it == where.end() ? AllSegments() : it->second;
    for (int i : segments) ASSERT_OK(cluster.Append(i, {record}));
  }
}

// The lecture's log, as the old writer (epoch kOld) wrote it: transaction
// 1 sets k1 = "a" (101) and commits (102); transaction 2 sets k9 = "b"
// (103) and commits (104). Each record is its own MTR.
std::vector<RedoRecord> LectureLog(const aurora::VolumeLayout& layout) {
  std::vector<RedoRecord> records = {
      OldRecord(layout, PUT, 1, kOld, layout.KeyName(1), "a"), OldRecord(layout, COMMIT, 1, kOld),
      OldRecord(layout, PUT, 2, kOld, layout.KeyName(9), "b"), OldRecord(layout, COMMIT, 2, kOld)};
  Chain(records, 101, 0, {101, 102, 103, 104});
  return records;
}

const TruncationRange& OwnRange(const RecoveredVolume& volume) {
  return volume.truncations.ranges(volume.truncations.ranges_size() - 1);
}

// ---------------------------------------------------------------------------
// Part A: the fenced segment.

// Mistake: Append does not look at the epoch, so a deposed writer keeps
// writing.
TEST(RecoveryPartA, ARecordOfAnOlderEpochIsRefusedAndNotStored) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const Epoch newer = NextEpoch(kOld, 7);
    ASSERT_OK(cluster.Establish(SetOf(kOld, {}), {0}));
    std::vector<RedoRecord> records = {
        OldRecord(cluster.layout(), PUT, 1, kOld, cluster.layout().KeyName(1), "a")};
    Chain(records, 1, 0, {1});
    ASSERT_OK(cluster.Append(0, records)) << "epoch " << kOld << " is the segment's own";
    absl::StatusOr<BumpEpochReply> bumped = cluster.BumpEpoch(0, newer);
    ASSERT_OK(bumped);
    EXPECT_TRUE(bumped->accepted());
    std::vector<RedoRecord> late = {
        OldRecord(cluster.layout(), PUT, 1, kOld, cluster.layout().KeyName(2), "b")};
    Chain(late, 2, 1, {2});
    absl::StatusOr<segments::AppendReply> refused = cluster.Append(0, late);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
        << "a record of epoch " << kOld << " after the segment adopted " << newer
        << " must fail with FailedPrecondition (the old writer is fenced); got "
        << refused.status();
    world.RunFor(Millis(50));
    EXPECT_EQ(cluster.DurableCopies(0, late[0]), 0) << "a fenced record is not stored";
  });
}

// Mistake: the segment answers BumpEpoch before the epoch is synced, so a
// crash right after the answer brings the old epoch back.
TEST(RecoveryPartA, AnAdoptedEpochSurvivesACrashRightAfterTheAnswer) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const Epoch epoch = NextEpoch(kOld, 7);
    bool crashed = false;
    world.SetDeliveryObserver([&](const World::Delivery& d) {
      if (!crashed && d.reply && d.method == kBumpEpoch.name && d.to == cluster.probe()) {
        crashed = true;
        cluster.CrashSegment(0);
      }
    });
    absl::StatusOr<BumpEpochReply> bumped = cluster.BumpEpoch(0, epoch);
    ASSERT_OK(bumped);
    ASSERT_TRUE(crashed);
    world.SetDeliveryObserver(nullptr);
    cluster.RestartSegment(0);
    absl::StatusOr<SegmentStateReply> state = cluster.State(0);
    ASSERT_OK(state);
    EXPECT_EQ(state->epoch(), epoch) << "the epoch was acknowledged, so it must be durable";
  });
}

// Mistake: a segment adopts whatever epoch it is sent, even a lower one.
TEST(RecoveryPartA, ALowerEpochIsRefusedWithTheHigherOne) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const Epoch high = NextEpoch(NextEpoch(kOld, 7), 8);
    ASSERT_OK(cluster.BumpEpoch(0, high));
    absl::StatusOr<BumpEpochReply> low = cluster.BumpEpoch(0, kOld);
    ASSERT_OK(low);
    EXPECT_FALSE(low->accepted());
    EXPECT_EQ(low->epoch(), high) << "a refusal tells the asker the higher epoch";
    absl::StatusOr<TruncateReply> old_set = cluster.Truncate(0, SetOf(kOld, {}));
    ASSERT_OK(old_set);
    EXPECT_FALSE(old_set->accepted()) << "a truncation set of an older epoch is refused too";
    absl::StatusOr<SegmentStateReply> state = cluster.State(0);
    ASSERT_OK(state);
    EXPECT_EQ(state->epoch(), high);
  });
}

// Mistake: a truncation only stops new copies; records already held stay
// (they still count for the SCL and still show in pages), or they come
// back by gossip from a segment that has not heard of the range.
TEST(RecoveryPartA, TruncatedRecordsVanishAndStayGoneDespiteGossip) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    std::vector<RedoRecord> records;
    for (int n = 0; n < 10; ++n) {
      records.push_back(
          OldRecord(layout, PUT, 1 + n, kOld, layout.KeyName(n), absl::StrCat("v", n)));
    }
    Chain(records, 101, 0, {101, 102, 103, 104, 105, 106, 107, 108, 109, 110});
    OldWriterLeft(cluster, records, {});
    world.RunFor(Millis(50));
    ASSERT_EQ(cluster.fenced(0).scl(), 110u);
    // A new writer's set annuls 106..110 on segment 0 only; the others
    // still hold them and gossip.
    const Epoch newer = NextEpoch(kOld, 7);
    const TruncationSet set = SetOf(newer, {Range(1, 100, kOld), Range(106, 300, newer)});
    ASSERT_OK(cluster.Establish(set, {0}));
    absl::StatusOr<SegmentStateReply> state = cluster.State(0);
    ASSERT_OK(state);
    EXPECT_EQ(state->scl(), 105u) << "records inside a range no longer count for the SCL";
    world.RunFor(Millis(500));  // plenty of gossip rounds
    EXPECT_EQ(cluster.fenced(0).scl(), 105u) << "an annulled record came back by gossip";
    for (int n = 5; n < 10; ++n) {
      EXPECT_EQ(cluster.DurableCopies(0, records[n]), 0)
          << "record " << records[n].lsn() << " is annulled but still on segment 0's disk";
    }
    absl::StatusOr<segments::ReadPageReply> page = cluster.ReadPage(0, records[7].page(), 105);
    ASSERT_OK(page);
    for (const aurora::Slot& slot : page->page().slots()) {
      EXPECT_NE(slot.value(), "v7") << "an annulled record was applied to a page";
    }
  });
}

// Mistake: the truncation set lives only in memory (or is answered before
// it is synced): after a restart the annulled records are back.
TEST(RecoveryPartA, ATruncationSetSurvivesRestarts) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    std::vector<RedoRecord> records;
    for (int n = 0; n < 6; ++n) {
      records.push_back(OldRecord(layout, PUT, 1 + n, kOld, layout.KeyName(n), "v"));
    }
    Chain(records, 101, 0, {101, 102, 103, 104, 105, 106});
    OldWriterLeft(cluster, records, {{104, {0}}, {105, {0}}, {106, {0}}});
    const Epoch newer = NextEpoch(kOld, 7);
    const TruncationSet set = SetOf(newer, {Range(1, 100, kOld), Range(104, 300, newer)});
    bool crashed = false;
    world.SetDeliveryObserver([&](const World::Delivery& d) {
      if (!crashed && d.reply && d.method == kTruncate.name && d.to == cluster.probe()) {
        crashed = true;
        cluster.CrashSegment(0);
      }
    });
    ASSERT_OK(cluster.Establish(set, {0}));
    world.SetDeliveryObserver(nullptr);
    cluster.RestartSegment(0);
    world.RunFor(Millis(100));
    absl::StatusOr<SegmentStateReply> state = cluster.State(0);
    ASSERT_OK(state);
    EXPECT_EQ(state->truncations().SerializeAsString(), set.SerializeAsString())
        << "the acknowledged set must be the one in force after a restart; got "
        << state->truncations().ShortDebugString();
    EXPECT_EQ(state->epoch(), newer);
    EXPECT_EQ(state->scl(), 103u) << "104..106 are annulled, also after the restart";
  });
}

// Mistake: a newer set is merged with the older one instead of replacing
// it, so records the newer recovery kept stay annulled.
TEST(RecoveryPartA, ANewerSetReplacesTheOlderOneWhole) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    std::vector<RedoRecord> records;
    for (int n = 0; n < 6; ++n) {
      records.push_back(OldRecord(layout, PUT, 1 + n, kOld, layout.KeyName(n), "v"));
    }
    Chain(records, 101, 0, {101, 102, 103, 104, 105, 106});
    OldWriterLeft(cluster, records, {});
    world.RunFor(Millis(50));
    // A recovery that crashed half way annulled 103.. on segment 0; a later
    // one, which never saw that set, kept up to 105.
    const Epoch crashed_recovery = NextEpoch(kOld, 7);
    const Epoch later = NextEpoch(crashed_recovery, 8);
    ASSERT_OK(cluster.Establish(
        SetOf(crashed_recovery, {Range(1, 100, kOld), Range(103, 300, crashed_recovery)}), {0}));
    ASSERT_EQ(cluster.fenced(0).scl(), 102u);
    ASSERT_OK(cluster.Establish(SetOf(later, {Range(1, 100, kOld), Range(106, 400, later)}), {0}));
    world.RunFor(Millis(500));  // gossip brings 103..105 back
    EXPECT_EQ(cluster.fenced(0).scl(), 105u)
        << "the newer set (epoch " << later << ") keeps 103..105: it replaces the older set "
        << "whole, and gossip refills what the older one had dropped";
  });
}

// Mistake: Append stores a record of a newer epoch than the set in force.
// Segment 0 has adopted the new writer's epoch but not yet its set, and
// still holds the old writer's 101 and 102. The new writer's first record
// links back to its VDL (0 here) just as 101 does: without the set the
// segment cannot tell which of the two continues the log. It refuses the
// record with Unavailable, and takes it once the set has arrived.
TEST(RecoveryPartA, ARecordOfANewerEpochWaitsForItsWritersSet) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    const Lsn lal = cluster.options().lal;
    std::vector<RedoRecord> old_log = {OldRecord(layout, PUT, 1, kOld, layout.KeyName(1), "old"),
                                       OldRecord(layout, COMMIT, 1, kOld)};
    Chain(old_log, 101, 0, {101, 102});
    OldWriterLeft(cluster, old_log, {});
    const Epoch newer = NextEpoch(kOld, 7);
    absl::StatusOr<BumpEpochReply> bumped = cluster.BumpEpoch(0, newer);
    ASSERT_OK(bumped);
    ASSERT_TRUE(bumped->accepted());
    std::vector<RedoRecord> first = {OldRecord(layout, PUT, 2, newer, layout.KeyName(1), "new")};
    Chain(first, 101 + lal, 0, {101 + lal});
    absl::StatusOr<segments::AppendReply> early = cluster.Append(0, first);
    EXPECT_EQ(early.status().code(), absl::StatusCode::kUnavailable)
        << "a record of epoch " << newer << " before that epoch's truncation set arrived must "
        << "fail with Unavailable (the segment still holds 101, which has the same backlink); got "
        << early.status();
    world.RunFor(Millis(50));
    EXPECT_EQ(cluster.DurableCopies(0, first[0]), 0) << "a refused record is not stored";
    ASSERT_OK(cluster.Establish(
        SetOf(newer, {Range(1, 100, kOld), Range(101, 100 + lal, newer)}), {0}));
    EXPECT_OK(cluster.Append(0, first)) << "once its writer's set is in force, the record is taken";
    world.RunFor(Millis(50));
    EXPECT_EQ(cluster.fenced(0).scl(), 101 + lal)
        << "101 and 102 are annulled; the log goes on with the new writer's first record";
  });
}

// ---------------------------------------------------------------------------
// Part B: the new writer's recovery, against scripted old writers.

// The lecture's example. The old writer wrote 101 and 102 (transaction 1,
// committed), 103 and 104 (transaction 2: its change and its COMMIT). 103
// reached no segment; 104 reached four, a write quorum. Recovery keeps 101
// and 102, and discards 103 AND 104: without 103 the log is not complete
// past 102, so 104 was never durable, whatever its copies.
TEST(RecoveryPartB, TheLectureCaseKeeps101And102AndDiscards104) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    const std::string k1 = layout.KeyName(1);
    const std::string k9 = layout.KeyName(9);
    const std::vector<RedoRecord> records = LectureLog(layout);
    OldWriterLeft(cluster, records, {{103, {}}, {104, {0, 1, 2, 3}}});
    cluster.RecordAcked(1, 102);
    cluster.TakeOver(0);
    ASSERT_OK(cluster.AwaitUndo(0));
    const RecoveredVolume& volume = cluster.recovered(0);
    EXPECT_EQ(volume.vcl, 102u);
    EXPECT_EQ(volume.vdl, 102u);
    EXPECT_EQ(OwnRange(volume).first(), 103u) << "the range starts just above VDL";
    EXPECT_GE(OwnRange(volume).last(), 104u);
    EXPECT_TRUE(volume.undo.empty()) << "transaction 1 committed; nothing of 2 survives";
    EXPECT_EQ(*cluster.Get(0, k1), "a");
    EXPECT_EQ(*cluster.Get(0, k9), std::nullopt) << "104 (and 103) are discarded";
    world.RunFor(Millis(300));  // the set reaches every segment
    for (int i : AllSegments()) {
      EXPECT_EQ(cluster.DurableCopies(i, records[3]), 0)
          << "record 104 is annulled but still on segment " << i << "'s disk";
    }
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// Mistake: undo skipped (or undone with the new value instead of the old).
// Transaction 2 changed k1 (x -> y) and k9 (none -> z); its COMMIT (105)
// never reached a segment. Its changes survive at or below VDL, so the new
// writer must put the old values back.
TEST(RecoveryPartB, AnInDoubtTransactionIsUndoneWithItsOldValues) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    const std::string k1 = layout.KeyName(1);
    const std::string k9 = layout.KeyName(9);
    std::vector<RedoRecord> records = {
        OldRecord(layout, PUT, 1, kOld, k1, "x"), OldRecord(layout, COMMIT, 1, kOld),
        OldRecord(layout, PUT, 2, kOld, k1, "y", "x"), OldRecord(layout, PUT, 2, kOld, k9, "z")};
    Chain(records, 101, 0, {101, 102, 103, 104});
    OldWriterLeft(cluster, records, {});
    cluster.RecordAcked(1, 102);
    cluster.TakeOver(0);
    ASSERT_OK(cluster.AwaitUndo(0));
    const RecoveredVolume& volume = cluster.recovered(0);
    EXPECT_EQ(volume.vdl, 104u);
    ASSERT_EQ(volume.undo.size(), 1u) << "transaction 2 is in doubt";
    EXPECT_EQ(volume.undo.begin()->first, 2u);
    EXPECT_EQ(*cluster.Get(0, k1), "x") << "the undo restores the value before transaction 2";
    EXPECT_EQ(*cluster.Get(0, k9), std::nullopt) << "k9 had no value before transaction 2";
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// Mistake: truncating above VCL instead of VDL. 104 is complete but ends
// no MTR (transaction 2's MTR is 104 and 105; 105 is lost): keeping it
// would make half an MTR part of the database.
TEST(RecoveryPartB, TruncationStartsAboveVdlNotVcl) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    const std::string k1 = layout.KeyName(1);
    const std::string k2 = layout.KeyName(2);
    std::vector<RedoRecord> records = {
        OldRecord(layout, PUT, 1, kOld, k1, "a"), OldRecord(layout, COMMIT, 1, kOld),
        OldRecord(layout, PUT, 2, kOld, k1, "b", "a"), OldRecord(layout, PUT, 2, kOld, k2, "c")};
    Chain(records, 101, 0, {101, 102, 104});  // 103 and 104 are one MTR
    OldWriterLeft(cluster, records, {{104, {}}});
    cluster.RecordAcked(1, 102);
    cluster.TakeOver(0);
    ASSERT_OK(cluster.AwaitUndo(0));
    const RecoveredVolume& volume = cluster.recovered(0);
    EXPECT_EQ(volume.vcl, 103u);
    EXPECT_EQ(volume.vdl, 102u) << "103 is complete but not a CPL: VDL stops at 102";
    EXPECT_EQ(OwnRange(volume).first(), 103u);
    EXPECT_EQ(*cluster.Get(0, k1), "a") << "half of transaction 2's MTR must not be visible";
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// The straggler scenario of the two tests below: the old writer started
// after the range [1, 100] and left `records` (nothing, or a committed
// transaction at 101-102) on every segment. Its allocation limit let it
// allocate up to max(its VDL, 100) + LAL; a straggler at exactly that LSN
// reaches segment 5, which was cut off during recovery, after the new writer
// opened. The new range must cover it, or gossip spreads it as if it were
// part of the new writer's log.
void StragglerAtTheOldWritersLimit(World& world, bool commit_before_the_crash) {
  RecoveryCluster cluster(world, Scripted());
  ASSERT_OK(cluster.status());
  const aurora::VolumeLayout& layout = cluster.layout();
  const uint64_t lal = cluster.options().lal;
  std::vector<RedoRecord> records;
  if (commit_before_the_crash) {
    records = {OldRecord(layout, PUT, 1, kOld, layout.KeyName(1), "a"),
               OldRecord(layout, COMMIT, 1, kOld)};
    Chain(records, 101, 0, {101, 102});
  }
  OldWriterLeft(cluster, records, {});
  const Lsn old_vdl = commit_before_the_crash ? 102 : aurora::kNoLsn;
  const Lsn limit = std::max<Lsn>(old_vdl, 100) + lal;
  std::vector<RedoRecord> one = {OldRecord(layout, PUT, 9, kOld, layout.KeyName(3), "straggler")};
  Chain(one, limit, limit - 1, {limit});
  const RedoRecord straggler = one[0];
  cluster.CutWriterFrom(0, {5});
  cluster.TakeOver(0);
  ASSERT_OK(cluster.AwaitUndo(0));
  ASSERT_OK(cluster.Append(5, {straggler})) << "segment 5 has not heard of the new writer";
  world.network().Heal();
  ASSERT_OK(cluster.PutAll(0, {{layout.KeyName(4), "new"}}));
  world.RunFor(Millis(500));
  EXPECT_GE(OwnRange(cluster.recovered(0)).last(), limit)
      << "the range must reach max(VDL, the highest range end in force) + LAL = " << limit;
  for (int i : AllSegments()) {
    EXPECT_EQ(cluster.DurableCopies(i, straggler), 0)
        << "the old writer's straggler at LSN " << straggler.lsn() << " survived on segment " << i;
  }
  EXPECT_EQ(*cluster.Get(0, layout.KeyName(3)), std::nullopt) << "the straggler became visible";
  EXPECT_OK(cluster.CheckQuiet());
}

// Mistake: a truncation range too short for what the old writer may still
// have in flight: ending at the highest LSN the states show, or a little
// past it. Here the old writer's VDL was 102: it may have allocated up to
// 102 + LAL.
TEST(RecoveryPartB, TheRangeCoversEverythingTheOldWriterMayStillSend) {
  RunSeeds([](World& world) { StragglerAtTheOldWritersLimit(world, true); });
}

// Mistake: the range ends at VDL + LAL, forgetting the range the old writer
// started after. It made nothing durable (VDL 0), but it allocated above the
// earlier range's end (100), so up to 100 + LAL.
TEST(RecoveryPartB, TheRangeCoversTheOldWritersLimitAboveTheRangeItStartedAfter) {
  RunSeeds([](World& world) { StragglerAtTheOldWritersLimit(world, false); });
}

// Mistake: recovery decides on fewer than a read quorum of states. The old
// writer's commit at 110 is durable on segments 2..5 (a write quorum);
// segments 0 and 1 answer first and hold only up to 105 (they are cut off
// from the others, so gossip cannot fill them). Any 3 states include one of
// 2..5; 2 states need not.
TEST(RecoveryPartB, RecoveryWaitsForAReadQuorumOfStates) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    std::vector<RedoRecord> records;
    for (int n = 0; n < 9; ++n) {
      records.push_back(OldRecord(layout, PUT, 1, kOld, layout.KeyName(n), absl::StrCat("v", n)));
    }
    records.push_back(OldRecord(layout, COMMIT, 1, kOld));
    Chain(records, 101, 0, {101, 102, 103, 104, 105, 106, 107, 108, 109, 110});
    std::map<Lsn, std::vector<int>> where;
    for (Lsn lsn = 106; lsn <= 110; ++lsn) where[lsn] = {2, 3, 4, 5};
    for (int a : {0, 1}) {
      for (int b : {2, 3, 4, 5}) {
        world.network().BlockLink(cluster.segment(a), cluster.segment(b));
        world.network().BlockLink(cluster.segment(b), cluster.segment(a));
      }
    }
    OldWriterLeft(cluster, records, where);
    cluster.RecordAcked(1, 110);
    for (int i : {2, 3, 4, 5}) cluster.SlowSegment(i, 20);
    cluster.TakeOver(0);
    ASSERT_OK(cluster.AwaitUndo(0, Seconds(10)));
    EXPECT_EQ(cluster.recovered(0).vdl, 110u)
        << "the acknowledged commit at 110 is on 4 segments: a read quorum must see it";
    EXPECT_EQ(*cluster.Get(0, layout.KeyName(8)), "v8");
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// Mistake: recovery takes each state at face value, ignoring the set in
// force. An earlier recovery annulled [103, 102 + LAL] while segment 5 was
// away, so segment 5 still holds the old writer's 103 and 104 (a whole
// transaction, with its COMMIT) and reports SCL 104. Segments 0-2 are slow,
// so segment 5 is always among the first three states. Its SCL counts only
// up to 102, and 103-104 are not part of the log: VCL = VDL = 102.
TEST(RecoveryPartB, ASegmentThatMissedTheLatestSetCountsOnlyBelowItsRanges) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    const aurora::VolumeLayout& layout = cluster.layout();
    const std::string k1 = layout.KeyName(1);
    const std::string k9 = layout.KeyName(9);
    const std::vector<RedoRecord> records = LectureLog(layout);
    OldWriterLeft(cluster, records, {{103, {5}}, {104, {5}}});
    cluster.RecordAcked(1, 102);
    const Epoch earlier = NextEpoch(kOld, 98);
    const Lsn lal = cluster.options().lal;
    ASSERT_OK(cluster.Establish(
        SetOf(earlier, {Range(1, 100, kOld), Range(103, 102 + lal, earlier)}), {0, 1, 2, 3, 4}));
    absl::StatusOr<SegmentStateReply> stale = cluster.State(5);
    ASSERT_OK(stale);
    ASSERT_EQ(stale->scl(), 104u) << "segment 5 missed the earlier recovery's set";
    for (int i : {0, 1, 2}) cluster.SlowSegment(i, 20);
    cluster.TakeOver(0);
    ASSERT_OK(cluster.AwaitUndo(0));
    const RecoveredVolume& volume = cluster.recovered(0);
    EXPECT_EQ(volume.vcl, 102u) << "segment 5's SCL 104 lies in the range [103, " << 102 + lal
                                << "] in force: it counts as 102";
    EXPECT_EQ(volume.vdl, 102u) << "103 and 104 were annulled by the earlier recovery";
    absl::StatusOr<std::optional<std::string>> annulled = cluster.Get(0, k9);
    ASSERT_OK(annulled) << "the new writer must be able to read at its VDL";
    EXPECT_EQ(*annulled, std::nullopt) << "an annulled transaction came back";
    ASSERT_OK(cluster.PutAll(0, {{k1, "new"}})) << "the new writer must be able to commit";
    EXPECT_EQ(*cluster.Get(0, k1), "new");
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// Mistake: no epoch bump, or reading the states before a write quorum has
// the new epoch. The new writer first reaches segment 0 only (its links to
// the others come up 30 ms later). Once it has read its states it stalls,
// while the old writer keeps committing on every segment that has not
// adopted the new epoch; the truncation then annuls commits the old writer
// had already acknowledged. With 4 segments fenced first, the old writer
// cannot commit after the states are read.
TEST(RecoveryPartB, TheOldWriterIsFencedBeforeTheStatesAreRead) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, BusyOldWriter());
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    world.RunFor(Millis(100));
    std::vector<std::pair<NodeId, NodeId>> late_links;
    for (int i : {1, 2, 3, 4, 5}) late_links.emplace_back(cluster.writer(1), cluster.segment(i));
    world.network().BlockLinks(late_links, "w1 reaches segment 0 first");
    world.At(world.Now() + Millis(30), "w1's other links come up",
             [&] { world.network().UnblockLinks(late_links, "w1's other links come up"); });
    // The new writer reads its states, then is cut off for a while: the old
    // one is still running and reaches every segment.
    int states = 0;
    world.SetDeliveryObserver([&](const World::Delivery& d) {
      if (d.to == cluster.writer(1) && d.reply && d.method == kSegmentState.name &&
          ++states == kReadQuorum) {
        world.network().Hold(cluster.writer(1));
        world.At(world.Now() + Millis(200), "release w1",
                 [&] { world.network().Release(cluster.writer(1)); });
      }
    });
    const size_t acked_before = cluster.history().acked.size();
    cluster.TakeOver(1);
    ASSERT_OK(cluster.AwaitOpen(1, Seconds(5)));
    world.SetDeliveryObserver(nullptr);
    world.RunFor(Millis(300));
    EXPECT_GT(acked_before, 0u);
    EXPECT_OK(cluster.CheckAll()) << "an acknowledged commit of the old writer was truncated away";
    EXPECT_OK(cluster.PutAll(1, {{cluster.layout().KeyName(0), "after"}}));
  });
}

// Mistake: the truncation set is not durable on a write quorum when the
// writer opens (recovery opens after fewer than 4 acceptances, or segments
// acknowledge before syncing). Segments 3..5 are slow, so the fourth
// acceptance comes late; every segment crashes right after the writer
// opened, and the set must still be in force on 4 of them.
TEST(RecoveryPartB, TheTruncationIsDurableOnAWriteQuorumBeforeTheWriterOpens) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, Scripted());
    ASSERT_OK(cluster.status());
    for (int i : {3, 4, 5}) cluster.SlowSegment(i, 20);
    cluster.TakeOver(0);
    ASSERT_TRUE(world.RunUntil(
        [&] {
          return cluster.writer_node(0).phase() != RecoveringWriter::Phase::kRecovering &&
                 cluster.writer_node(0).phase() != RecoveringWriter::Phase::kStandby;
        },
        Seconds(5)));
    for (int i : AllSegments()) cluster.CrashSegment(i);
    for (int i : AllSegments()) cluster.RestartSegment(i);
    ASSERT_OK(cluster.writer_node(0).recovery_status());
    const Epoch epoch = cluster.recovered(0).epoch;
    int holding = 0;
    for (int i : AllSegments()) {
      holding += cluster.fenced(i).truncations().epoch() == epoch ? 1 : 0;
    }
    EXPECT_GE(holding, kWriteQuorum)
        << "the writer opened with its truncation set on only " << holding << " segment disks";
  });
}

// A named point inside recovery: right after the writer handled the n-th
// OK reply of `method`.
struct CrashPoint {
  const char* method;
  int nth;
};

// Crashes writer k at `point` (once), through the delivery observer.
void CrashWriterAt(RecoveryCluster& cluster, int k, CrashPoint point) {
  auto seen = std::make_shared<int>(0);
  cluster.world().SetDeliveryObserver([&cluster, k, point, seen](const World::Delivery& d) {
    if (d.to == cluster.writer(k) && d.reply && d.ok && d.method == point.method &&
        ++*seen == point.nth) {
      cluster.world().SetDeliveryObserver(nullptr);
      cluster.CrashWriter(k);
    }
  });
}

// The scripted state of AnInDoubtTransactionIsUndoneWithItsOldValues:
// transaction 1 committed k1 = x; transaction 2 changed k1 to y and k9 to z
// and never committed.
std::vector<RedoRecord> InDoubtLog(RecoveryCluster& cluster) {
  const aurora::VolumeLayout& layout = cluster.layout();
  std::vector<RedoRecord> records = {OldRecord(layout, PUT, 1, kOld, layout.KeyName(1), "x"),
                                     OldRecord(layout, COMMIT, 1, kOld),
                                     OldRecord(layout, PUT, 2, kOld, layout.KeyName(1), "y", "x"),
                                     OldRecord(layout, PUT, 2, kOld, layout.KeyName(9), "z")};
  Chain(records, 101, 0, {101, 102, 103, 104});
  OldWriterLeft(cluster, records, {});
  cluster.RecordAcked(1, 102);
  return records;
}

// Mistake: a recovery that finds an earlier recovery's traces trusts them
// (reuses its epoch, skips a step, or keeps its half-written set) instead
// of redoing every step under a newer epoch. Four writers in turn crash at
// four points inside recovery; the fifth finishes it.
TEST(RecoveryPartB, RecoveryCrashedAtEachStepIsRedoneByTheNextWriter) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options = Scripted();
    options.writers = 5;
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    InDoubtLog(cluster);
    const CrashPoint points[] = {{kBumpEpoch.name, kWriteQuorum},
                                 {kSegmentState.name, kReadQuorum},
                                 {segments::kGossip.name, 1},
                                 {kTruncate.name, kWriteQuorum}};
    for (int k = 0; k < 4; ++k) {
      SCOPED_TRACE(absl::StrCat("writer w", k, " crashes after reply ", points[k].nth, " of ",
                                points[k].method));
      CrashWriterAt(cluster, k, points[k]);
      cluster.TakeOver(k);
      ASSERT_TRUE(world.RunUntil([&] { return !world.IsUp(cluster.writer(k)); }, Seconds(5)))
          << "the writer never reached the crash point";
    }
    cluster.TakeOver(4);
    ASSERT_OK(cluster.AwaitUndo(4));
    const aurora::VolumeLayout& layout = cluster.layout();
    EXPECT_EQ(*cluster.Get(4, layout.KeyName(1)), "x");
    EXPECT_EQ(*cluster.Get(4, layout.KeyName(9)), std::nullopt);
    EXPECT_OK(cluster.PutAll(4, {{layout.KeyName(2), "after"}}));
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// Mistake: a recovery that sees a newer epoch carries on anyway (or two
// writers pick the same epoch). Two standbys take over at the same
// instant: in the end exactly one of them can commit.
TEST(RecoveryPartB, TwoRecoveriesRaceAndTheEpochPicksOneWinner) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options = Scripted();
    options.writers = 2;
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    InDoubtLog(cluster);
    cluster.TakeOver(0);
    cluster.TakeOver(1);
    world.RunFor(Seconds(2));
    std::vector<int> open;
    for (int k : {0, 1}) {
      if (cluster.writer_node(k).phase() == RecoveringWriter::Phase::kOpen) open.push_back(k);
    }
    ASSERT_FALSE(open.empty()) << "neither racing recovery opened the database";
    const int winner = *std::max_element(open.begin(), open.end(), [&](int a, int b) {
      return cluster.recovered(a).epoch < cluster.recovered(b).epoch;
    });
    ASSERT_OK(cluster.AwaitUndo(winner));
    EXPECT_OK(cluster.PutAll(winner, {{cluster.layout().KeyName(2), "winner"}}));
    for (int k : open) {
      if (k == winner) continue;
      absl::StatusOr<Lsn> loser =
          cluster.PutAll(k, {{cluster.layout().KeyName(3), "loser"}}, Seconds(1));
      EXPECT_FALSE(loser.ok()) << "w" << k << " (epoch " << cluster.recovered(k).epoch
                               << ") committed although w" << winner << " (epoch "
                               << cluster.recovered(winner).epoch << ") fenced it";
    }
    EXPECT_EQ(*cluster.Get(winner, cluster.layout().KeyName(3)), std::nullopt);
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// Mistake: the segments check the epoch on some paths only (or the old
// writer is trusted to stop). The old writer is alive and reaches every
// segment, and keeps committing while the new one takes over: after the
// takeover none of its commits may be acknowledged, and none of its
// writes may be seen.
TEST(RecoveryPartB, TheOldWriterKeepsSendingAndAllOfItIsRefused) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world, BusyOldWriter());
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    world.RunFor(Millis(100));
    cluster.TakeOver(1);
    ASSERT_OK(cluster.AwaitOpen(1));
    const Epoch old_epoch = cluster.recovered(0).epoch;
    const int at_takeover = cluster.AckedInEpoch(old_epoch);
    world.RunFor(Millis(500));
    EXPECT_TRUE(world.IsUp(cluster.writer(0))) << "the old writer is still running";
    EXPECT_EQ(cluster.AckedInEpoch(old_epoch), at_takeover)
        << "the old writer acknowledged commits after the new one had opened";
    EXPECT_OK(cluster.CheckAll());
  });
}

// AZ+1: with a whole AZ and one more segment down, 3 segments answer: a
// read quorum but no write quorum. The new writer cannot fence, so it must
// wait (not open on 3) until a fourth segment is back.
TEST(RecoveryPartB, WithAnAzAndOneMoreDownRecoveryWaitsForAWriteQuorum) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    const std::string key = cluster.layout().KeyName(5);
    ASSERT_OK(cluster.PutAll(0, {{key, "kept"}}));
    cluster.CrashWriter(0);
    for (int i : {0, 3, 1}) cluster.CrashSegment(i);  // AZ 0, then one more
    cluster.TakeOver(1);
    EXPECT_EQ(cluster.AwaitOpen(1, Seconds(1)).code(), absl::StatusCode::kDeadlineExceeded)
        << "a recovery with 3 segments up cannot have fenced a write quorum";
    cluster.RestartSegment(1);
    ASSERT_OK(cluster.AwaitUndo(1));
    EXPECT_EQ(*cluster.Get(1, key), "kept");
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// ---------------------------------------------------------------------------
// The system: real writers crashed anywhere.

// Segment disks tear: every crash keeps part of an unsynced tail. Segments
// crash and restart while a writer crashes and another recovers.
TEST(RecoverySystem, SegmentCrashesWithTornTailsDuringRecovery) {
  WorldOptions world_options;
  world_options.disk.torn_write_probability = 1.0;
  RunSeeds(world_options, [](World& world) {
    RecoveryClusterOptions options;
    options.workload = aurora::WorkloadOptions{.kind = aurora::WorkloadKind::kBank,
                                               .clients = 3,
                                               .transactions = 15,
                                               .think_time = Micros(300)};
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    world.RunFor(Millis(30));
    cluster.CrashWriter(0);
    cluster.TakeOver(1);
    // One segment at a time goes down for a while: a write quorum stays.
    for (int round = 0; round < 6; ++round) {
      const int i = static_cast<int>(world.sim().rng().Uniform(kSegmentsPerPg));
      cluster.CrashSegment(i);
      world.RunFor(Millis(15));
      cluster.RestartSegment(i);
      world.RunFor(Millis(15));
    }
    ASSERT_OK(cluster.AwaitUndo(1, Seconds(10)));
    ASSERT_TRUE(
        world.RunUntil([&] { return cluster.writer_node(1).workload()->done(); }, Seconds(30)));
    EXPECT_OK(cluster.writer_node(1).workload()->stats().first_violation);
    EXPECT_OK(cluster.CheckQuiet());
  });
}

// A bank workload; the writer crashes between two events chosen by the
// seed; a new writer takes over and the workload goes on. Nothing
// acknowledged is lost, nothing uncommitted stays visible, the total is
// conserved, and every in-doubt transfer is undone.
TEST(RecoverySystem, AWriterCrashBetweenAnyTwoEventsOfABankWorkload) {
  RunSeeds([](World& world) {
    RecoveryClusterOptions options;
    options.workload = aurora::WorkloadOptions{.kind = aurora::WorkloadKind::kBank,
                                               .clients = 4,
                                               .transactions = 25,
                                               .think_time = Micros(300)};
    RecoveryCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.AwaitOpen(0));
    ASSERT_TRUE(cluster.AwaitCommits(0, 1)) << "the bank's set-up did not commit";
    world.CrashAfterEvents(cluster.writer(0), 1 + world.sim().rng().Uniform(3000));
    ASSERT_TRUE(world.RunUntil([&] { return !world.IsUp(cluster.writer(0)); }, Seconds(30)));
    cluster.TakeOver(1);
    ASSERT_OK(cluster.AwaitUndo(1));
    ASSERT_TRUE(
        world.RunUntil([&] { return cluster.writer_node(1).workload()->done(); }, Seconds(30)));
    EXPECT_OK(cluster.writer_node(1).workload()->stats().first_violation);
    EXPECT_OK(cluster.CheckBankTotal(1, 100 * cluster.layout().num_keys()));
    EXPECT_OK(cluster.CheckQuiet());
  });
}

}  // namespace
}  // namespace auroralab::recovery
