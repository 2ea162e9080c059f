// Lab 3, Part A: the fenced segment. YOUR CODE GOES HERE (and in
// fenced_segment.cc). TODO(lab3)
//
// A FencedSegment wraps your lab 2 Segment (`inner`) and adds what a new
// writer needs to take over safely: the volume epoch and the truncation
// set. The provided fenced storage node builds one per (pg, index) around
// the lab 2 replica and routes all seven methods to it.
// What it must guarantee:
//   - Fencing: an Append carrying a record of an older epoch than the
//     adopted one fails with FailedPrecondition (the old writer is locked
//     out), and nothing of it is stored. A record of a newer epoch than the
//     truncation set in force fails with Unavailable: its writer's set has
//     not arrived yet (the writer resends). A ReadPage of an older epoch
//     fails with FailedPrecondition too: a deposed writer must not serve
//     stale pages.
//   - BumpEpoch: adopt a higher epoch, durably (synced) before replying
//     accepted; an equal one is accepted again; a lower one is refused with
//     the adopted epoch. The epoch never goes down, not even after a crash.
//   - Truncate: a set with an epoch below the adopted one is refused. A set
//     with a higher epoch than the one in force replaces it whole (and its
//     epoch is adopted); the same set again is accepted again. Reply
//     accepted only once the set is durable AND applied to the inner
//     segment (SetRecordFilter's `done`).
//   - Annulled: a record of epoch e with LSN in a range [first, last] of
//     epoch > e is annulled. With the filter installed (inner
//     SetRecordFilter), annulled records are dropped, never counted for the
//     SCL, never gossiped or read, and refused when they come back.
//   - SegmentState: the adopted epoch, the set in force, the inner SCL.
//   - Restart: Start() restores epoch and set from the disk, starts the
//     inner segment, then installs the filter again.
//   - Files: only in the replica's namespace (FenceFile is one name there).
#ifndef AURORALAB_IMPL_RECOVERY_FENCED_SEGMENT_H_
#define AURORALAB_IMPL_RECOVERY_FENCED_SEGMENT_H_

#include <functional>
#include <memory>

#include "labs/aurora/redo.pb.h"
#include "labs/framework/node.h"
#include "labs/recovery/recovery.h"

namespace auroralab::recovery {

class FencedSegment : public FencedReplica {
 public:
  FencedSegment(NodeContext& ctx, const SegmentOptions& options,
                std::unique_ptr<SegmentReplica> inner);

  void Start() override;

  // Lab 2's methods: Append is checked against the epoch and the set, the
  // rest go to the inner segment as they are.
  void HandleAppend(const segments::AppendRequest& request,
                    Responder<segments::AppendReply> responder) override;
  void HandleGossip(const segments::GossipRequest& request,
                    Responder<segments::GossipReply> responder) override;
  void HandleReadPage(const segments::ReadPageRequest& request,
                      Responder<segments::ReadPageReply> responder) override;
  void HandleLowWaterMark(const segments::LowWaterMarkRequest& request,
                          Responder<segments::LowWaterMarkReply> responder) override;
  Lsn scl() const override { return inner_->scl(); }
  void SetRecordFilter(RecordFilter keep, std::function<void(absl::Status)> done) override {
    inner_->SetRecordFilter(std::move(keep), std::move(done));
  }

  void HandleBumpEpoch(const BumpEpochRequest& request,
                       Responder<BumpEpochReply> responder) override;
  void HandleSegmentState(const SegmentStateRequest& request,
                          Responder<SegmentStateReply> responder) override;
  void HandleTruncate(const TruncateRequest& request, Responder<TruncateReply> responder) override;

  Epoch epoch() const override { return epoch_; }
  const TruncationSet& truncations() const override { return truncations_; }

  // Whether `record` survives `set` (not annulled, and not newer than it).
  static bool Survives(const aurora::RedoRecord& record, const TruncationSet& set);

 private:
  // TODO(lab3): your state. You will want the adopted epoch and the set in
  // force (kept durably in the replica's namespace, e.g. FenceFile), and a
  // way to persist them before answering. Keep the class name, the
  // declarations above and the factory in fenced_segment.cc.
  NodeContext& ctx_;
  SegmentOptions options_;
  std::unique_ptr<SegmentReplica> inner_;
  Epoch epoch_ = 0;
  TruncationSet truncations_;
};

}  // namespace auroralab::recovery

#endif  // AURORALAB_IMPL_RECOVERY_FENCED_SEGMENT_H_
