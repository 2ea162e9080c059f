// Lab 2, Part B: the writer's log shipping and page reads (reference).
// log_shipper.h has the contract.
#include "segments/log_shipper.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace auroralab::segments {

using aurora::RedoRecord;

namespace {
// At most this many records in one resend.
constexpr size_t kMaxResendBatch = 256;
// A late acknowledgement still tells the SCL, so calls wait long (a slow
// segment answers long after the next resend went out).
constexpr Duration kAppendTimeout = Seconds(2);
}  // namespace

std::unique_ptr<LogShipper> NewLogShipper(NodeContext& ctx, const LogShipperOptions& options) {
  return std::make_unique<SegmentLogShipper>(ctx, options);
}

std::unique_ptr<aurora::PageReader> NewPageReader(NodeContext& ctx,
                                                  const PageReaderOptions& options,
                                                  const LogShipper& shipper) {
  return std::make_unique<SegmentPageReader>(ctx, options, shipper);
}

SegmentLogShipper::SegmentLogShipper(NodeContext& ctx, const LogShipperOptions& options)
    : ctx_(ctx),
      options_(options),
      allocator_(options.start.next_lsn, options.start.last_lsn_in_pg),
      pgs_(options.placement.pgs.size()),
      vdl_(options.start.durable_lsn) {
  ScheduleResend();
}

absl::StatusOr<std::vector<RedoRecord>> SegmentLogShipper::Append(std::vector<RedoRecord> mtr) {
  if (mtr.empty()) return absl::InvalidArgumentError("an empty MTR");
  const Lsn last = allocator_.next_lsn() + mtr.size() - 1;
  // The truncated range below start.next_lsn counts as settled (lab 3).
  const Lsn base = std::max<Lsn>(vdl_, options_.start.next_lsn - 1);
  if (last > base + options_.lal) {
    return absl::UnavailableError(
        absl::StrCat("LSN allocation limit: ", last, " > ", base, " + LAL ", options_.lal));
  }
  for (const RedoRecord& record : mtr) {
    if (record.pg() >= pgs_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("record for unknown PG ", record.pg()));
    }
  }
  allocator_.Number(mtr);
  cpls_.insert(mtr.back().lsn());
  // One message per segment and PG touched.
  std::map<PgId, std::vector<RedoRecord>> by_pg;
  for (const RedoRecord& record : mtr) {
    pgs_[record.pg()].unacked[record.lsn()] = record;
    by_pg[record.pg()].push_back(record);
  }
  for (const auto& [pg, records] : by_pg) {
    for (int s = 0; s < kSegmentsPerPg; ++s) Send(pg, s, records);
  }
  return mtr;
}

void SegmentLogShipper::Send(PgId pg, int segment, std::vector<RedoRecord> records) {
  AppendRequest request;
  request.set_pg(pg);
  request.set_segment(segment);
  for (RedoRecord& record : records) *request.add_records() = std::move(record);
  ctx_.rpc().Call(options_.placement.pgs[pg][segment], kAppend, request, kAppendTimeout,
                  [this, pg, segment](absl::StatusOr<AppendReply> reply) {
                    if (reply.ok()) OnAck(pg, segment, reply->scl());
                  });
}

void SegmentLogShipper::OnAck(PgId pg, int segment, Lsn scl) {
  SegmentState& state = pgs_[pg].segments[segment];
  if (scl <= state.scl) return;
  state.scl = scl;
  state.scl_moved_at = ctx_.Now();
  // Records every segment holds need no more resending.
  Lsn lowest = state.scl;
  for (const SegmentState& s : pgs_[pg].segments) lowest = std::min(lowest, s.scl);
  auto& unacked = pgs_[pg].unacked;
  unacked.erase(unacked.begin(), unacked.upper_bound(lowest));
  Recompute();
}

Lsn SegmentLogShipper::known_scl(PgId pg, int segment) const {
  if (pg >= pgs_.size() || segment < 0 || segment >= kSegmentsPerPg) return aurora::kNoLsn;
  return pgs_[pg].segments[segment].scl;
}

Lsn SegmentLogShipper::pgcl(PgId pg) const {
  if (pg >= pgs_.size()) return aurora::kNoLsn;
  std::vector<Lsn> scls;
  for (const SegmentState& s : pgs_[pg].segments) scls.push_back(s.scl);
  std::sort(scls.begin(), scls.end(), std::greater<Lsn>());
  return scls[kWriteQuorum - 1];  // at least 4 segments hold everything up to it
}

Lsn SegmentLogShipper::vcl() const {
  // Everything below the first record of any PG that its quorum does not
  // hold yet is complete. With one PG that is its PGCL (the records of a PG
  // past its PGCL are all still unacknowledged, so they are in `unacked`).
  Lsn vcl = allocator_.next_lsn() - 1;
  for (PgId pg = 0; pg < pgs_.size(); ++pg) {
    auto first_missing = pgs_[pg].unacked.upper_bound(pgcl(pg));
    if (first_missing != pgs_[pg].unacked.end()) vcl = std::min(vcl, first_missing->first - 1);
  }
  return vcl;
}

void SegmentLogShipper::Recompute() {
  const Lsn complete = vcl();
  auto above = cpls_.upper_bound(complete);
  if (above == cpls_.begin()) return;  // no CPL at or below VCL yet
  const Lsn vdl = *std::prev(above);
  cpls_.erase(cpls_.begin(), above);
  if (vdl <= vdl_) return;
  vdl_ = vdl;
  if (listener_) listener_(vdl_);
}

void SegmentLogShipper::ScheduleResend() {
  ctx_.SetTimer(options_.resend_interval, [this] {
    Resend();
    ScheduleResend();
  });
}

void SegmentLogShipper::Resend() {
  const Time now = ctx_.Now();
  for (PgId pg = 0; pg < pgs_.size(); ++pg) {
    for (int s = 0; s < kSegmentsPerPg; ++s) {
      SegmentState& state = pgs_[pg].segments[s];
      if (now - state.scl_moved_at < options_.resend_interval) continue;
      std::vector<RedoRecord> missing;
      for (auto it = pgs_[pg].unacked.upper_bound(state.scl);
           it != pgs_[pg].unacked.end() && missing.size() < kMaxResendBatch; ++it) {
        missing.push_back(it->second);
      }
      if (missing.empty()) continue;
      state.scl_moved_at = now;  // wait another interval before the next resend
      Send(pg, s, std::move(missing));
    }
  }
}

SegmentPageReader::SegmentPageReader(NodeContext& ctx, const PageReaderOptions& options,
                                     const LogShipper& shipper)
    : ctx_(ctx), options_(options), shipper_(shipper) {}

void SegmentPageReader::ReadPage(PageId page, Lsn read_point, PageDone done) {
  auto read = std::make_shared<Read>();
  read->page = page;
  read->read_point = read_point;
  read->pg = static_cast<PgId>(page % options_.placement.pgs.size());
  read->deadline = ctx_.Now() + options_.read_deadline;
  read->first = static_cast<int>(ctx_.rng().Uniform(kSegmentsPerPg));
  read->done = std::move(done);
  Attempt(std::move(read));
}

void SegmentPageReader::Attempt(std::shared_ptr<Read> read) {
  const Time now = ctx_.Now();
  if (now >= read->deadline) {
    return read->done(absl::UnavailableError(
        absl::StrCat("no segment answered a read of page ", read->page, " at ", read->read_point)));
  }
  // The order of this round: segments known to be complete up to the read
  // point first (one of them answers without a retry), then the others (an
  // SCL may have grown through gossip since they last acknowledged).
  std::vector<int> order;
  for (int pass = 0; pass < 2; ++pass) {
    for (int k = 0; k < kSegmentsPerPg; ++k) {
      const int s = (read->first + k) % kSegmentsPerPg;
      const bool complete = shipper_.known_scl(read->pg, s) >= read->read_point;
      if (complete == (pass == 0)) order.push_back(s);
    }
  }
  const int round_position = read->attempt % kSegmentsPerPg;
  const int segment = order[round_position];
  ++read->attempt;
  // After a whole round of refusals, pause before the next round.
  const Duration pause = (round_position == 0 && read->attempt > 1) ? Millis(1) : 0;
  auto send = [this, read, segment] {
    ReadPageRequest request;
    request.set_pg(read->pg);
    request.set_segment(segment);
    request.set_page(read->page);
    request.set_read_point(read->read_point);
    request.set_volume_epoch(options_.volume_epoch);
    const Duration timeout = std::min<Duration>(options_.attempt_timeout,
                                                std::max<Duration>(read->deadline - ctx_.Now(), 1));
    ctx_.rpc().Call(options_.placement.pgs[read->pg][segment], kReadPage, request, timeout,
                    [this, read](absl::StatusOr<ReadPageReply> reply) {
                      if (reply.ok() && reply->page().page() == read->page) {
                        return read->done(reply->page());
                      }
                      Attempt(read);
                    });
  };
  if (pause == 0) {
    send();
  } else {
    ctx_.SetTimer(pause, send);
  }
}

}  // namespace auroralab::segments
