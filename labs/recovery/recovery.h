// Lab 3: crash recovery without consensus. The interface.
//
// When the writer dies, a new writer takes over using only the storage
// fleet. It
//   1. fences the old writer: adopts a new volume epoch on a write quorum
//      (4 of 6) of every PG's segments, which then refuse records of an
//      older epoch;
//   2. reads the state (SCL, epoch, truncation set) of a read quorum (3 of
//      6) of segments;
//   3. recomputes VCL and VDL from those states alone;
//   4. writes a truncation set, durably on a write quorum: every range
//      found in force plus [VDL + 1, end], where `end` covers every LSN the
//      old writer might have allocated (its allocation limit bounds it);
//   5. opens the database with LSNs above the range;
//   6. undoes the transactions that have changes at or below VDL but no
//      COMMIT (or ABORT) record, online, while new transactions run.
// Recovery may crash at any step; the next writer redoes it under a newer
// epoch.
//
// What is provided here: the RPC methods, the options, the epoch helper,
// the interfaces the provided shells call, and the factories.
//   * fenced_storage_node.h: the storage node of lab 3: every lab 2 replica
//     wrapped by the student's FencedReplica, plus the three methods below.
//   * recovering_writer.h: the writer of lab 3: runs the student's Recovery,
//     then opens the engine (lab 2's writer shell) where it says, and runs
//     the undo it planned.
// What students write (skeleton/recovery/, and one method in lab 2):
//   Part A, fenced_segment.h/.cc: class FencedSegment, a FencedReplica.
//   Part A, lab 2's segment.cc: Segment::SetRecordFilter (segments.h).
//   Part B, recovery.h/.cc: class VolumeRecovery, a Recovery.
//   Part B, lab 2's log_shipper.cc: honour LogShipperOptions::start.
#ifndef AURORALAB_LABS_RECOVERY_RECOVERY_H_
#define AURORALAB_LABS_RECOVERY_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/aurora/page.h"
#include "labs/aurora/redo.pb.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/framework/time.h"
#include "labs/recovery/recovery.pb.h"
#include "labs/segments/segments.h"

namespace auroralab::recovery {

using aurora::Lsn;
using aurora::PgId;
using aurora::TxnId;
using segments::kSegmentsPerPg;
using segments::kWriteQuorum;
using segments::Placement;
using segments::SegmentOptions;
using segments::SegmentReplica;

using Epoch = uint64_t;

// 3 of 6: any read quorum overlaps every write quorum (3 + 4 > 6).
inline constexpr int kReadQuorum = 3;

inline constexpr Method<BumpEpochRequest, BumpEpochReply> kBumpEpoch{"Recovery.BumpEpoch"};
inline constexpr Method<SegmentStateRequest, SegmentStateReply> kSegmentState{
    "Recovery.SegmentState"};
inline constexpr Method<TruncateRequest, TruncateReply> kTruncate{"Recovery.Truncate"};

// Epochs are unique per writer, so two racing recoveries never pick the
// same one: epoch = round << 16 | (writer & 0xffff). NextEpoch is the
// smallest epoch of `writer` above `above`. A new volume is at epoch 0.
Epoch NextEpoch(Epoch above, NodeId writer);

// The name of the file, in segment (pg, index)'s namespace, that the
// reference keeps its fencing state in. Yours may differ, but every file of
// a replica must start with segments::SegmentFilePrefix(pg, index).
std::string FenceFile(PgId pg, int index);

// ---------------------------------------------------------------------------
// Part A: the fenced segment (storage side).

// A segment replica that also knows the volume epoch and the truncation
// set. The fenced storage node builds one per (pg, index) around the lab 2
// replica, calls Start() at every (re)start, and routes lab 2's four
// methods and the three below to it.
class FencedReplica : public SegmentReplica {
 public:
  virtual void HandleBumpEpoch(const BumpEpochRequest& request,
                               Responder<BumpEpochReply> responder) = 0;
  virtual void HandleSegmentState(const SegmentStateRequest& request,
                                  Responder<SegmentStateReply> responder) = 0;
  virtual void HandleTruncate(const TruncateRequest& request,
                              Responder<TruncateReply> responder) = 0;
  // The adopted epoch and the set in force (for tests and traces).
  virtual Epoch epoch() const = 0;
  virtual const TruncationSet& truncations() const = 0;
};

// Implemented by the lab (skeleton/recovery/fenced_segment.cc). `inner` is
// the lab 2 replica for the same options; the result owns it.
std::unique_ptr<FencedReplica> NewFencedReplica(NodeContext& ctx, const SegmentOptions& options,
                                                std::unique_ptr<SegmentReplica> inner);

// ---------------------------------------------------------------------------
// Part B: the new writer's recovery.

struct RecoveryOptions {
  Placement placement;
  // The LSN allocation limit every writer of this volume uses (lab 2's
  // LogShipperOptions::lal): the old writer never allocated an LSN above
  // max(its VDL, the end of the truncation range it started after) + lal.
  uint64_t lal = 1000;
  // How long to wait for a segment's answer before asking it again.
  Duration retry_interval = Millis(20);
  // Log reads go through lab 2's kGossip (the segment's durable records
  // above an LSN); at most this many records per read.
  int max_records_per_read = 256;
};

// OK iff the placement is valid and has exactly one PG (lab 4 brings
// many), lal >= 1, retry_interval > 0 and max_records_per_read > 0;
// otherwise InvalidArgument naming the field.
absl::Status ValidateRecoveryOptions(const RecoveryOptions& options);

// What recovery established, and how the new writer opens.
struct RecoveredVolume {
  // The new writer's epoch: adopted by a write quorum of every PG.
  Epoch epoch = 0;
  // What the read quorum proved complete, and the last CPL at or below it.
  Lsn vcl = aurora::kNoLsn;
  Lsn vdl = aurora::kNoLsn;
  // The set now in force on a write quorum: truncations.epoch == epoch, and
  // its last range is this recovery's own [vdl + 1, end].
  TruncationSet truncations;
  // Where the log continues: next_lsn = end + 1, each PG's last kept record
  // (its backlink), durable_lsn = vdl.
  segments::LogStart start;
  // The in-doubt transactions (a change at or below VDL, no COMMIT or ABORT
  // at or below VDL) and, for each, the changes that undo what is left of
  // it: one per key it changed and no earlier recovery undid, each the
  // change of an UNDO record (aurora::Engine::Undo's argument).
  std::map<TxnId, std::vector<aurora::Change>> undo;
};

// One recovery, run once per writer incarnation.
class Recovery {
 public:
  virtual ~Recovery() = default;
  // Steps 1 to 4, then `done` with the result (the shell opens the database
  // and runs the undo). FailedPrecondition if a newer writer's epoch fenced
  // this one: it must not open. After `done`, keep offering the truncation
  // set to the segments that have not accepted it yet (they refuse the new
  // writer's records until they have it).
  virtual void Run(std::function<void(absl::StatusOr<RecoveredVolume>)> done) = 0;
};

// Implemented by the lab (skeleton/recovery/recovery.cc). `options` has
// passed ValidateRecoveryOptions.
std::unique_ptr<Recovery> NewRecovery(NodeContext& ctx, const RecoveryOptions& options);

}  // namespace auroralab::recovery

#endif  // AURORALAB_LABS_RECOVERY_RECOVERY_H_
