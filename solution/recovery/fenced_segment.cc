// Lab 3, Part A: the fenced segment (reference). fenced_segment.h has the
// contract.
//
// On disk: FenceFile(pg, index) holds framed serialized FenceState
// messages, one appended per change; the last whole one is current (a torn
// tail is the change whose sync never completed).
#include "recovery/fenced_segment.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/record_log.h"

namespace auroralab::recovery {

using aurora::RedoRecord;

std::unique_ptr<FencedReplica> NewFencedReplica(NodeContext& ctx, const SegmentOptions& options,
                                                std::unique_ptr<SegmentReplica> inner) {
  return std::make_unique<FencedSegment>(ctx, options, std::move(inner));
}

FencedSegment::FencedSegment(NodeContext& ctx, const SegmentOptions& options,
                             std::unique_ptr<SegmentReplica> inner)
    : ctx_(ctx), options_(options), inner_(std::move(inner)) {}

bool FencedSegment::Survives(const RedoRecord& record, const TruncationSet& set) {
  if (record.volume_epoch() > set.epoch()) return false;  // its writer's set is not here yet
  for (const TruncationRange& range : set.ranges()) {
    if (record.lsn() >= range.first() && record.lsn() <= range.last() &&
        record.volume_epoch() < range.epoch()) {
      return false;  // annulled
    }
  }
  return true;
}

void FencedSegment::Start() {
  const std::string file = FenceFile(options_.pg, options_.index);
  const RecordScan scan = ReadRecords(ctx_.disk(), file);
  if (scan.torn_tail) (void)TrimTornTail(ctx_.disk(), file, scan);
  for (auto it = scan.records.rbegin(); it != scan.records.rend(); ++it) {
    FenceState state;
    if (!state.ParseFromString(*it)) continue;
    epoch_ = state.epoch();
    truncations_ = state.truncations();
    break;
  }
  inner_->Start();
  ApplyFilter([](absl::Status) {});
}

void FencedSegment::ApplyFilter(std::function<void(absl::Status)> done) {
  inner_->SetRecordFilter(
      [this](const RedoRecord& record) { return Survives(record, truncations_); },
      std::move(done));
}

void FencedSegment::Persist(std::function<void(absl::Status)> done) {
  FenceState state;
  state.set_epoch(epoch_);
  *state.mutable_truncations() = truncations_;
  if (absl::Status written = AppendRecord(ctx_.disk(), FenceFile(options_.pg, options_.index),
                                          state.SerializeAsString());
      !written.ok()) {
    return done(absl::UnavailableError(absl::StrCat("fence file: ", written.message())));
  }
  ctx_.disk().Sync([done = std::move(done)](absl::Status synced) {
    done(synced.ok() ? synced : absl::UnavailableError(absl::StrCat("sync: ", synced.message())));
  });
}

void FencedSegment::HandleAppend(const segments::AppendRequest& request,
                                 Responder<segments::AppendReply> responder) {
  for (const RedoRecord& record : request.records()) {
    if (record.volume_epoch() < epoch_) {
      return responder.Fail(absl::FailedPreconditionError(
          absl::StrCat("fenced: record ", record.lsn(), " has epoch ", record.volume_epoch(),
                       ", this segment has adopted ", epoch_)));
    }
    if (record.volume_epoch() > truncations_.epoch()) {
      return responder.Fail(absl::UnavailableError(
          absl::StrCat("record ", record.lsn(), " has epoch ", record.volume_epoch(),
                       ", whose truncation set has not reached this segment yet")));
    }
  }
  inner_->HandleAppend(request, std::move(responder));
}

void FencedSegment::HandleGossip(const segments::GossipRequest& request,
                                 Responder<segments::GossipReply> responder) {
  inner_->HandleGossip(request, std::move(responder));
}

void FencedSegment::HandleReadPage(const segments::ReadPageRequest& request,
                                   Responder<segments::ReadPageReply> responder) {
  if (request.volume_epoch() < epoch_) {
    return responder.Fail(absl::FailedPreconditionError(
        absl::StrCat("fenced: a read of epoch ", request.volume_epoch(),
                     ", this segment has adopted ", epoch_)));
  }
  inner_->HandleReadPage(request, std::move(responder));
}

void FencedSegment::HandleLowWaterMark(const segments::LowWaterMarkRequest& request,
                                       Responder<segments::LowWaterMarkReply> responder) {
  inner_->HandleLowWaterMark(request, std::move(responder));
}

void FencedSegment::HandleBumpEpoch(const BumpEpochRequest& request,
                                    Responder<BumpEpochReply> responder) {
  if (request.epoch() < epoch_) {
    BumpEpochReply reply;
    reply.set_accepted(false);
    reply.set_epoch(epoch_);
    return responder.Reply(reply);
  }
  epoch_ = request.epoch();
  // Equal epochs are persisted again: the first adoption's sync may not
  // have completed yet, and the reply promises durability.
  Persist([this, epoch = request.epoch(), responder](absl::Status synced) {
    if (!synced.ok()) return responder.Fail(synced);
    BumpEpochReply reply;
    reply.set_accepted(epoch == epoch_);
    reply.set_epoch(epoch_);
    responder.Reply(reply);
  });
}

void FencedSegment::HandleSegmentState(const SegmentStateRequest& request,
                                       Responder<SegmentStateReply> responder) {
  (void)request;
  SegmentStateReply reply;
  reply.set_epoch(epoch_);
  *reply.mutable_truncations() = truncations_;
  reply.set_scl(inner_->scl());
  responder.Reply(reply);
}

void FencedSegment::HandleTruncate(const TruncateRequest& request,
                                   Responder<TruncateReply> responder) {
  const TruncationSet& set = request.truncations();
  if (set.epoch() < epoch_) {
    TruncateReply reply;
    reply.set_accepted(false);
    reply.set_epoch(epoch_);
    return responder.Reply(reply);
  }
  epoch_ = set.epoch();
  if (set.epoch() > truncations_.epoch()) truncations_ = set;  // a newer view wins, whole
  Persist([this, set_epoch = set.epoch(), responder](absl::Status synced) {
    if (!synced.ok()) return responder.Fail(synced);
    ApplyFilter([this, set_epoch, responder](absl::Status applied) {
      if (!applied.ok()) return responder.Fail(applied);
      TruncateReply reply;
      reply.set_accepted(truncations_.epoch() == set_epoch);
      reply.set_epoch(epoch_);
      responder.Reply(reply);
    });
  });
}

}  // namespace auroralab::recovery
