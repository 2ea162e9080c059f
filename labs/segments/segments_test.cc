// Lab 2 public tests: the specification of segments and log shipping, as
// scenarios in virtual time.
//
// Every test runs over several seeds (./lab test --seeds=K for more). A
// failing seed prints a command that replays exactly that run and the path
// of its trace.
//
// Three groups:
//   SegmentsPartA  one segment driven directly by a probe node (no writer in
//                  the way): persistence, duplicates, SCL, reads, restart, GC.
//   SegmentsPartB  the writer's log shipping against scripted segments whose
//                  reported SCL the test controls: VDL, the 4/6 quorum, LAL.
//   SegmentsSystem the whole PG (six segments + the writer's engine) under
//                  faults, judged by labs/aurora's checkers and a disk oracle.
// Tests marked "Scripted:" build the exact situation one lesson is about
// and fail for its classic mistake on every seed, not only on a lucky one.
//
//   ./lab test //labs/segments:segments_test --impl=skeleton
//   ./lab test //labs/segments:segments_test --filter='SegmentsPartA.*'
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
#include "labs/aurora/page.h"
#include "labs/aurora/workload.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/world.h"
#include "labs/segments/harness.h"

namespace auroralab::segments {
namespace {

using aurora::PageImage;
using aurora::RedoRecord;

std::vector<RedoRecord> Pick(const std::vector<RedoRecord>& all, std::vector<Lsn> lsns) {
  std::vector<RedoRecord> picked;
  for (Lsn lsn : lsns) picked.push_back(all.at(lsn - 1));
  return picked;
}

// Durable bytes of segment i's files on its node's disk.
size_t DurableBytes(SegmentsCluster& cluster, int i) {
  size_t bytes = 0;
  const std::string prefix = SegmentFilePrefix(0, i);
  for (const auto& [name, file] : cluster.world().disk_state(cluster.segment(i)).files()) {
    if (name.rfind(prefix, 0) == 0 && file.durable_exists) bytes += file.durable.size();
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// Part A: one segment.

TEST(SegmentsPartA, AcknowledgesAppendsWithItsScl) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    ASSERT_OK(cluster.status());
    const std::vector<RedoRecord> records = MakeRecords(6);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 0, Pick(records, {1, 2, 3}));
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 3u);
    scl = AppendTo(cluster, 0, Pick(records, {4, 5, 6}));
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 6u);
    // An empty append asks for the SCL alone.
    scl = AppendTo(cluster, 0, {});
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 6u);
  });
}

// Scripted: the SCL follows backlinks and stops at the first hole, however
// many records lie beyond it.
TEST(SegmentsPartA, SclStopsAtAHole) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(8);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 2, Pick(records, {1, 2, 4, 5, 6, 7, 8}));
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 2u) << "record 3 is missing: the SCL must stop at 2, not jump over the hole";
    scl = AppendTo(cluster, 2, Pick(records, {3}));
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 8u) << "record 3 filled the hole: the SCL moves to the end of the chain";
  });
}

// The SCL against a simple model while records arrive in a random order,
// some of them twice.
TEST(SegmentsPartA, SclMatchesAModelOnRandomDeliveryOrders) {
  RunSeeds(
      [](World& world) {
        SegmentsCluster cluster(world);
        const int n = 30;
        const std::vector<RedoRecord> records = MakeRecords(n);
        std::vector<Lsn> order;
        for (Lsn lsn = 1; lsn <= static_cast<Lsn>(n); ++lsn) order.push_back(lsn);
        for (int dup = 0; dup < 8; ++dup) order.push_back(1 + world.sim().rng().Uniform(n));
        for (size_t k = order.size() - 1; k > 0; --k) {
          std::swap(order[k], order[world.sim().rng().Uniform(k + 1)]);
        }
        std::set<Lsn> delivered;
        for (size_t k = 0; k < order.size();) {
          const size_t batch = 1 + world.sim().rng().Uniform(3);
          std::vector<Lsn> lsns;
          for (; k < order.size() && lsns.size() < batch; ++k) lsns.push_back(order[k]);
          delivered.insert(lsns.begin(), lsns.end());
          Lsn model = 0;
          while (delivered.contains(model + 1)) ++model;
          absl::StatusOr<Lsn> scl = AppendTo(cluster, 1, Pick(records, lsns));
          ASSERT_OK(scl);
          EXPECT_EQ(*scl, model) << "after delivering " << delivered.size() << " distinct records";
        }
      },
      /*default_seeds=*/20);
}

// A duplicate is acknowledged but stored once, and a second record with an
// LSN already held never replaces the first.
TEST(SegmentsPartA, DuplicatesAreStoredOnceAndNeverOverwritten) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(4);
    ASSERT_OK(AppendTo(cluster, 0, records));
    ASSERT_OK(AppendTo(cluster, 0, Pick(records, {2, 3})));
    RedoRecord impostor = records[1];
    impostor.mutable_change()->set_new_value("overwritten!");
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 0, {impostor});
    ASSERT_OK(scl) << "a record with a known LSN is acknowledged (the writer may be resending)";
    EXPECT_EQ(*scl, 4u);
    EXPECT_EQ(DurableCopies(cluster, 0, records[1].SerializeAsString()), 1)
        << "record 2 must be on disk exactly once";
    EXPECT_EQ(DurableCopies(cluster, 0, impostor.SerializeAsString()), 0)
        << "a second record with LSN 2 must not be stored";
    ExpectPagesAt(cluster, 0, records, 4);
  });
}

// Scripted: the acknowledgement comes only after the sync. Syncs are slow
// here, and the segment crashes the instant its acknowledgement arrives: a
// segment that replied before its sync completed loses the record.
TEST(SegmentsPartA, AnAcknowledgedRecordSurvivesACrashRightAfterTheAck) {
  WorldOptions options;
  options.disk.sync_latency = Millis(20);
  options.disk.torn_write_probability = 0;  // unsynced data is simply lost
  RunSeeds(options, [](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(5);
    auto acked = std::make_shared<std::optional<absl::StatusOr<AppendReply>>>();
    Probe(cluster).StartAppend(cluster.segment(3), 3, records,
                               [&cluster, acked](absl::StatusOr<AppendReply> reply) {
                                 if (reply.ok()) cluster.CrashSegment(3);
                                 *acked = std::move(reply);
                               });
    ASSERT_TRUE(world.RunUntil([&] { return acked->has_value(); }, Seconds(2)));
    ASSERT_OK(**acked);
    EXPECT_EQ((**acked)->scl(), 5u);
    cluster.RestartSegment(3);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 3, {});
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 5u) << "records acknowledged before the crash are gone after it: "
                           "acknowledge only once a Sync issued after the write has completed";
    ExpectPagesAt(cluster, 3, records, 5);
  });
}

// Whether segment i's files hold bytes no sync covered yet.
bool HasUnsyncedBytes(SegmentsCluster& cluster, int i) {
  const std::string prefix = SegmentFilePrefix(0, i);
  for (const auto& [name, file] : cluster.world().disk_state(cluster.segment(i)).files()) {
    if (name.rfind(prefix, 0) == 0 && file.current != file.durable) return true;
  }
  return false;
}

// Whether one of segment i's files ends inside a record_log frame
// ([length: 4 bytes LE][checksum: 4 bytes][payload]): a torn tail.
bool EndsMidRecord(SegmentsCluster& cluster, int i) {
  const std::string prefix = SegmentFilePrefix(0, i);
  for (const auto& [name, file] : cluster.world().disk_state(cluster.segment(i)).files()) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string& bytes = file.current;
    size_t at = 0;
    while (at + 8 <= bytes.size()) {
      uint32_t length = 0;
      for (int b = 3; b >= 0; --b) length = (length << 8) | static_cast<uint8_t>(bytes[at + b]);
      if (at + 8 + length > bytes.size()) break;
      at += 8 + length;
    }
    if (at != bytes.size()) return true;
  }
  return false;
}

// Restart rebuilds the segment from its disk; a torn tail (records being
// written when the crash came) is dropped, and records appended after the
// restart survive the next crash too. The test crashes the segment while a
// batch is written but not synced, until a crash leaves a record cut in
// half (almost always the first one).
TEST(SegmentsPartA, RestartRebuildsFromDiskAndDropsATornTail) {
  WorldOptions options;
  options.disk.torn_write_probability = 1;  // every crash keeps part of the unsynced tail
  options.disk.sync_latency = Millis(5);    // a wide window between write and sync
  RunSeeds(options, [](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(60);
    auto first = [&records](size_t n) {
      return std::vector<RedoRecord>(records.begin(), records.begin() + n);
    };
    ASSERT_OK(AppendTo(cluster, 4, first(10)));
    size_t appended = 10;
    bool torn = false;
    for (int round = 0; round < 5 && !torn; ++round) {
      // The next 10 records are written, but the crash comes before their sync.
      Probe(cluster).StartAppend(
          cluster.segment(4), 4,
          std::vector<RedoRecord>(records.begin() + appended, records.begin() + appended + 10),
          [](absl::StatusOr<AppendReply>) {});
      ASSERT_TRUE(world.RunUntil([&] { return HasUnsyncedBytes(cluster, 4); }, Seconds(1)))
          << "segment 4 never wrote the records of an Append";
      appended += 10;
      cluster.CrashSegment(4);
      torn = EndsMidRecord(cluster, 4);
      cluster.RestartSegment(4);
      absl::StatusOr<Lsn> scl = AppendTo(cluster, 4, {});
      ASSERT_OK(scl);
      EXPECT_GE(*scl, appended - 10) << "acknowledged records were lost in the restart";
      // The lost ones again; they must land after whole records only.
      scl = AppendTo(cluster, 4, first(appended));
      ASSERT_OK(scl);
      EXPECT_EQ(*scl, appended);
    }
    ASSERT_TRUE(torn) << "no crash tore a record in half; the test could not check anything";
    cluster.CrashSegment(4);
    cluster.RestartSegment(4);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 4, {});
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, appended) << "records appended after a torn tail were lost at the next "
                                 "restart: cut the file back to its whole records "
                                 "(TrimTornTail) before appending";
    ExpectPagesAt(cluster, 4, records, appended);
  });
}

// A read is the base image plus the page's records up to the read point,
// in LSN order, at every read point.
TEST(SegmentsPartA, ReadsApplyExactlyTheRecordsUpToTheReadPoint) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(16);
    std::vector<RedoRecord> shuffled = records;
    std::reverse(shuffled.begin(), shuffled.end());  // arrival order must not matter
    ASSERT_OK(AppendTo(cluster, 5, shuffled));
    for (Lsn read_point = 0; read_point <= 16; read_point += 3) {
      ExpectPagesAt(cluster, 5, records, read_point);
    }
  });
}

// Scripted: a segment whose SCL is below the read point refuses with a
// retryable error instead of answering with an older page.
TEST(SegmentsPartA, ASegmentThatIsBehindRefusesTheRead) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(9);
    ASSERT_OK(AppendTo(cluster, 0, Pick(records, {1, 2, 3, 4, 5, 7, 8, 9})));
    for (PageId page = 1; page <= 4; ++page) {
      absl::StatusOr<ReadPageReply> got =
          Probe(cluster).ReadPage(world, cluster.segment(0), 0, page, 8);
      EXPECT_TRUE(absl::IsUnavailable(got.status()))
          << "page " << page << " at read point 8 with SCL 5: expected Unavailable, got "
          << (got.ok() ? got->page().ShortDebugString() : got.status().ToString());
    }
    ExpectPagesAt(cluster, 0, records, 5);
  });
}

// Scripted: segments 4 and 5 never hear from anyone but their peers; gossip
// alone brings them every record.
TEST(SegmentsPartA, GossipFillsASegmentThatMissedEverything) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(40);
    for (int i = 0; i < 4; ++i) ASSERT_OK(AppendTo(cluster, i, records));
    world.RunFor(Millis(300));
    for (int i : {4, 5}) {
      absl::StatusOr<Lsn> scl = AppendTo(cluster, i, {});
      ASSERT_OK(scl);
      EXPECT_EQ(*scl, 40u) << "segment " << i
                           << " got no record from the writer: its peers "
                              "must send it what it misses (gossip)";
      ExpectPagesAt(cluster, i, records, 40);
    }
  });
}

// Scripted: GC folds the records at or below the low-water mark into the
// pages. Disk usage falls; every read at or above the mark is unchanged, and
// a read below it is refused rather than answered wrongly.
TEST(SegmentsPartA, GcFoldsRecordsAtOrBelowTheMarkOnly) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    const std::vector<RedoRecord> records = MakeRecords(40);
    ASSERT_OK(AppendTo(cluster, 1, records));
    const size_t before = DurableBytes(cluster, 1);
    absl::StatusOr<LowWaterMarkReply> gc =
        Probe(cluster).LowWaterMark(world, cluster.segment(1), 1, 30);
    ASSERT_OK(gc);
    EXPECT_LE(gc->folded_up_to(), 30u) << "folded above the low-water mark";
    EXPECT_LT(DurableBytes(cluster, 1), before) << "GC must shrink the segment's files";
    for (Lsn read_point : {30, 33, 40}) ExpectPagesAt(cluster, 1, records, read_point);
    absl::StatusOr<ReadPageReply> below =
        Probe(cluster).ReadPage(world, cluster.segment(1), 1, 1, 10);
    EXPECT_FALSE(below.ok()) << "a read below the low-water mark cannot be answered any more, got "
                             << (below.ok() ? below->page().ShortDebugString() : "");
    // And the same after a restart.
    cluster.CrashSegment(1);
    cluster.RestartSegment(1);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 1, {});
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 40u);
    for (Lsn read_point : {30, 40}) ExpectPagesAt(cluster, 1, records, read_point);
  });
}

// Scripted: GC never folds past a hole: the record that fills it later
// must still be applied in LSN order.
TEST(SegmentsPartA, GcNeverFoldsPastAHole) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    // Only segment 2 is used; keep its peers from filling the hole.
    for (int i : {0, 1, 3, 4, 5}) cluster.CrashSegment(i);
    const std::vector<RedoRecord> records = MakeRecords(24);
    std::vector<RedoRecord> without_10 = records;
    without_10.erase(without_10.begin() + 9);
    absl::StatusOr<Lsn> scl = AppendTo(cluster, 2, without_10);
    ASSERT_OK(scl);
    ASSERT_EQ(*scl, 9u);
    ASSERT_OK(Probe(cluster).LowWaterMark(world, cluster.segment(2), 2, 20));
    scl = AppendTo(cluster, 2, Pick(records, {10}));
    ASSERT_OK(scl);
    EXPECT_EQ(*scl, 24u);
    for (Lsn read_point : {20, 24}) ExpectPagesAt(cluster, 2, records, read_point);
  });
}

// ---------------------------------------------------------------------------
// Part B: the writer, against scripted segments.

// Runs the cluster's workload to its end and checks everything the harness
// watches, the workload's own outcome and a final read of every page.
void RunAndCheck(SegmentsCluster& cluster, Duration max = Seconds(30)) {
  ASSERT_TRUE(cluster.RunWorkload(max))
      << "the workload did not finish; " << cluster.acked_commits() << " commits acknowledged";
  const aurora::WorkloadStats& stats = cluster.writer_node().workload()->stats();
  if (stats.failed > 0) {
    ADD_FAILURE() << stats.failed
                  << " transactions failed; a read of k0 now says: " << cluster.Get("k0").status();
  }
  EXPECT_OK(stats.first_violation);
  EXPECT_OK(cluster.CheckAll());
}

// Runs until the writer has shipped `records` records (the transaction's
// reads come first, and a read may wait for a segment that is cut off).
bool ShipsAtLeast(SegmentsCluster& cluster, size_t records) {
  return cluster.world().RunUntil([&] { return cluster.shipped().size() >= records; }, Seconds(2));
}

// For the message when a transaction's records were never shipped.
std::string WhyNotShipped(SegmentsCluster& cluster,
                          const std::optional<absl::StatusOr<Lsn>>& commit) {
  if (commit.has_value() && !commit->ok()) {
    return absl::StrCat("the transaction failed: ", commit->status().ToString());
  }
  return absl::StrCat("the log shipper's last refusal: ",
                      cluster.writer_node().last_refusal().ToString());
}

ClusterOptions Scripted() {
  ClusterOptions options;
  options.scripted_segments = true;
  return options;
}

// Scripted: the segments hold the first record of a two-record MTR but
// report nothing past it. VCL is 1, but no CPL is at or below it: VDL stays
// 0, and the commit waits. Reporting VCL (or PGCL) as the durable point is
// the mistake.
TEST(SegmentsPartB, VdlIsTheHighestCplAtOrBelowVcl) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, Scripted());
    for (int i = 0; i < kSegmentsPerPg; ++i) cluster.SetSclCap(i, 1);
    // k0 and k1 share page 1: one MTR of records 1 and 2, then COMMIT 3.
    auto commit = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
    cluster.StartPutAll({{"k0", "a"}, {"k1", "b"}},
                        [commit](absl::StatusOr<Lsn> lsn) { *commit = std::move(lsn); });
    ASSERT_TRUE(ShipsAtLeast(cluster, 3)) << WhyNotShipped(cluster, *commit);
    world.RunFor(Millis(100));
    EXPECT_EQ(cluster.shipper().vcl(), 1u) << "every segment acknowledged SCL 1";
    EXPECT_EQ(cluster.shipper().vdl(), 0u) << "LSN 1 is not a CPL: VDL must stay 0";
    EXPECT_FALSE(commit->has_value()) << "the commit was acknowledged with VDL 0";
    EXPECT_OK(cluster.CheckSignals());
    for (int i = 0; i < kSegmentsPerPg; ++i) cluster.SetSclCap(i, UINT64_MAX);
    ASSERT_TRUE(world.RunUntil([&] { return commit->has_value(); }, Seconds(2)))
        << "the commit never completed once the segments caught up";
    ASSERT_OK(**commit);
    EXPECT_EQ(***commit, 3u);
    EXPECT_EQ(cluster.shipper().vdl(), 3u);
    EXPECT_OK(cluster.CheckAll());
  });
}

// Scripted: three segments of six are not a quorum. The commit waits until
// a fourth one reports the records.
TEST(SegmentsPartB, ACommitNeedsFourOfSixSegments) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, Scripted());
    for (int i : {0, 2, 4}) cluster.SetSclCap(i, 0);
    auto commit = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
    cluster.StartPutAll({{"k3", "x"}},
                        [commit](absl::StatusOr<Lsn> lsn) { *commit = std::move(lsn); });
    ASSERT_TRUE(ShipsAtLeast(cluster, 2)) << WhyNotShipped(cluster, *commit);
    world.RunFor(Millis(100));
    EXPECT_EQ(cluster.shipper().pgcl(0), 0u) << "only 3 segments hold LSN 1";
    EXPECT_EQ(cluster.shipper().vdl(), 0u);
    EXPECT_FALSE(commit->has_value()) << "acknowledged with 3 of 6 segments";
    cluster.SetSclCap(2, UINT64_MAX);
    ASSERT_TRUE(world.RunUntil([&] { return commit->has_value(); }, Seconds(2)))
        << "the fourth segment reported the records, but the commit never completed: resend "
           "to segments that have not acknowledged";
    ASSERT_OK(**commit);
    EXPECT_EQ(cluster.shipper().pgcl(0), ***commit);
    EXPECT_OK(cluster.CheckAll());
  });
}

// Scripted: four segments acknowledge every Append but silently miss
// record 2; two are cut off. Each of the four holds records 1 and 3, yet
// its SCL is 1: VDL must stay at 1 (the last CPL below the hole), and the
// commit (LSN 3) must wait until record 2 reaches them. Counting
// acknowledged requests instead of SCLs is the mistake.
TEST(SegmentsPartB, VdlNeverPassesAHole) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, Scripted());
    for (int i = 0; i < 4; ++i) cluster.SetIgnoredLsns(i, {2});
    cluster.CutWriterFrom({4, 5});
    // k0 (page 1) and k4 (page 2): MTRs at LSN 1 and 2, COMMIT at 3.
    auto commit = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
    cluster.StartPutAll({{"k0", "a"}, {"k4", "b"}},
                        [commit](absl::StatusOr<Lsn> lsn) { *commit = std::move(lsn); });
    ASSERT_TRUE(ShipsAtLeast(cluster, 3)) << WhyNotShipped(cluster, *commit);
    world.RunFor(Millis(100));
    EXPECT_EQ(cluster.shipper().vdl(), 1u) << "record 2 is on no disk: VDL must stay at 1";
    EXPECT_FALSE(commit->has_value()) << "the commit was acknowledged over a hole";
    EXPECT_OK(cluster.CheckSignals());
    for (int i = 0; i < 4; ++i) cluster.SetIgnoredLsns(i, {});
    ASSERT_TRUE(world.RunUntil([&] { return commit->has_value(); }, Seconds(2)))
        << "record 2 can be stored now, but the commit never completed: resend what a "
           "segment's SCL does not cover";
    ASSERT_OK(**commit);
    EXPECT_EQ(***commit, 3u);
    EXPECT_OK(cluster.CheckAll());
  });
}

// Scripted: segments 0 and 5 store nothing yet answer every read (with an
// empty page). Their acknowledged SCL stays 0, so a reader that asks only
// segments whose known SCL reaches the read point never sees them; one that
// asks any segment (or always the first) returns stale pages, which the
// durability checker catches.
TEST(SegmentsPartB, ReadsGoOnlyToSegmentsKnownToBeComplete) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, Scripted());
    ASSERT_OK(cluster.PutAll({{"k0", "first"}}));
    for (int i : {0, 5}) cluster.SetStaleLiar(i);
    for (int t = 0; t < 10; ++t) {
      const std::string a = absl::StrCat("k", t % 16);
      const std::string b = absl::StrCat("k", (t * 7 + 3) % 16);
      if (a == b) continue;
      ASSERT_OK(cluster.PutAll({{a, absl::StrCat("v", t)}, {b, absl::StrCat("w", t)}}));
      absl::StatusOr<std::optional<std::string>> got = cluster.Get(a);
      ASSERT_OK(got);
      EXPECT_EQ(got->value_or("<none>"), absl::StrCat("v", t))
          << "read " << a << " from a segment whose SCL is below the read point";
    }
    ASSERT_OK(cluster.ReadAllPages());
    EXPECT_OK(cluster.CheckAll());
  });
}

// Commits are acknowledged in LSN order, each only after VDL reached it,
// and VDL only grows.
TEST(SegmentsPartB, DurabilitySignalsOnlyGrowAndAreCpls) {
  RunSeeds([](World& world) {
    ClusterOptions options = Scripted();
    aurora::WorkloadOptions workload;
    workload.clients = 4;
    workload.transactions = 10;
    options.workload = workload;
    SegmentsCluster cluster(world, options);
    // Segments report progress in steps, never more than allowed.
    for (int round = 0; round < 20 && !cluster.RunWorkload(Millis(20)); ++round) {
      for (int i = 0; i < kSegmentsPerPg; ++i) {
        cluster.SetSclCap(i, world.sim().rng().Uniform(cluster.shipped().size() + 1));
      }
    }
    for (int i = 0; i < kSegmentsPerPg; ++i) cluster.SetSclCap(i, UINT64_MAX);
    RunAndCheck(cluster, Seconds(10));
    EXPECT_FALSE(cluster.durable_signals().empty());
  });
}

// Scripted: with three segments cut off, no quorum exists: the writer
// allocates at most LAL LSNs past VDL, acknowledges nothing, and resumes on
// its own when the segments come back.
TEST(SegmentsPartB, LalStallsTheWriterAndItResumes) {
  RunSeeds([](World& world) {
    ClusterOptions options;
    options.lal = 8;
    SegmentsCluster cluster(world, options);
    ASSERT_OK(cluster.PutAll({{"k0", "before"}}));
    const Lsn vdl = cluster.shipper().vdl();
    cluster.CutWriterFrom({1, 3, 5});
    auto done = std::make_shared<int>(0);
    for (int t = 0; t < 10; ++t) {
      cluster.StartPutAll({{absl::StrCat("k", 2 + t), absl::StrCat("v", t)}},
                          [done](absl::StatusOr<Lsn> lsn) { *done += lsn.ok(); });
    }
    world.RunFor(Millis(300));
    EXPECT_EQ(*done, 0) << "commits acknowledged without a write quorum";
    EXPECT_LE(cluster.shipped().rbegin()->first, vdl + 8)
        << "LSNs allocated past VDL + LAL: Append must refuse an MTR beyond the limit";
    EXPECT_OK(cluster.CheckSignals());
    world.network().Heal();
    EXPECT_TRUE(world.RunUntil([&] { return *done == 10; }, Seconds(5)))
        << "only " << *done << " of 10 commits completed after the segments came back";
    EXPECT_OK(cluster.CheckAll());
  });
}

// ---------------------------------------------------------------------------
// The whole protection group.

aurora::WorkloadOptions KvWorkload(int clients = 4, int transactions = 15) {
  aurora::WorkloadOptions workload;
  workload.kind = aurora::WorkloadKind::kKvPuts;
  workload.clients = clients;
  workload.transactions = transactions;
  return workload;
}

aurora::WorkloadOptions BankWorkload(int clients = 4, int transactions = 15) {
  aurora::WorkloadOptions workload;
  workload.kind = aurora::WorkloadKind::kBank;
  workload.clients = clients;
  workload.transactions = transactions;
  return workload;
}

TEST(SegmentsSystem, PutThenGetReturnsTheValue) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.PutAll({{"k1", "a"}, {"k5", "b"}}));
    absl::StatusOr<std::optional<std::string>> got = cluster.Get("k1");
    ASSERT_OK(got);
    EXPECT_EQ(got->value_or("<none>"), "a");
    got = cluster.Get("k9");
    ASSERT_OK(got);
    EXPECT_FALSE(got->has_value()) << "invented value " << **got;
    EXPECT_OK(cluster.CheckAll());
  });
}

// Scripted: with three segments' messages held, nothing is durable on four
// disks: no commit is acknowledged until they are released.
TEST(SegmentsSystem, NoCommitIsAcknowledgedBeforeItIsOnFourDisks) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    for (int i : {0, 1, 2}) cluster.HoldSegment(i);
    auto commit = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
    cluster.StartPutAll({{"k2", "held"}},
                        [commit](absl::StatusOr<Lsn> lsn) { *commit = std::move(lsn); });
    world.RunFor(Millis(200));
    EXPECT_FALSE(commit->has_value()) << "acknowledged with the records on 3 disks";
    for (int i : {0, 1, 2}) cluster.ReleaseSegment(i);
    ASSERT_TRUE(world.RunUntil([&] { return commit->has_value(); }, Seconds(2)));
    ASSERT_OK(**commit);
    EXPECT_GE(cluster.DisksDurablyHolding(cluster.shipped().at(***commit)), kWriteQuorum);
    EXPECT_OK(cluster.CheckAll());
  });
}

// A workload over a lossy, duplicating, reordering network: every VDL the
// writer reports is backed by 4 disks (the oracle), and every read sees
// exactly the committed state, never half an MTR.
TEST(SegmentsSystem, RecordsLostDuplicatedAndReorderedAreHandled) {
  WorldOptions options;
  options.network = NetworkConfig::Unreliable();
  options.network.duplicate_probability = 0.1;
  RunSeeds(options, [](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = KvWorkload()});
    RunAndCheck(cluster);
  });
}

TEST(SegmentsSystem, CommitsContinueWithAWholeAzDown) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = KvWorkload()});
    for (int i : cluster.SegmentsInAz(1)) cluster.CrashSegment(i);
    RunAndCheck(cluster);
  });
}

TEST(SegmentsSystem, CommitsContinueWithAnAzDownAndOneMoreSegmentSlow) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = KvWorkload(2, 10)});
    for (int i : cluster.SegmentsInAz(2)) cluster.CrashSegment(i);
    cluster.SlowSegment(cluster.SegmentsInAz(0).front(), 20);
    RunAndCheck(cluster);
  });
}

// Commit latency of `commits` commits, one after the other, in virtual time.
std::vector<Duration> CommitLatencies(SegmentsCluster& cluster, int commits) {
  std::vector<Duration> latencies;
  for (int c = 0; c < commits; ++c) {
    const Time start = cluster.world().Now();
    absl::StatusOr<Lsn> lsn = cluster.PutAll({{absl::StrCat("k", c % 16), absl::StrCat(c)}});
    EXPECT_OK(lsn);
    latencies.push_back(cluster.world().Now() - start);
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

// With two segments very slow, commits run at the pace of the fourth
// fastest: as fast as with none slow. With three slow, the fourth fastest
// is a slow one, and commits wait for it.
TEST(SegmentsSystem, CommitLatencyFollowsTheFourthFastestSegment) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world);
    ASSERT_OK(cluster.PutAll({{"k0", "warm-up"}}));
    for (int i : {1, 4}) cluster.SlowSegment(i, 100);
    const std::vector<Duration> two_slow = CommitLatencies(cluster, 8);
    cluster.SlowSegment(3, 100);
    const std::vector<Duration> three_slow = CommitLatencies(cluster, 8);
    const Duration median_two = two_slow[two_slow.size() / 2];
    const Duration median_three = three_slow[three_slow.size() / 2];
    // A message to or from a slow segment takes 100 times its usual
    // 0.2-0.5ms each way.
    EXPECT_LT(median_two, Millis(10)) << "two slow segments must not slow commits down";
    EXPECT_GT(median_three, Millis(20)) << "with three slow, the 4th fastest segment is slow";
    EXPECT_OK(cluster.CheckAll());
  });
}

// Scripted: the writer cannot reach segments 4 and 5 at all; they catch up
// by gossip alone and end up holding every record durably.
TEST(SegmentsSystem, HolesAreFilledByGossipAlone) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = KvWorkload(2, 10)});
    cluster.CutWriterFrom({4, 5});
    RunAndCheck(cluster);
    world.RunFor(Millis(500));
    for (const auto& [lsn, record] : cluster.shipped()) {
      ASSERT_EQ(cluster.DisksDurablyHolding(record), kSegmentsPerPg)
          << "record " << lsn
          << " is not on every segment's disk: the segments the writer "
             "cannot reach must get it from their peers";
    }
  });
}

// Segments crash and restart during the workload (one at a time): no
// acknowledged commit is lost, and reads stay exact.
TEST(SegmentsSystem, SegmentCrashesLoseNoAcknowledgedCommit) {
  RunSeeds([](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = KvWorkload(4, 20)});
    NemesisOptions nemesis;
    for (int i = 0; i < kSegmentsPerPg; ++i) nemesis.targets.push_back(cluster.segment(i));
    nemesis.until = Millis(400);
    nemesis.interval = Millis(20);
    nemesis.fault_duration = Millis(40);
    nemesis.partitions = false;
    nemesis.slow_nodes = false;
    StartNemesis(world, nemesis);
    RunAndCheck(cluster);
    // Every segment back, then read everything once more.
    world.RunFor(Millis(500));
    ASSERT_OK(cluster.ReadAllPages());
    EXPECT_OK(cluster.CheckAll());
  });
}

// Bank transfers under an unreliable network, segment crashes, partitions
// and slow segments: the audits always see the same total.
TEST(SegmentsSystem, BankTotalIsConservedUnderFaults) {
  WorldOptions options;
  options.network = NetworkConfig::Unreliable();
  RunSeeds(options, [](World& world) {
    SegmentsCluster cluster(world, ClusterOptions{.workload = BankWorkload()});
    NemesisOptions nemesis;
    for (int i = 0; i < kSegmentsPerPg; ++i) nemesis.targets.push_back(cluster.segment(i));
    nemesis.until = Seconds(1);
    nemesis.interval = Millis(50);
    nemesis.fault_duration = Millis(100);
    nemesis.max_nodes_down = 2;
    StartNemesis(world, nemesis);
    RunAndCheck(cluster, Seconds(60));
    EXPECT_GT(cluster.writer_node().workload()->stats().audits, 0);
  });
}

// GC runs all along: every read still sees exactly the committed state, and
// the segments' files stay small.
TEST(SegmentsSystem, GcKeepsEveryAnswerTheSame) {
  RunSeeds([](World& world) {
    ClusterOptions options;
    options.workload = KvWorkload(4, 20);
    options.gc_interval = Millis(5);
    SegmentsCluster cluster(world, options);
    RunAndCheck(cluster);
    world.RunFor(Millis(100));
    absl::StatusOr<std::vector<PageImage>> pages = cluster.ReadAllPages();
    ASSERT_OK(pages);
    EXPECT_OK(cluster.CheckAll());
    // Each segment folded most of the log away.
    std::vector<RedoRecord> all;
    for (const auto& [lsn, record] : cluster.shipped()) all.push_back(record);
    for (int i = 0; i < kSegmentsPerPg; ++i) {
      int still_in_log = 0;
      for (const RedoRecord& record : all) {
        still_in_log += DurableCopies(cluster, i, record.SerializeAsString()) > 0;
      }
      EXPECT_LT(still_in_log, static_cast<int>(all.size()) / 2)
          << "segment " << i << " still keeps " << still_in_log << " of " << all.size()
          << " records after GC";
    }
  });
}

}  // namespace
}  // namespace auroralab::segments
