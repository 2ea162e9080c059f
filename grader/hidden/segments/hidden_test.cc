// Lab 2 hidden tests: the corner cases behind the public tests. Each one
// targets a specific mistake (named in its comment) that the public tests
// cannot tell apart from a correct program; every check follows from a
// sentence of docs/labs/segments.md or the skeleton's contracts.
// `./lab mutants --lab=segments` proves that the broken variants in
// grader/mutants/segments/ fail them (docs/instructors/kill-matrix-segments.md).
#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/aurora/page.h"
#include "labs/aurora/workload.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/world.h"
#include "labs/segments/harness.h"
#include "labs/segments/segments.h"

namespace auroralab::segments {
namespace {

using aurora::PageImage;
using aurora::RedoRecord;

// Records `from`..`to` (LSNs, inclusive) of `all`.
std::vector<RedoRecord> Range(const std::vector<RedoRecord>& all, Lsn from, Lsn to) {
  return std::vector<RedoRecord>(all.begin() + (from - 1), all.begin() + to);
}

aurora::WorkloadOptions KvWorkload(int clients, int transactions, int keys_per_put = 2) {
  aurora::WorkloadOptions workload;
  workload.kind = aurora::WorkloadKind::kKvPuts;
  workload.clients = clients;
  workload.transactions = transactions;
  workload.keys_per_put = keys_per_put;
  return workload;
}

std::string Describe(const absl::StatusOr<std::optional<std::string>>& got) {
  if (!got.ok()) return got.status().ToString();
  return got->has_value() ? absl::StrCat("\"", **got, "\"") : "no value";
}

// Runs the cluster's workload to its end and checks everything the harness
// watches and the workload's own outcome.
void RunAndCheck(SegmentsCluster& cluster, Duration max = Seconds(30)) {
  ASSERT_TRUE(cluster.RunWorkload(max))
      << "the workload did not finish; " << cluster.acked_commits() << " commits acknowledged";
  const aurora::WorkloadStats& stats = cluster.writer_node().workload()->stats();
  EXPECT_EQ(stats.failed, 0) << "transactions failed; the shipper's last refusal: "
                             << cluster.writer_node().last_refusal()
                             << "; a read of k0 now: " << Describe(cluster.Get("k0"));
  EXPECT_OK(stats.first_violation);
  EXPECT_OK(cluster.CheckAll());
}

// ---------------------------------------------------------------------------
// The segment.

// Mistake: counting a record in the SCL once it is written, not once a sync
// issued after the write has completed. Two appends overlap on a slow disk;
// the first one's sync does not cover the second one's records, so the SCL
// in its acknowledgement must not include them: the segment crashes the
// instant that acknowledgement arrives, and what it reported must survive.
TEST(SegmentsHidden, TheSclCountsOnlySyncedRecords) {
  WorldOptions options;
  options.disk.sync_latency = Millis(20);
  options.disk.sync_jitter = 0;
  options.disk.torn_write_probability = 0;
  RunSeeds(options, [](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(10);
    auto first = std::make_shared<std::optional<absl::StatusOr<AppendReply>>>();
    Probe(cluster).StartAppend(cluster.segment(3), 3, Range(records, 1, 5),
                               [&cluster, first](absl::StatusOr<AppendReply> reply) {
                                 if (reply.ok()) cluster.CrashSegment(3);
                                 *first = std::move(reply);
                               });
    world.RunFor(Millis(5));
    Probe(cluster).StartAppend(cluster.segment(3), 3, Range(records, 6, 10),
                               [](absl::StatusOr<AppendReply>) {});
    ASSERT_TRUE(world.RunUntil([&] { return first->has_value(); }, Seconds(2)));
    ASSERT_OK(**first);
    const Lsn reported = (**first)->scl();
    cluster.RestartSegment(3);
    absl::StatusOr<Lsn> after = AppendTo(cluster, 3, {});
    ASSERT_OK(after);
    EXPECT_GE(*after, reported) << "the segment reported SCL " << reported
                                << " and then lost records below it in a "
                                << "crash: only records covered by a completed sync count";
    EXPECT_EQ(reported, 5u) << "the first sync covered records 1-5 only";
  });
}

// Mistake: acknowledging although the sync failed.
TEST(SegmentsHidden, AFailedSyncIsNotAcknowledged) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    world.RunFor(Millis(5));  // the segments' start-up syncs are done
    const std::vector<RedoRecord> records = MakeRecords(6);
    world.FailNextSyncs(cluster.segment(0), 1);
    absl::StatusOr<Lsn> failed = AppendTo(cluster, 0, records);
    EXPECT_FALSE(failed.ok()) << "the sync failed, yet the append was acknowledged with SCL "
                              << *failed;
    absl::StatusOr<Lsn> retried = AppendTo(cluster, 0, records);
    ASSERT_OK(retried) << "the same append, with a working disk";
    EXPECT_EQ(*retried, 6u);
  });
}

// Mistake: acknowledging although the sync failed, seen from the writer:
// segments whose syncs all fail are no part of a write quorum.
TEST(SegmentsHidden, SegmentsWhoseSyncsFailAreNoQuorum) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    world.RunFor(Millis(5));
    for (int i : {1, 3, 5}) world.FailNextSyncs(cluster.segment(i), 1000000);
    cluster.CrashSegment(0);
    auto commit = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
    cluster.StartPutAll({{"k1", "never durable on 4"}},
                        [commit](absl::StatusOr<Lsn> lsn) { *commit = std::move(lsn); });
    world.RunFor(Millis(300));
    if (commit->has_value()) {
      ASSERT_OK(**commit) << "the commit failed";
      ADD_FAILURE() << "a commit was acknowledged with only 2 segments able to sync";
    }
    EXPECT_OK(cluster.CheckSignals());
  });
}

// Mistake: storing a record again when it arrives after GC folded it (a
// late duplicate or a resend). It must be acknowledged and ignored: reads
// and the SCL stay the same, before and after a restart.
TEST(SegmentsHidden, ADuplicateAfterGcIsIgnored) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(40);
    ASSERT_OK(AppendTo(cluster, 1, records));
    ASSERT_OK(Probe(cluster).LowWaterMark(world, cluster.segment(1), 1, 30));
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 1, Range(records, 20, 40));
    ASSERT_OK(scl) << "duplicates of folded records are acknowledged";
    EXPECT_EQ(*scl, 40u);
    EXPECT_EQ(DurableCopies(cluster, 1, records[24].SerializeAsString()), 0)
        << "record 25 was folded at low-water mark 30: a duplicate must not bring it back";
    for (Lsn read_point : {30, 35, 40}) ExpectPagesAt(cluster, 1, records, read_point);
    cluster.CrashSegment(1);
    cluster.RestartSegment(1);
    scl = AppendTo(cluster, 1, {});
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 40u);
    for (Lsn read_point : {30, 40}) ExpectPagesAt(cluster, 1, records, read_point);
  });
}

// Mistake: letting the folded point follow the latest low-water mark even
// when it is lower (an old mark delayed by the network). Folded records are
// gone from the log, so a folded point moved back leaves a hole the SCL
// can never pass after a restart.
TEST(SegmentsHidden, AnOldLowWaterMarkChangesNothing) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(40);
    ASSERT_OK(AppendTo(cluster, 2, records));
    absl::StatusOr<LowWaterMarkReply> gc =
        Probe(cluster).LowWaterMark(world, cluster.segment(2), 2, 30);
    ASSERT_OK(gc);
    absl::StatusOr<LowWaterMarkReply> old =
        Probe(cluster).LowWaterMark(world, cluster.segment(2), 2, 20);
    ASSERT_OK(old) << "an old mark is acknowledged";
    for (Lsn read_point : {30, 40}) ExpectPagesAt(cluster, 2, records, read_point);
    cluster.CrashSegment(2);
    cluster.RestartSegment(2);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 2, {});
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 40u) << "after an old low-water mark and a restart";
    for (Lsn read_point : {30, 40}) ExpectPagesAt(cluster, 2, records, read_point);
  });
}

// Mistake: a segment with a hole sharing only what lies below its own SCL.
// The contract: a gossip reply carries every durable record the asker
// lacks, above the asker's SCL and not in its list, also records past the
// answering segment's own hole. (Its peers are down, so nobody fills the
// hole meanwhile.)
TEST(SegmentsHidden, GossipFromASegmentWithAHoleSendsWhatLiesPastIt) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    for (int i : {1, 2, 3, 4, 5}) cluster.CrashSegment(i);
    const std::vector<RedoRecord> records = MakeRecords(12);
    std::vector<RedoRecord> without_5 = records;
    without_5.erase(without_5.begin() + 4);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 0, without_5);
    ASSERT_OK(scl);
    ASSERT_EQ(*scl, 4u);

    GossipRequest request;
    request.set_pg(0);
    request.set_segment(0);
    request.set_from_segment(3);
    request.set_scl(2);
    request.add_held_above_scl(6);
    request.add_held_above_scl(7);
    absl::StatusOr<GossipReply> reply = Probe(cluster).Gossip(world, cluster.segment(0), request);
    ASSERT_OK(reply);
    std::vector<Lsn> sent;
    for (const RedoRecord& record : reply->records()) sent.push_back(record.lsn());
    const std::vector<Lsn> want = {3, 4, 8, 9, 10, 11, 12};
    EXPECT_EQ(sent, want) << "an asker at SCL 2 holding 6 and 7, a peer holding 1-4 and 6-12";
    EXPECT_EQ(reply->scl(), 4u);
    request.set_max_records(3);
    reply = Probe(cluster).Gossip(world, cluster.segment(0), request);
    ASSERT_OK(reply);
    EXPECT_EQ(reply->records_size(), 3) << "max_records is a limit";
  });
}

// Mistake: gossip that stops for good after one failed call (the "call in
// flight" flag is cleared only on success). Segment 4 gossips into the
// void while all its peers are down; once they are back with records, it
// must still catch up.
TEST(SegmentsHidden, GossipResumesAfterThePeersWereDown) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    for (int i : {0, 1, 2, 3, 5}) cluster.CrashSegment(i);
    world.RunFor(Millis(300));
    for (int i : {0, 1, 2, 3, 5}) cluster.RestartSegment(i);
    const std::vector<RedoRecord> records = MakeRecords(30);
    for (int i : {0, 1, 2, 3}) ASSERT_OK(AppendTo(cluster, i, records));
    world.RunFor(Millis(500));
    for (int i : {4, 5}) {
      absl::StatusOr<Lsn> scl = AppendTo(cluster, i, {});
      ASSERT_OK(scl);
      EXPECT_EQ(*scl, 30u) << "segment " << i << " never caught up by gossip"
                           << (i == 4 ? " after its gossip calls to dead peers failed" : "");
    }
  });
}

// Mistake: gossip state that does not survive crashes in the middle of a
// gossip exchange. The writer cannot reach segments 4 and 5; they crash
// and restart over and over (torn tails included) while they gossip, and
// still end with every record on their disks.
TEST(SegmentsHidden, RestartsDuringGossipLoseNothing) {
  WorldOptions options;
  options.disk.torn_write_probability = 1;
  RunSeeds(options, [](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = KvWorkload(2, 10)});
    cluster.CutWriterFrom({4, 5});
    for (int k = 1; k <= 30; ++k) {
      const int i = 4 + k % 2;
      world.At(Millis(7 * k), "crash a gossiping segment",
               [&cluster, i] { cluster.CrashSegment(i); });
      world.At(Millis(7 * k + 3), "restart it", [&cluster, i] { cluster.RestartSegment(i); });
    }
    RunAndCheck(cluster);
    world.RunFor(Millis(800));
    for (const auto& [lsn, record] : cluster.shipped()) {
      ASSERT_EQ(cluster.DisksDurablyHolding(record), kSegmentsPerPg)
          << "record " << lsn << " is not on every segment's disk";
    }
  });
}

// Mistake: a recovery that mishandles a torn tail that ends in the middle
// of a mini-transaction, or acknowledges too early. Every segment crashes
// at once, twice, while multi-record MTRs are being written on slow disks;
// every acknowledged commit survives and no read sees half an MTR.
TEST(SegmentsHidden, EverySegmentCrashesInTheMiddleOfAnMtr) {
  WorldOptions options;
  options.disk.sync_latency = Millis(3);
  options.disk.torn_write_probability = 1;
  RunSeeds(options, [](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = KvWorkload(4, 15, 4)});
    for (Time at : {Millis(40), Millis(90)}) {
      world.At(at, "crash every segment", [&cluster] {
        for (int i = 0; i < kSegmentsPerPg; ++i) cluster.CrashSegment(i);
      });
      world.At(at + Millis(2), "restart every segment", [&cluster] {
        for (int i = 0; i < kSegmentsPerPg; ++i) cluster.RestartSegment(i);
      });
    }
    RunAndCheck(cluster);
    ASSERT_OK(cluster.ReadAllPages());
    EXPECT_OK(cluster.CheckAll());
  });
}

// ---------------------------------------------------------------------------
// The writer.

// Mistake: checking the LSN allocation limit against the first LSN of an
// MTR instead of its last, or refusing an MTR that ends exactly at the
// limit. Three segments are cut off, so VDL stands still; transactions of
// one and three keys (MTRs of one and three records, each followed by a
// COMMIT) fill the window exactly, then one would straddle it.
TEST(SegmentsHidden, TheAllocationLimitIsExact) {
  RunSeeds([](World& world) {
    ClusterOptions options;
    options.lal = 8;
    SegmentsCluster cluster(world, options);
    ASSERT_OK(cluster.PutAll({{"k3", "before"}}));
    world.RunFor(Millis(50));
    Lsn vdl = cluster.shipper().vdl();
    ASSERT_EQ(vdl, cluster.shipped().rbegin()->first);
    auto last_shipped = [&cluster] { return cluster.shipped().rbegin()->first; };
    // One transaction after the other, each once the previous one's records
    // were shipped, so the MTRs are numbered in this order (a commit first
    // reads its pages, which takes a varying time).
    auto ship = [&](std::vector<std::pair<std::string, std::string>> writes, Lsn records) {
      const Lsn before = last_shipped();
      cluster.StartPutAll(std::move(writes));
      EXPECT_TRUE(world.RunUntil([&] { return last_shipped() >= before + records; }, Seconds(1)))
          << "a transaction of " << records << " records ending at LSN " << before + records
          << " was not shipped; VDL " << vdl << ", LAL 8";
    };
    // Window VDL+1 .. VDL+8: 2 + 4 + 2 records fit exactly.
    cluster.CutWriterFrom({0, 2, 4});
    ship({{"k4", "a"}}, 2);
    ship({{"k0", "b"}, {"k1", "b"}, {"k2", "b"}}, 4);
    ship({{"k5", "c"}}, 2);
    EXPECT_EQ(last_shipped(), vdl + 8) << "MTRs that end exactly at VDL + LAL must be accepted";
    EXPECT_OK(cluster.CheckSignals());
    world.network().Heal();
    ASSERT_TRUE(world.RunUntil([&] { return cluster.acked_commits() == 4; }, Seconds(5)));
    world.RunFor(Millis(50));
    vdl = cluster.shipper().vdl();
    ASSERT_EQ(vdl, last_shipped());
    // Window again: 4 + 2 records, then a 3-record MTR that would end at
    // VDL + 9.
    cluster.CutWriterFrom({1, 3, 5});
    ship({{"k8", "d"}, {"k9", "d"}, {"k10", "d"}}, 4);
    ship({{"k6", "e"}}, 2);
    cluster.StartPutAll({{"k12", "f"}, {"k13", "f"}, {"k14", "f"}});
    world.RunFor(Millis(300));
    EXPECT_EQ(last_shipped(), vdl + 6) << "an MTR of LSNs " << vdl + 7 << ".." << vdl + 9
                                       << " crosses VDL + LAL = " << vdl + 8 << ": refuse it whole";
    EXPECT_OK(cluster.CheckSignals());
    world.network().Heal();
    EXPECT_TRUE(world.RunUntil([&] { return cluster.acked_commits() == 7; }, Seconds(5)))
        << "the writer did not resume";
    EXPECT_OK(cluster.CheckAll());
  });
}

// Mistake: VDL lagging, skipping, or acknowledging out of order when many
// transactions interleave. Scripted segments release the log one LSN at a
// time; after each step VDL is exactly the highest CPL at or below it, and
// exactly the commits at or below VDL are acknowledged.
TEST(SegmentsHidden, EveryStepOfTheLogMovesVdlExactly) {
  RunSeeds([](World& world) {
    ClusterOptions options;
    options.scripted_segments = true;
    options.lal = 1000;
    SegmentsCluster cluster(world, options);
    for (int i = 0; i < kSegmentsPerPg; ++i) cluster.SetSclCap(i, 0);
    // Six transactions at once, over twelve distinct keys (locks are held
    // until the commit is acknowledged), of one to three keys each.
    int next_key = 0;
    auto failure = std::make_shared<absl::Status>();
    for (int t = 0; t < 6; ++t) {
      std::vector<std::pair<std::string, std::string>> writes;
      const int keys = 1 + t % 3;
      for (int k = 0; k < keys; ++k) {
        writes.push_back({absl::StrCat("k", next_key), absl::StrCat("t", t)});
        next_key = (next_key + 5) % 16;
      }
      cluster.StartPutAll(writes, [failure](absl::StatusOr<Lsn> lsn) {
        if (!lsn.ok() && failure->ok()) *failure = lsn.status();
      });
    }
    world.RunFor(Millis(20));
    ASSERT_OK(*failure) << "a transaction failed";
    ASSERT_FALSE(cluster.shipped().empty()) << "no record was shipped; the shipper's last refusal: "
                                            << cluster.writer_node().last_refusal();
    const Lsn last = cluster.shipped().rbegin()->first;
    for (Lsn cap = 1; cap <= last; ++cap) {
      // Four segments reach `cap`; the other two stay one step behind.
      for (int i = 0; i < kSegmentsPerPg; ++i) cluster.SetSclCap(i, i < 4 ? cap : cap - 1);
      world.RunFor(Millis(40));  // a resend reaches every segment
      Lsn want = 0;
      int commits = 0;
      for (const auto& [lsn, record] : cluster.shipped()) {
        if (lsn > cap) break;
        if (record.cpl()) want = lsn;
      }
      for (const auto& [lsn, record] : cluster.shipped()) {
        if (lsn <= want && record.kind() == aurora::COMMIT) ++commits;
      }
      ASSERT_EQ(cluster.shipper().pgcl(0), cap);
      ASSERT_EQ(cluster.shipper().vdl(), want) << "four segments complete up to " << cap;
      ASSERT_EQ(cluster.acked_commits(), commits) << "VDL " << want;
    }
    EXPECT_OK(cluster.CheckAll());
  });
}

// Mistake: a read that gives up after its first segment fails, or that
// lets one attempt take the whole read deadline. Segments 0 and 1 crash,
// 4 and 5 are unreachable; only 2 and 3 can answer, and every read finds
// them by trying the others first or not.
TEST(SegmentsHidden, ReadsTryAnotherSegmentUntilOneAnswers) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    cluster.network().Isolate(cluster.segment(4));
    cluster.network().Isolate(cluster.segment(5));
    for (int k = 0; k < 8; ++k) {
      ASSERT_OK(cluster.PutAll({{absl::StrCat("k", 2 * k), absl::StrCat("v", k)}}));
    }
    cluster.CrashSegment(0);
    cluster.CrashSegment(1);
    for (int k = 0; k < 8; ++k) {
      const Time start = world.Now();
      absl::StatusOr<std::optional<std::string>> got = cluster.Get(absl::StrCat("k", 2 * k));
      EXPECT_TRUE(got.ok() && got->has_value() && **got == absl::StrCat("v", k))
          << "k" << 2 * k << ": " << Describe(got);
      EXPECT_LT(world.Now() - start, Millis(500))
          << "a read waited too long on segments that cannot answer";
    }
    EXPECT_OK(cluster.CheckAll());
  });
}

// Mistake: a read that, finding no segment complete up to its read point,
// settles for an older page (asks a segment at its own SCL, or takes a
// refusal's page). Segments 4 and 5 miss the last commit (their disks
// refuse writes); the four that hold it crash. The read must fail, never
// return the old value.
TEST(SegmentsHidden, AReadNeverSettlesForAnOlderPage) {
  RunSeeds([](World& world) {
    ClusterOptions options;
    options.read_deadline = Millis(300);
    SegmentsCluster cluster(world, options);
    ASSERT_OK(cluster.PutAll({{"k1", "old"}}));
    world.RunFor(Millis(50));
    for (int i : {4, 5}) world.FailNextWrites(cluster.segment(i), 1000000);
    ASSERT_OK(cluster.PutAll({{"k1", "new"}}));
    for (int i : {0, 1, 2, 3}) cluster.CrashSegment(i);
    absl::StatusOr<std::optional<std::string>> got = cluster.Get("k1");
    EXPECT_FALSE(got.ok()) << "no reachable segment holds the read point, yet the read returned "
                           << Describe(got);
    EXPECT_OK(cluster.CheckAll());
  });
}

// Everything at once, over more seeds: an unreliable network, crashes,
// partitions and AZ outages, slow segments, GC, bank transfers with audits.
TEST(SegmentsHidden, BankTotalUnderEverything) {
  WorldOptions options;
  options.network = NetworkConfig::Unreliable();
  options.network.duplicate_probability = 0.05;
  RunSeeds(
      options,
      [](World& world) {
        ClusterOptions cluster_options;
        aurora::WorkloadOptions workload;
        workload.kind = aurora::WorkloadKind::kBank;
        workload.clients = 4;
        workload.transactions = 15;
        cluster_options.workload = workload;
        cluster_options.gc_interval = Millis(7);
        SegmentsCluster cluster(world, cluster_options);
        NemesisOptions nemesis;
        for (int i = 0; i < kSegmentsPerPg; ++i) nemesis.targets.push_back(cluster.segment(i));
        nemesis.until = Seconds(1);
        nemesis.interval = Millis(40);
        nemesis.fault_duration = Millis(80);
        nemesis.max_nodes_down = 2;
        nemesis.az_outages = true;
        StartNemesis(world, nemesis);
        RunAndCheck(cluster, Seconds(60));
        EXPECT_GT(cluster.writer_node().workload()->stats().audits, 0);
      },
      /*default_seeds=*/5);
}

}  // namespace
}  // namespace auroralab::segments
