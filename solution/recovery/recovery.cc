// Lab 3, Part B: the new writer's recovery (reference). recovery.h has the
// contract; each step is a "round" of messages to the six segments, resent
// every retry_interval to those that have not answered, and a reply from an
// older round is ignored.
#include "recovery/recovery.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "recovery/fenced_segment.h"

namespace auroralab::recovery {

using aurora::RedoRecord;

namespace {
// How often a recovery that keeps seeing newer epochs starts over before it
// gives up (a racing writer won).
constexpr int kMaxRestarts = 3;
constexpr PgId kPg = 0;  // lab 3 recovers one PG

// `scl` counted only below any range of `set` it falls in.
Lsn Capped(Lsn scl, const TruncationSet& set) {
  for (bool moved = true; moved;) {
    moved = false;
    for (const TruncationRange& range : set.ranges()) {
      if (scl >= range.first() && scl <= range.last()) {
        scl = range.first() - 1;
        moved = true;
      }
    }
  }
  return scl;
}
}  // namespace

std::unique_ptr<Recovery> NewRecovery(NodeContext& ctx, const RecoveryOptions& options) {
  return std::make_unique<VolumeRecovery>(ctx, options);
}

VolumeRecovery::VolumeRecovery(NodeContext& ctx, const RecoveryOptions& options)
    : ctx_(ctx), options_(options) {}

void VolumeRecovery::Run(std::function<void(absl::StatusOr<RecoveredVolume>)> done) {
  done_ = std::move(done);
  Fence();
}

void VolumeRecovery::Broadcast(std::function<void(int segment)> send) {
  const uint64_t round = round_;
  if (!Current(round)) return;
  for (int s = 0; s < kSegmentsPerPg; ++s) {
    if (!answered_[s]) send(s);
  }
  ctx_.SetTimer(options_.retry_interval, [this, round, send = std::move(send)] {
    if (Current(round)) Broadcast(send);
  });
}

void VolumeRecovery::Fence() {
  ++round_;
  answered_.assign(kSegmentsPerPg, false);
  accepted_ = 0;
  refused_ = 0;
  epoch_ = NextEpoch(highest_seen_, ctx_.id());
  const uint64_t round = round_;
  Broadcast([this, round](int s) {
    BumpEpochRequest request;
    request.set_pg(kPg);
    request.set_segment(s);
    request.set_epoch(epoch_);
    ctx_.rpc().Call(options_.placement.pgs[kPg][s], kBumpEpoch, request,
                    4 * options_.retry_interval,
                    [this, round, s](absl::StatusOr<BumpEpochReply> reply) {
                      if (!Current(round) || !reply.ok() || answered_[s]) return;
                      answered_[s] = true;
                      if (reply->accepted() && reply->epoch() == epoch_) {
                        if (++accepted_ == kWriteQuorum) ReadStates();
                        return;
                      }
                      highest_seen_ = std::max(highest_seen_, reply->epoch());
                      // Four acceptances are out of reach: propose above it.
                      if (++refused_ > kSegmentsPerPg - kWriteQuorum) Fence();
                    });
  });
}

void VolumeRecovery::ReadStates() {
  ++round_;
  answered_.assign(kSegmentsPerPg, false);
  states_.clear();
  const uint64_t round = round_;
  Broadcast([this, round](int s) {
    SegmentStateRequest request;
    request.set_pg(kPg);
    request.set_segment(s);
    ctx_.rpc().Call(options_.placement.pgs[kPg][s], kSegmentState, request,
                    4 * options_.retry_interval,
                    [this, round, s](absl::StatusOr<SegmentStateReply> reply) {
                      if (!Current(round) || !reply.ok() || answered_[s]) return;
                      answered_[s] = true;
                      if (reply->epoch() > epoch_) return Outbid(reply->epoch());
                      states_[s] = *reply;
                      if (static_cast<int>(states_.size()) == kReadQuorum) Compute();
                    });
  });
}

void VolumeRecovery::Outbid(Epoch seen) {
  highest_seen_ = std::max(highest_seen_, seen);
  ++round_;  // this step is over
  if (finished_) return;  // already open: the newer writer fences this one
  if (++restarts_ > kMaxRestarts) {
    return Finish(absl::FailedPreconditionError(
        absl::StrCat("fenced: a newer writer holds epoch ", seen, " (ours: ", epoch_, ")")));
  }
  const Duration pause =
      options_.retry_interval * static_cast<Duration>(1 + ctx_.rng().Uniform(4));
  ctx_.SetTimer(pause, [this] { Fence(); });
}

void VolumeRecovery::Compute() {
  ++round_;
  in_force_ = TruncationSet();
  for (const auto& [s, state] : states_) {
    if (state.truncations().epoch() > in_force_.epoch()) in_force_ = state.truncations();
  }
  int source = -1;
  vcl_ = aurora::kNoLsn;
  for (const auto& [s, state] : states_) {
    const Lsn scl = Capped(state.scl(), in_force_);
    if (source < 0 || scl > vcl_) {
      vcl_ = scl;
      source = s;
    }
  }
  log_.clear();
  ReadLog(source, aurora::kNoLsn);
}

void VolumeRecovery::ReadLog(int source, Lsn after) {
  if (after >= vcl_) return Plan();
  const uint64_t round = round_;
  segments::GossipRequest request;
  request.set_pg(kPg);
  request.set_segment(source);
  request.set_from_segment(source);
  request.set_scl(after);
  request.set_max_records(options_.max_records_per_read);
  ctx_.rpc().Call(options_.placement.pgs[kPg][source], segments::kGossip, request,
                  4 * options_.retry_interval,
                  [this, round, source, after](absl::StatusOr<segments::GossipReply> reply) {
                    if (!Current(round)) return;
                    // The source is gone: start the reading over.
                    if (!reply.ok()) return ReadStates();
                    if (reply->records().empty()) return Plan();
                    Lsn last = after;
                    for (const RedoRecord& record : reply->records()) {
                      last = std::max<Lsn>(last, record.lsn());
                      if (record.lsn() <= vcl_ && FencedSegment::Survives(record, in_force_)) {
                        log_.push_back(record);
                      }
                    }
                    ReadLog(source, last);
                  });
}

void VolumeRecovery::Plan() {
  std::sort(log_.begin(), log_.end(),
            [](const RedoRecord& a, const RedoRecord& b) { return a.lsn() < b.lsn(); });
  // VDL: the last CPL at or below VCL. With nothing above the segment's GC
  // point, VCL itself (GC folds only at consistent points); with records
  // but no CPL among them, the record before the first.
  Lsn vdl = log_.empty() ? vcl_ : log_.front().prev_lsn_in_pg();
  for (const RedoRecord& record : log_) {
    if (record.cpl()) vdl = std::max<Lsn>(vdl, record.lsn());
  }
  // In doubt: a PUT at or below VDL and no COMMIT or ABORT there.
  struct Txn {
    std::vector<const RedoRecord*> puts;
    bool finished = false;
  };
  std::map<TxnId, Txn> txns;
  for (const RedoRecord& record : log_) {
    if (record.lsn() > vdl) break;
    Txn& txn = txns[record.txn()];
    if (record.kind() == aurora::PUT) txn.puts.push_back(&record);
    if (record.kind() == aurora::COMMIT || record.kind() == aurora::ABORT) txn.finished = true;
  }
  volume_ = RecoveredVolume();
  for (const auto& [id, txn] : txns) {
    if (txn.finished || txn.puts.empty()) continue;
    std::vector<aurora::Change>& undo = volume_.undo[id];
    for (auto it = txn.puts.rbegin(); it != txn.puts.rend(); ++it) {
      const aurora::Change& done = (*it)->change();
      aurora::Change change;
      change.set_key(done.key());
      change.set_old_present(done.new_present());
      change.set_old_value(done.new_value());
      change.set_new_present(done.old_present());
      change.set_new_value(done.old_value());
      undo.push_back(std::move(change));
    }
  }
  // The new range covers whatever the old writer may have allocated: it
  // never went past max(its VDL, the end of the range it started after) +
  // lal, and its VDL was at most ours.
  Lsn top = vdl;
  for (const TruncationRange& range : in_force_.ranges()) top = std::max<Lsn>(top, range.last());
  TruncationSet set = in_force_;
  set.set_epoch(epoch_);
  TruncationRange* mine = set.add_ranges();
  mine->set_first(vdl + 1);
  mine->set_last(top + options_.lal);
  mine->set_epoch(epoch_);
  volume_.epoch = epoch_;
  volume_.vcl = vcl_;
  volume_.vdl = vdl;
  volume_.truncations = set;
  volume_.start.next_lsn = mine->last() + 1;
  if (vdl != aurora::kNoLsn) volume_.start.last_lsn_in_pg[kPg] = vdl;
  volume_.start.durable_lsn = vdl;
  Truncate();
}

void VolumeRecovery::Truncate() {
  ++round_;
  answered_.assign(kSegmentsPerPg, false);
  accepted_ = 0;
  const uint64_t round = round_;
  Broadcast([this, round](int s) {
    TruncateRequest request;
    request.set_pg(kPg);
    request.set_segment(s);
    *request.mutable_truncations() = volume_.truncations;
    ctx_.rpc().Call(options_.placement.pgs[kPg][s], kTruncate, request,
                    4 * options_.retry_interval,
                    [this, round, s](absl::StatusOr<TruncateReply> reply) {
                      if (!Current(round) || !reply.ok() || answered_[s]) return;
                      answered_[s] = true;
                      if (!reply->accepted()) return Outbid(reply->epoch());
                      if (++accepted_ == kWriteQuorum) Finish(volume_);
                    });
  });
}

void VolumeRecovery::Finish(absl::StatusOr<RecoveredVolume> result) {
  if (finished_) return;
  finished_ = true;
  done_(std::move(result));
}

}  // namespace auroralab::recovery
