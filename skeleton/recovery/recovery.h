// Lab 3, Part B: the new writer's recovery. YOUR CODE GOES HERE (and in
// recovery.cc). TODO(lab3)
//
// The provided recovering writer (labs/recovery/recovering_writer.h) builds
// one VolumeRecovery per incarnation and calls Run once. Run must, in this
// order (every step's messages may be lost, delayed or duplicated; ask a
// segment again every retry_interval until it answers):
//   1. Fence: propose an epoch above every one you have seen
//      (NextEpoch(highest_seen, ctx.id())) with kBumpEpoch to the six
//      segments. Go on once a write quorum (4) accepted. A refusal tells a
//      higher epoch: if too many refuse for 4 to accept, propose above it.
//   2. Read: kSegmentState from a read quorum (3), asked AFTER the bump. If
//      any reports an epoch above yours, a newer writer is recovering: go
//      back to step 1 (after a random pause) a few times, then give up
//      with FailedPrecondition.
//   3. Compute. The set in force is the one with the highest epoch among
//      the states. A segment's SCL inside one of its ranges counts only up
//      to the range's first LSN - 1. VCL = the highest such SCL. Read that
//      segment's records up to VCL with lab 2's kGossip (its durable
//      records above an LSN; page through with max_records_per_read), keep
//      those that survive the set, and take VDL = the highest CPL <= VCL.
//   4. Truncate: the new range is [VDL + 1, end] with end = max(VDL, the
//      highest `last` of the ranges in force) + lal, tagged with your
//      epoch; send the ranges in force plus it, as a set of your epoch,
//      with kTruncate. Done once 4 accepted; a refusal means a newer writer
//      fenced you (FailedPrecondition). Keep sending to the others after
//      that, in the background.
//   Then the result: the new log starts at end + 1, backlink VDL (if > 0),
//   durable at VDL; and for each in-doubt transaction (a change at or below
//   VDL, no COMMIT or ABORT at or below VDL) the UNDO changes of all its
//   PUTs (old and new swapped: undoing a key twice gives the same value).
#ifndef AURORALAB_IMPL_RECOVERY_RECOVERY_H_
#define AURORALAB_IMPL_RECOVERY_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "labs/aurora/redo.pb.h"
#include "labs/framework/node.h"
#include "labs/recovery/recovery.h"

namespace auroralab::recovery {

class VolumeRecovery : public Recovery {
 public:
  VolumeRecovery(NodeContext& ctx, const RecoveryOptions& options);

  void Run(std::function<void(absl::StatusOr<RecoveredVolume>)> done) override;

 private:
  // TODO(lab3): your state and steps. Hints: number each step's round of
  // messages and ignore replies of an older round; resend to the segments
  // that have not answered every retry_interval; remember the highest epoch
  // you have seen. Keep the class name, Run and the factory in recovery.cc.
  NodeContext& ctx_;
  RecoveryOptions options_;
};

}  // namespace auroralab::recovery

#endif  // AURORALAB_IMPL_RECOVERY_RECOVERY_H_
