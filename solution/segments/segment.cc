// Lab 2, Part A: the segment replica (reference). segment.h has the contract.
//
// On disk, in the replica's namespace (SegmentFilePrefix):
//   "log":  framed serialized RedoRecords above the folded point, in the
//           order they arrived;
//   "base": written by GC only: a framed decimal folded LSN, then one framed
//           serialized PageImage per page folded so far.
// Records become durable when a sync issued after their write completes;
// only durable records count for the SCL, gossip and reads.
#include "segments/segment.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "labs/framework/record_log.h"

namespace auroralab::segments {

using aurora::RedoRecord;

std::unique_ptr<SegmentReplica> NewSegmentReplica(NodeContext& ctx, const SegmentOptions& options) {
  return std::make_unique<Segment>(ctx, options);
}

Segment::Segment(NodeContext& ctx, const SegmentOptions& options)
    : ctx_(ctx), options_(options), prefix_(SegmentFilePrefix(options.pg, options.index)) {}

void Segment::Start() {
  Recover();
  ScheduleGossip();
}

void Segment::Recover() {
  const RecordScan base = ReadRecords(ctx_.disk(), BaseFile());
  if (!base.records.empty()) {
    uint64_t folded = 0;
    if (absl::SimpleAtoi(base.records[0], &folded)) folded_ = folded;
    for (size_t i = 1; i < base.records.size(); ++i) {
      aurora::PageImage image;
      if (image.ParseFromString(base.records[i])) base_pages_[image.page()] = image;
    }
  }
  scl_ = folded_;
  const RecordScan log = ReadRecords(ctx_.disk(), LogFile());
  if (log.torn_tail) (void)TrimTornTail(ctx_.disk(), LogFile(), log);
  for (const std::string& payload : log.records) {
    RedoRecord record;
    if (!record.ParseFromString(payload) || record.lsn() <= folded_) continue;
    if (records_.contains(record.lsn())) continue;
    const Lsn lsn = record.lsn();
    page_lsns_[record.page()].insert(lsn);
    pending_[next_write_seq_++] = lsn;
    records_[lsn] = Stored{std::move(record), false};
  }
  // What the log holds may include an unsynced tail that survived the
  // crash: durable only once this sync completes.
  SyncThen([](absl::Status) {});
}

absl::Status Segment::Store(const std::vector<RedoRecord>& records) {
  for (const RedoRecord& record : records) {
    if (record.lsn() == aurora::kNoLsn || record.pg() != options_.pg) {
      return absl::InvalidArgumentError(absl::StrCat("record ", record.lsn(), " of PG ",
                                                     record.pg(), " sent to a segment of PG ",
                                                     options_.pg));
    }
    if (record.lsn() <= folded_ || records_.contains(record.lsn())) continue;  // never overwrite
    if (keep_ && !keep_(record)) continue;  // annulled by a truncation (lab 3)
    if (absl::Status written = AppendRecord(ctx_.disk(), LogFile(), record.SerializeAsString());
        !written.ok()) {
      return absl::UnavailableError(absl::StrCat("disk write failed: ", written.message()));
    }
    page_lsns_[record.page()].insert(record.lsn());
    pending_[next_write_seq_++] = record.lsn();
    records_[record.lsn()] = Stored{record, false};
  }
  return absl::OkStatus();
}

void Segment::SyncThen(std::function<void(absl::Status)> done) {
  const uint64_t covered = next_write_seq_;  // writes with a smaller sequence
  ctx_.disk().Sync([this, covered, done = std::move(done)](absl::Status status) {
    if (!status.ok())
      return done(absl::UnavailableError(absl::StrCat("sync failed: ", status.message())));
    while (!pending_.empty() && pending_.begin()->first < covered) {
      const Lsn lsn = pending_.begin()->second;
      pending_.erase(pending_.begin());
      auto it = records_.find(lsn);
      if (it == records_.end() || it->second.durable) continue;
      it->second.durable = true;
      next_by_prev_[it->second.record.prev_lsn_in_pg()] = lsn;
    }
    AdvanceScl();
    done(absl::OkStatus());
  });
}

void Segment::AdvanceScl() {
  for (auto next = next_by_prev_.find(scl_); next != next_by_prev_.end();
       next = next_by_prev_.find(scl_)) {
    scl_ = next->second;
  }
}

void Segment::HandleAppend(const AppendRequest& request, Responder<AppendReply> responder) {
  const std::vector<RedoRecord> records(request.records().begin(), request.records().end());
  if (absl::Status stored = Store(records); !stored.ok()) return responder.Fail(stored);
  SyncThen([this, responder = std::move(responder)](absl::Status synced) {
    if (!synced.ok()) return responder.Fail(synced);
    AppendReply reply;
    reply.set_scl(scl_);
    responder.Reply(reply);
  });
}

void Segment::HandleGossip(const GossipRequest& request, Responder<GossipReply> responder) {
  const std::set<Lsn> held(request.held_above_scl().begin(), request.held_above_scl().end());
  GossipReply reply;
  reply.set_scl(scl_);
  const size_t limit = request.max_records() == 0 ? SIZE_MAX : request.max_records();
  for (auto it = records_.upper_bound(request.scl()); it != records_.end(); ++it) {
    if (static_cast<size_t>(reply.records_size()) >= limit) break;
    if (!it->second.durable || held.contains(it->first)) continue;
    *reply.add_records() = it->second.record;
  }
  responder.Reply(reply);
}

void Segment::ScheduleGossip() {
  ctx_.SetTimer(options_.gossip_interval, [this] {
    GossipOnce();
    ScheduleGossip();
  });
}

void Segment::GossipOnce() {
  if (gossip_in_flight_) return;
  // A random peer other than this segment.
  const int pick = static_cast<int>(ctx_.rng().Uniform(kSegmentsPerPg - 1));
  const int peer = pick >= options_.index ? pick + 1 : pick;
  GossipRequest request;
  request.set_pg(options_.pg);
  request.set_segment(peer);
  request.set_from_segment(options_.index);
  request.set_scl(scl_);
  request.set_max_records(options_.max_records_per_gossip);
  for (auto it = records_.upper_bound(scl_); it != records_.end(); ++it) {
    request.add_held_above_scl(it->first);  // pending ones too: they are on their way
  }
  gossip_in_flight_ = true;
  ctx_.rpc().Call(options_.peers[peer], kGossip, request, options_.gossip_timeout,
                  [this](absl::StatusOr<GossipReply> reply) {
                    gossip_in_flight_ = false;
                    if (!reply.ok() || reply->records().empty()) return;
                    const std::vector<RedoRecord> records(reply->records().begin(),
                                                          reply->records().end());
                    if (!Store(records).ok()) return;
                    SyncThen([](absl::Status) {});
                  });
}

void Segment::HandleReadPage(const ReadPageRequest& request, Responder<ReadPageReply> responder) {
  const Lsn read_point = request.read_point();
  if (read_point > scl_) {
    return responder.Fail(absl::UnavailableError(absl::StrCat(
        "segment ", options_.index, " is behind: SCL ", scl_, " < read point ", read_point)));
  }
  if (read_point < folded_) {
    return responder.Fail(absl::OutOfRangeError(
        absl::StrCat("read point ", read_point, " is below the GC low-water mark ", folded_)));
  }
  auto base = base_pages_.find(request.page());
  aurora::PageImage page =
      base != base_pages_.end() ? base->second : aurora::EmptyPage(request.page());
  auto lsns = page_lsns_.find(request.page());
  if (lsns != page_lsns_.end()) {
    for (Lsn lsn : lsns->second) {
      if (lsn > read_point) break;
      absl::StatusOr<aurora::PageImage> applied =
          aurora::ApplyRecord(page, records_.at(lsn).record);
      if (!applied.ok()) return responder.Fail(applied.status());
      page = *std::move(applied);
    }
  }
  ReadPageReply reply;
  *reply.mutable_page() = std::move(page);
  reply.set_scl(scl_);
  responder.Reply(reply);
}

absl::Status Segment::RewriteFiles() {
  std::string base = FrameRecord(absl::StrCat(folded_));
  for (const auto& [page, image] : base_pages_) base += FrameRecord(image.SerializeAsString());
  if (absl::Status s = ctx_.disk().Write(BaseFile(), base); !s.ok()) return s;
  std::string log;
  for (const auto& [lsn, stored] : records_) log += FrameRecord(stored.record.SerializeAsString());
  return ctx_.disk().Write(LogFile(), log);
}

void Segment::HandleLowWaterMark(const LowWaterMarkRequest& request,
                                 Responder<LowWaterMarkReply> responder) {
  // Never past a hole: a record that arrives later must still be applied in
  // LSN order.
  const Lsn target = std::min<Lsn>(request.low_water_mark(), scl_);
  auto reply_now = [this, responder](absl::Status status) {
    if (!status.ok()) return responder.Fail(status);
    LowWaterMarkReply reply;
    reply.set_scl(scl_);
    reply.set_folded_up_to(folded_);
    responder.Reply(reply);
  };
  if (target <= folded_) return reply_now(absl::OkStatus());
  while (!records_.empty() && records_.begin()->first <= target) {
    const RedoRecord& record = records_.begin()->second.record;
    auto [it, inserted] = base_pages_.try_emplace(record.page(), aurora::EmptyPage(record.page()));
    absl::StatusOr<aurora::PageImage> applied = aurora::ApplyRecord(it->second, record);
    if (applied.ok()) it->second = *std::move(applied);
    page_lsns_[record.page()].erase(record.lsn());
    next_by_prev_.erase(record.prev_lsn_in_pg());
    records_.erase(records_.begin());
  }
  folded_ = target;
  if (absl::Status rewritten = RewriteFiles(); !rewritten.ok()) {
    return reply_now(absl::UnavailableError(rewritten.message()));
  }
  SyncThen(reply_now);
}

void Segment::SetRecordFilter(RecordFilter keep, std::function<void(absl::Status)> done) {
  keep_ = std::move(keep);
  for (auto it = records_.begin(); it != records_.end();) {
    if (keep_(it->second.record)) {
      ++it;
      continue;
    }
    page_lsns_[it->second.record.page()].erase(it->first);
    it = records_.erase(it);  // a pending_ entry for it is skipped at its sync
  }
  // The backlinks and the SCL from what is left: the SCL may go down.
  next_by_prev_.clear();
  for (const auto& [lsn, stored] : records_) {
    if (stored.durable) next_by_prev_[stored.record.prev_lsn_in_pg()] = lsn;
  }
  scl_ = folded_;
  AdvanceScl();
  if (absl::Status rewritten = RewriteFiles(); !rewritten.ok()) {
    return done(absl::UnavailableError(rewritten.message()));
  }
  SyncThen(std::move(done));
}

}  // namespace auroralab::segments
