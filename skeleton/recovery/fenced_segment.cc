// Lab 3, Part A: the fenced segment. YOUR CODE GOES HERE.
//
// Every lab 3 method is a stub that answers "not implemented"
// (fenced_segment.h gives the contract of each), so the tests fail with a
// clear message instead of timing out. Lab 2's methods are passed to the
// inner segment unchanged: that part is yours to guard (Append must check
// the epoch).
#include "recovery/fenced_segment.h"

#include <memory>
#include <utility>

namespace auroralab::recovery {

std::unique_ptr<FencedReplica> NewFencedReplica(NodeContext& ctx, const SegmentOptions& options,
                                                std::unique_ptr<SegmentReplica> inner) {
  return std::make_unique<FencedSegment>(ctx, options, std::move(inner));
}

FencedSegment::FencedSegment(NodeContext& ctx, const SegmentOptions& options,
                             std::unique_ptr<SegmentReplica> inner)
    : ctx_(ctx), options_(options), inner_(std::move(inner)) {}

bool FencedSegment::Survives(const aurora::RedoRecord& record, const TruncationSet& set) {
  // TODO(lab3): see fenced_segment.h.
  (void)record;
  (void)set;
  return true;
}

void FencedSegment::Start() {
  // TODO(lab3): restore the epoch and the set from the disk first, and
  // install the filter on the inner segment after starting it.
  inner_->Start();
}

void FencedSegment::HandleAppend(const segments::AppendRequest& request,
                                 Responder<segments::AppendReply> responder) {
  // TODO(lab3): refuse records of an older epoch, and of an epoch whose
  // truncation set has not arrived.
  inner_->HandleAppend(request, std::move(responder));
}

void FencedSegment::HandleGossip(const segments::GossipRequest& request,
                                 Responder<segments::GossipReply> responder) {
  inner_->HandleGossip(request, std::move(responder));
}

void FencedSegment::HandleReadPage(const segments::ReadPageRequest& request,
                                   Responder<segments::ReadPageReply> responder) {
  // TODO(lab3): refuse reads of an older epoch.
  inner_->HandleReadPage(request, std::move(responder));
}

void FencedSegment::HandleLowWaterMark(const segments::LowWaterMarkRequest& request,
                                       Responder<segments::LowWaterMarkReply> responder) {
  inner_->HandleLowWaterMark(request, std::move(responder));
}

void FencedSegment::HandleBumpEpoch(const BumpEpochRequest& request,
                                    Responder<BumpEpochReply> responder) {
  // TODO(lab3): see fenced_segment.h.
  (void)request;
  responder.Fail(
      absl::UnimplementedError("TODO(lab3): FencedSegment::HandleBumpEpoch not implemented"));
}

void FencedSegment::HandleSegmentState(const SegmentStateRequest& request,
                                       Responder<SegmentStateReply> responder) {
  // TODO(lab3): see fenced_segment.h.
  (void)request;
  responder.Fail(
      absl::UnimplementedError("TODO(lab3): FencedSegment::HandleSegmentState not implemented"));
}

void FencedSegment::HandleTruncate(const TruncateRequest& request,
                                   Responder<TruncateReply> responder) {
  // TODO(lab3): see fenced_segment.h.
  (void)request;
  responder.Fail(
      absl::UnimplementedError("TODO(lab3): FencedSegment::HandleTruncate not implemented"));
}

}  // namespace auroralab::recovery
