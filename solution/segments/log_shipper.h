// Lab 2, Part B: the writer's log shipping and page reads. YOUR CODE GOES
// HERE (and in log_shipper.cc).
//
// The provided writer node (labs/segments/writer_node.h) builds one
// SegmentLogShipper and one SegmentPageReader and gives them to labs/aurora's
// Engine as its RedoLogSink and PageReader.
//
// SegmentLogShipper must guarantee:
//   - Append numbers each MTR in order (lsn, prev_lsn_in_pg, cpl; an
//     aurora::LsnAllocator does exactly that), sends every record to all six
//     segments of its PG, and returns the numbered records.
//   - Resend: a segment that has not acknowledged a record gets it again
//     (every resend_interval while its SCL does not move), until its
//     acknowledged SCL covers it. Messages are lost, duplicated, reordered.
//   - Track each segment's SCL from its replies (it only grows), and from
//     them PGCL (the 4th highest SCL of the six), VCL (with one PG, its
//     PGCL) and VDL (the highest CPL at or below VCL).
//   - Call the durable listener with the new VDL each time it advances, in
//     increasing order. Never with an LSN that is not a CPL: the engine
//     acknowledges commits and (in lab 3) recovery truncates at VDL.
//   - LSN allocation limit: refuse (Unavailable, allocating nothing) an MTR
//     whose last LSN would exceed VDL + lal. The engine offers it again.
//   - Lab 3: continue the log where options.start says: the first LSN, each
//     PG's backlink and the starting VDL; the allocation limit counts from
//     max(VDL, start.next_lsn - 1).
//
// SegmentPageReader must guarantee:
//   - ReadPage(page, read_point): ask ONE segment of the page's PG whose
//     known SCL (shipper.known_scl) reaches the read point; on an error or
//     after attempt_timeout, try another; give up with Unavailable after
//     read_deadline. Never return a page read at another read point.
//   - Lab 3: stamp options.volume_epoch on every ReadPageRequest.
#ifndef AURORALAB_IMPL_SEGMENTS_LOG_SHIPPER_H_
#define AURORALAB_IMPL_SEGMENTS_LOG_SHIPPER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "labs/aurora/engine.h"
#include "labs/aurora/lsn_allocator.h"
#include "labs/aurora/page.h"
#include "labs/aurora/redo.pb.h"
#include "labs/framework/node.h"
#include "labs/segments/segments.h"

namespace auroralab::segments {

class SegmentLogShipper : public LogShipper {
 public:
  SegmentLogShipper(NodeContext& ctx, const LogShipperOptions& options);

  // Numbers `mtr`, ships it, returns it numbered; Unavailable (nothing
  // allocated) if its last LSN would exceed max(vdl(), start.next_lsn - 1)
  // + lal.
  absl::StatusOr<std::vector<aurora::RedoRecord>> Append(
      std::vector<aurora::RedoRecord> mtr) override;
  void SetDurableListener(DurableListener listener) override { listener_ = std::move(listener); }

  Lsn pgcl(PgId pg) const override;
  Lsn vcl() const override;
  Lsn vdl() const override { return vdl_; }
  Lsn known_scl(PgId pg, int segment) const override;

 private:
  struct SegmentState {
    Lsn scl = aurora::kNoLsn;  // the highest acknowledged
    Time scl_moved_at = 0;     // when it last grew (or was last resent to)
  };
  struct PgState {
    std::vector<SegmentState> segments = std::vector<SegmentState>(kSegmentsPerPg);
    // Records not yet acknowledged by every segment, by LSN.
    std::map<Lsn, aurora::RedoRecord> unacked;
  };

  // Sends `records` (of `pg`) to segment `segment`.
  void Send(PgId pg, int segment, std::vector<aurora::RedoRecord> records);
  void OnAck(PgId pg, int segment, Lsn scl);
  // Recomputes VCL and VDL and tells the listener if VDL moved.
  void Recompute();
  void ScheduleResend();
  void Resend();

  NodeContext& ctx_;
  LogShipperOptions options_;
  aurora::LsnAllocator allocator_;
  DurableListener listener_;
  std::vector<PgState> pgs_;
  // CPLs allocated above vdl_.
  std::set<Lsn> cpls_;
  Lsn vdl_ = aurora::kNoLsn;
};

class SegmentPageReader : public aurora::PageReader {
 public:
  SegmentPageReader(NodeContext& ctx, const PageReaderOptions& options, const LogShipper& shipper);

  void ReadPage(PageId page, Lsn read_point, PageDone done) override;

 private:
  struct Read {
    PageId page = 0;
    Lsn read_point = aurora::kNoLsn;
    PgId pg = 0;
    Time deadline = 0;
    int attempt = 0;
    int first = 0;  // where this read's rotation over segments starts
    PageDone done;
  };
  // Tries the next segment in the read's order (known-complete first).
  void Attempt(std::shared_ptr<Read> read);

  NodeContext& ctx_;
  PageReaderOptions options_;
  const LogShipper& shipper_;
};

}  // namespace auroralab::segments

#endif  // AURORALAB_IMPL_SEGMENTS_LOG_SHIPPER_H_
