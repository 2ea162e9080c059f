// SegmentsCluster: the lab 2 test harness, shared by the public and hidden
// tests. It builds one protection group in a World: six storage nodes
// "s0".."s5" (segment i on node "s<i>" in AZ i % 3: two per AZ), the writer
// "w" (AZ 0: the engine over the lab's log shipper and page reader) and a
// probe node "probe" (AZ 0) that speaks the segment RPCs directly, for tests
// of one segment on its own.
//
//   RunSeeds([](World& world) {
//     SegmentsCluster cluster(world);
//     ASSERT_OK(cluster.PutAll({{"k1", "a"}}));
//     EXPECT_EQ(*cluster.Get("k1"), "a");
//     EXPECT_OK(cluster.CheckAll());
//   });
//
// What it watches while the world runs (CheckAll reports the first
// violation), through the writer shell's observers:
//   * every VDL the shipper reports is the LSN of a CPL record, increases,
//     and every record up to it is durable on at least 4 of the 6 segment
//     disks at that instant (the disk oracle below);
//   * no MTR is accepted whose last LSN exceeds the reported VDL + LAL;
//   * the engine's history passes aurora::CheckDurability.
// The disk oracle looks for each record's serialized bytes
// (RedoRecord::SerializeAsString) in the durable contents of the segment's
// files (SegmentFilePrefix): what a crash would keep. GC removes folded
// records from the disk, so it is off unless a test turns it on.
//
// With scripted_segments, the six storage nodes are test doubles instead of
// the lab's segments: they store and sync every record like a segment but
// report an SCL no higher than a cap the test sets (SetSclCap), or leave
// chosen records out (SetIgnoredLsns), so a test decides exactly what the
// writer learns.
#ifndef AURORALAB_LABS_SEGMENTS_HARNESS_H_
#define AURORALAB_LABS_SEGMENTS_HARNESS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/aurora/checkers.h"
#include "labs/aurora/history.h"
#include "labs/aurora/page.h"
#include "labs/aurora/workload.h"
#include "labs/framework/world.h"
#include "labs/segments/segments.h"
#include "labs/segments/writer_node.h"

namespace auroralab::segments {

struct ClusterOptions {
  int num_keys = 16;
  int keys_per_page = 4;
  uint64_t lal = 64;
  Duration resend_interval = Millis(10);
  Duration gossip_interval = Millis(10);
  Duration attempt_timeout = Millis(30);
  Duration read_deadline = Seconds(2);
  Duration gc_interval = 0;  // 0: no GC
  // If set, the writer runs this workload from the start.
  std::optional<aurora::WorkloadOptions> workload;
  bool scripted_segments = false;
  // Check the disk oracle at every durability signal.
  bool check_signals_on_disk = true;
};

class SegmentsCluster {
 public:
  SegmentsCluster(World& world, ClusterOptions options = ClusterOptions());
  SegmentsCluster(const SegmentsCluster&) = delete;
  SegmentsCluster& operator=(const SegmentsCluster&) = delete;

  // OK if the cluster was built; otherwise why not.
  const absl::Status& status() const { return status_; }
  World& world() { return world_; }
  Network& network() { return world_.network(); }
  const ClusterOptions& options() const { return options_; }
  const aurora::VolumeLayout& layout() const { return layout_; }
  NodeId segment(int i) const { return segments_.at(i); }
  NodeId writer() const { return writer_; }
  NodeId probe() const { return probe_; }
  std::vector<int> SegmentsInAz(int az) const;

  // The writer's running pieces (it must be up).
  WriterNode& writer_node() { return world_.node<WriterNode>(writer_); }
  aurora::Engine& engine() { return writer_node().engine(); }
  LogShipper& shipper() { return writer_node().shipper(); }
  aurora::DbHistory& history() { return history_; }

  // Transactions, run to completion in virtual time (an Internal error if
  // one does not finish within `max`).
  absl::StatusOr<Lsn> PutAll(std::vector<std::pair<std::string, std::string>> writes,
                             Duration max = Seconds(5));
  absl::StatusOr<Lsn> Transfer(const std::string& from, const std::string& to, int64_t amount,
                               Duration max = Seconds(5));
  // The committed value of `key` (a read-only transaction).
  absl::StatusOr<std::optional<std::string>> Get(const std::string& key, Duration max = Seconds(5));
  // Starts a PutAll; `done` (optional) gets its outcome.
  void StartPutAll(std::vector<std::pair<std::string, std::string>> writes,
                   std::function<void(absl::StatusOr<Lsn>)> done = nullptr);
  // Reads every data page at the engine's read point (an audit).
  absl::StatusOr<std::vector<aurora::PageImage>> ReadAllPages(Duration max = Seconds(5));
  // Runs until the configured workload is done; false if it is not after `max`.
  bool RunWorkload(Duration max = Seconds(60));
  // Commits acknowledged so far.
  int acked_commits() const { return static_cast<int>(history_.acked.size()); }

  // Faults, by segment index.
  void CrashSegment(int i) { world_.Crash(segment(i)); }
  void RestartSegment(int i) { world_.Restart(segment(i)); }
  void HoldSegment(int i) { network().Hold(segment(i)); }
  void ReleaseSegment(int i) { network().Release(segment(i)); }
  void SlowSegment(int i, double multiplier) { network().SetSlow(segment(i), multiplier); }
  // Cuts the writer off from the listed segments (both directions); the
  // segments still reach each other. Network::Heal() undoes it.
  void CutWriterFrom(const std::vector<int>& segments);
  // Scripted segments only: segment i reports an SCL of at most `cap`.
  void SetSclCap(int i, Lsn cap);
  // Scripted segments only: segment i answers Appends of these LSNs as if
  // it stored them, but does not (a hole: its SCL stops before them).
  void SetIgnoredLsns(int i, std::set<Lsn> lsns);
  // Scripted segments only: segment i stores nothing from now on (its SCL
  // stays where it is) yet answers every read, with whatever older page it
  // has: a reader must never ask a segment whose SCL is below the read point.
  void SetStaleLiar(int i);

  // The disk oracle: on how many segment disks `record` is durable.
  int DisksDurablyHolding(const aurora::RedoRecord& record);
  // Every record the writer shipped, by LSN.
  const std::map<Lsn, aurora::RedoRecord>& shipped() const { return shipped_; }
  // Every VDL the shipper reported, in order.
  const std::vector<Lsn>& durable_signals() const { return signals_; }

  // The first violation the observers saw (see the top of this file).
  absl::Status CheckSignals() const { return first_violation_; }
  // CheckSignals and aurora::CheckDurability of the history.
  absl::Status CheckAll() const;

 private:
  void OnDurable(Lsn vdl);
  void OnAppend(const std::vector<aurora::RedoRecord>& mtr, Lsn vdl_before);
  void Violation(std::string message);
  // Runs until `*result` is set, or fails after `max`.
  template <typename T>
  T RunFor(std::shared_ptr<std::optional<T>> result, Duration max, const char* what);

  World& world_;
  ClusterOptions options_;
  aurora::VolumeLayout layout_;
  absl::Status status_;
  std::vector<NodeId> segments_;
  NodeId writer_ = -1;
  NodeId probe_ = -1;
  aurora::DbHistory history_;
  std::map<Lsn, aurora::RedoRecord> shipped_;
  std::vector<Lsn> signals_;
  absl::Status first_violation_;
  // Oracle cache: (segment, LSN) pairs already seen durable. Durable bytes
  // stay durable as long as GC is off.
  std::set<std::pair<int, Lsn>> seen_durable_;
  // Every record up to here was on 4 disks at the last check.
  Lsn oracle_checked_up_to_ = aurora::kNoLsn;
};

// Records 1..n of PG 0 as the writer would number them: LSNs 1..n, each
// backlink to the previous LSN, on data pages 1..num_pages in turn, each a
// PUT of key "k<lsn % ...>" to "v<lsn>", MTRs of `mtr_size` records (the
// last of each a CPL).
std::vector<aurora::RedoRecord> MakeRecords(int n, int num_pages = 4, int mtr_size = 2);

// A node that speaks the segment RPCs directly, for tests of one segment.
// Each call runs the world until the answer comes (or `timeout`).
class SegmentProbe : public Node {
 public:
  using Node::Node;
  absl::StatusOr<AppendReply> Append(World& world, NodeId node, int segment,
                                     std::vector<aurora::RedoRecord> records,
                                     Duration timeout = Seconds(1));
  absl::StatusOr<ReadPageReply> ReadPage(World& world, NodeId node, int segment, PageId page,
                                         Lsn read_point, Duration timeout = Seconds(1));
  absl::StatusOr<LowWaterMarkReply> LowWaterMark(World& world, NodeId node, int segment, Lsn mark,
                                                 Duration timeout = Seconds(1));
  absl::StatusOr<GossipReply> Gossip(World& world, NodeId node, const GossipRequest& request,
                                     Duration timeout = Seconds(1));
  // Starts an Append and returns at once; `done` gets the outcome.
  void StartAppend(NodeId node, int segment, std::vector<aurora::RedoRecord> records,
                   std::function<void(absl::StatusOr<AppendReply>)> done,
                   Duration timeout = Seconds(1));
};

// Helpers of the one-segment tests, shared by the public and hidden tests.

// The cluster's probe node.
SegmentProbe& Probe(SegmentsCluster& cluster);

// Appends `records` to segment i through the probe; returns its SCL.
absl::StatusOr<Lsn> AppendTo(SegmentsCluster& cluster, int i,
                             std::vector<aurora::RedoRecord> records);

// Checks (with GoogleTest expectations) segment i's answer for every data
// page 1..num_pages at `read_point` against the page `records` give.
void ExpectPagesAt(SegmentsCluster& cluster, int i, const std::vector<aurora::RedoRecord>& records,
                   Lsn read_point, int num_pages = 4);

// The number of times `needle` occurs in segment i's durable files.
int DurableCopies(SegmentsCluster& cluster, int i, const std::string& needle);

}  // namespace auroralab::segments

#endif  // AURORALAB_LABS_SEGMENTS_HARNESS_H_
