// Lab 2, Part A: the segment replica. YOUR CODE GOES HERE.
//
// Start() and ScheduleGossip() are complete; the other methods are stubs
// that answer "not implemented" (segment.h gives the contract of each), so
// the tests fail with a clear message instead of timing out.
#include "segments/segment.h"

#include <memory>
#include <utility>

namespace auroralab::segments {

std::unique_ptr<SegmentReplica> NewSegmentReplica(NodeContext& ctx, const SegmentOptions& options) {
  return std::make_unique<Segment>(ctx, options);
}

Segment::Segment(NodeContext& ctx, const SegmentOptions& options) : ctx_(ctx), options_(options) {}

void Segment::Start() {
  Recover();
  ScheduleGossip();
}

void Segment::ScheduleGossip() {
  ctx_.SetTimer(options_.gossip_interval, [this] {
    GossipOnce();
    ScheduleGossip();
  });
}

void Segment::Recover() {
  // TODO(lab2): see segment.h.
}

void Segment::GossipOnce() {
  // TODO(lab2): see segment.h.
}

Lsn Segment::scl() const {
  // TODO(lab2): see segment.h.
  return aurora::kNoLsn;
}

void Segment::HandleAppend(const AppendRequest& request, Responder<AppendReply> responder) {
  // TODO(lab2): see segment.h.
  (void)request;
  responder.Fail(absl::UnimplementedError("TODO(lab2): Segment::HandleAppend not implemented"));
}

void Segment::HandleGossip(const GossipRequest& request, Responder<GossipReply> responder) {
  // TODO(lab2): see segment.h.
  (void)request;
  responder.Fail(absl::UnimplementedError("TODO(lab2): Segment::HandleGossip not implemented"));
}

void Segment::HandleReadPage(const ReadPageRequest& request, Responder<ReadPageReply> responder) {
  // TODO(lab2): see segment.h.
  (void)request;
  responder.Fail(absl::UnimplementedError("TODO(lab2): Segment::HandleReadPage not implemented"));
}

void Segment::HandleLowWaterMark(const LowWaterMarkRequest& request,
                                 Responder<LowWaterMarkReply> responder) {
  // TODO(lab2): see segment.h.
  (void)request;
  responder.Fail(
      absl::UnimplementedError("TODO(lab2): Segment::HandleLowWaterMark not implemented"));
}

void Segment::SetRecordFilter(RecordFilter keep, std::function<void(absl::Status)> done) {
  // TODO(lab3): see segment.h.
  (void)keep;
  done(absl::UnimplementedError("TODO(lab3): Segment::SetRecordFilter not implemented"));
}

}  // namespace auroralab::segments
