// RecoveryCluster: the lab 3 test harness, shared by the public and hidden
// tests and the benchmark. It builds one protection group in a World: six
// fenced storage nodes "s0".."s5" (segment i in AZ i % 3), writer nodes
// "w0".."w<n-1>" (AZ 0; w0 takes over at once, the others are standbys
// until TakeOver), and a probe node "probe" that speaks every segment RPC
// directly: tests use it to play an old writer with hand-made records.
//
//   RunSeeds([](World& world) {
//     RecoveryCluster cluster(world);
//     ASSERT_OK(cluster.AwaitOpen(0));
//     ASSERT_OK(cluster.PutAll(0, {{"k1", "a"}}));
//     cluster.CrashWriter(0);
//     cluster.TakeOver(1);
//     ASSERT_OK(cluster.AwaitOpen(1));
//     EXPECT_EQ(*cluster.Get(1, "k1"), "a");
//     EXPECT_OK(cluster.CheckQuiet());
//   });
//
// What it watches (CheckAll reports the first violation):
//   * every VDL a writer reports is a CPL it shipped, and every record that
//     writer shipped up to it is durable on at least 4 segment disks at
//     that instant (the disk oracle: a record's serialized bytes in the
//     durable part of the segment's files);
//   * every writer that opened did so above every truncation range it
//     reported, with its epoch on the set;
//   * the shared history passes aurora::CheckDurability: no acknowledged
//     commit lost, nothing annulled or uncommitted visible, undo correct.
// CheckQuiet adds aurora::CheckUndoComplete (run it once recovery and the
// undo have finished).
#ifndef AURORALAB_LABS_RECOVERY_HARNESS_H_
#define AURORALAB_LABS_RECOVERY_HARNESS_H_

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
#include "labs/recovery/fenced_storage_node.h"
#include "labs/recovery/recovering_writer.h"
#include "labs/recovery/recovery.h"

namespace auroralab::recovery {

struct RecoveryClusterOptions {
  int num_keys = 16;
  int keys_per_page = 4;
  uint64_t lal = 64;
  int writers = 2;
  // w0 takes over at once; false: every writer is a standby (a test that
  // scripts the old writer's records first).
  bool first_writer_starts = true;
  Duration resend_interval = Millis(10);
  Duration gossip_interval = Millis(10);
  Duration retry_interval = Millis(20);
  Duration attempt_timeout = Millis(30);
  Duration read_deadline = Seconds(2);
  Duration gc_interval = 0;  // 0: no GC
  // If set, every writer runs this workload once it is open (w0 with the
  // bank's set-up, later writers without).
  std::optional<aurora::WorkloadOptions> workload;
};

class RecoveryCluster {
 public:
  RecoveryCluster(World& world, RecoveryClusterOptions options = RecoveryClusterOptions());
  RecoveryCluster(const RecoveryCluster&) = delete;
  RecoveryCluster& operator=(const RecoveryCluster&) = delete;

  const absl::Status& status() const { return status_; }
  World& world() { return world_; }
  Network& network() { return world_.network(); }
  const RecoveryClusterOptions& options() const { return options_; }
  const aurora::VolumeLayout& layout() const { return layout_; }
  NodeId segment(int i) const { return segments_.at(i); }
  NodeId writer(int k) const { return writers_.at(k); }
  NodeId probe() const { return probe_; }
  aurora::DbHistory& history() { return history_; }

  // Writer k's shell (it must be up).
  RecoveringWriter& writer_node(int k) { return world_.node<RecoveringWriter>(writer(k)); }
  aurora::Engine& engine(int k) { return writer_node(k).engine(); }
  // Segment i's fenced replica (its node must be up).
  FencedReplica& fenced(int i);

  // Starts writer k's takeover: a standby takes over, a crashed writer
  // restarts (a new incarnation recovers).
  void TakeOver(int k);
  void CrashWriter(int k) { world_.Crash(writer(k)); }
  // Runs until writer k is open (OK), failed (its recovery status), or
  // `max` passed (DeadlineExceeded).
  absl::Status AwaitOpen(int k, Duration max = Seconds(5));
  // Runs until writer k's undo has finished; its outcome.
  absl::Status AwaitUndo(int k, Duration max = Seconds(5));
  // What writer k's recovery returned (it must be open).
  const RecoveredVolume& recovered(int k) { return *writer_node(k).recovered(); }

  // Runs until writer k's workload has committed `n` transactions (the
  // bank's set-up counts); false if it has not after `max`.
  bool AwaitCommits(int k, int n, Duration max = Seconds(10));
  // Commits acknowledged by writers of `epoch` (their transaction ids are
  // epoch << 32 and up; recovering_writer.h).
  int AckedInEpoch(Epoch epoch) const;

  // Transactions through writer k, run to completion in virtual time.
  absl::StatusOr<Lsn> PutAll(int k, std::vector<std::pair<std::string, std::string>> writes,
                             Duration max = Seconds(5));
  absl::StatusOr<std::optional<std::string>> Get(int k, const std::string& key,
                                                 Duration max = Seconds(5));
  void StartPutAll(int k, std::vector<std::pair<std::string, std::string>> writes,
                   std::function<void(absl::StatusOr<Lsn>)> done = nullptr);
  // Every data page at writer k's read point, and whether their balances
  // add up to `total`.
  absl::Status CheckBankTotal(int k, int64_t total, Duration max = Seconds(5));
  // The bank's set-up through writer k (every key to `balance`).
  absl::Status SetUpBank(int k, int64_t balance = 100);

  // Faults, by segment index.
  void CrashSegment(int i) { world_.Crash(segment(i)); }
  void RestartSegment(int i) { world_.Restart(segment(i)); }
  void SlowSegment(int i, double multiplier) { network().SetSlow(segment(i), multiplier); }
  // Cuts writer k off from the listed segments, both ways.
  void CutWriterFrom(int k, const std::vector<int>& segments);

  // The probe, playing an old writer or a segment's peer. Each call runs
  // the world until the answer comes (or `timeout`).
  absl::StatusOr<segments::AppendReply> Append(int i, std::vector<aurora::RedoRecord> records,
                                               Duration timeout = Seconds(1));
  absl::StatusOr<BumpEpochReply> BumpEpoch(int i, Epoch epoch, Duration timeout = Seconds(1));
  absl::StatusOr<TruncateReply> Truncate(int i, const TruncationSet& set,
                                         Duration timeout = Seconds(1));
  absl::StatusOr<SegmentStateReply> State(int i, Duration timeout = Seconds(1));
  absl::StatusOr<segments::ReadPageReply> ReadPage(int i, aurora::PageId page, Lsn read_point,
                                                   Duration timeout = Seconds(1));
  // Puts `set` (and its epoch) in force on every listed segment through the
  // probe: the state an earlier recovery left. Fails if one refuses.
  absl::Status Establish(const TruncationSet& set, const std::vector<int>& segments);

  // The disk oracle: how often `record`'s bytes are in segment i's durable
  // files, and on how many segments they are.
  int DurableCopies(int i, const aurora::RedoRecord& record);
  int DisksDurablyHolding(const aurora::RedoRecord& record);

  // Adds a record the probe wrote (as an old writer) to the history, and a
  // commit the old writer had acknowledged, for the checkers.
  void RecordShipped(const aurora::RedoRecord& record) { history_.records.push_back(record); }
  void RecordAcked(aurora::TxnId txn, Lsn commit_lsn);

  absl::Status CheckSignals() const { return first_violation_; }
  absl::Status CheckAll() const;
  absl::Status CheckQuiet() const;

 private:
  void OnDurable(int k, Lsn vdl);
  void OnAppend(int k, const std::vector<aurora::RedoRecord>& mtr);
  void Violation(std::string message);
  template <typename T>
  T RunFor(int k, std::shared_ptr<std::optional<T>> result, Duration max, const char* what);
  template <typename Reply, typename Request>
  absl::StatusOr<Reply> ProbeCall(int i, const Method<Request, Reply>& method,
                                  const Request& request, Duration timeout);

  World& world_;
  RecoveryClusterOptions options_;
  aurora::VolumeLayout layout_;
  absl::Status status_;
  std::vector<NodeId> segments_;
  std::vector<NodeId> writers_;
  NodeId probe_ = -1;
  aurora::DbHistory history_;
  // What each writer incarnation shipped, by LSN (reset when it restarts).
  std::map<int, std::map<Lsn, aurora::RedoRecord>> shipped_;
  std::map<int, uint64_t> shipped_incarnation_;
  std::map<int, Lsn> checked_up_to_;  // the disk oracle's progress per writer
  absl::Status first_violation_;
};

// A record of PG 0 as an old writer would have shipped it (for scripted
// scenarios such as the lecture's 101, 102, 104): a PUT of `key` to
// `value` (old value absent unless `old_value`), or a COMMIT/ABORT (page 0)
// when `kind` says so. The caller sets lsn, prev_lsn_in_pg and cpl.
aurora::RedoRecord OldRecord(const aurora::VolumeLayout& layout, aurora::RecordKind kind,
                             aurora::TxnId txn, Epoch epoch, const std::string& key = "",
                             const std::string& value = "",
                             std::optional<std::string> old_value = std::nullopt);

// Numbers `records` as one chain: LSNs from `first`, each backlink the
// previous record's LSN (the first's is `prev`); `cpl_at` lists the LSNs
// that end an MTR.
void Chain(std::vector<aurora::RedoRecord>& records, Lsn first, Lsn prev, std::set<Lsn> cpl_at);

// The truncation set an earlier recovery of `epoch` left: one range.
TruncationSet SetOf(Epoch epoch, std::vector<TruncationRange> ranges);
TruncationRange Range(Lsn first, Lsn last, Epoch epoch);

}  // namespace auroralab::recovery

#endif  // AURORALAB_LABS_RECOVERY_HARNESS_H_
