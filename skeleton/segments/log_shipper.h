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
//   - TODO(lab3): continue the log where options.start says: the first
//     LSN, each PG's backlink and the starting VDL; the allocation limit
//     counts from max(VDL, start.next_lsn - 1). (aurora::LsnAllocator's
//     constructor takes the first two; a new volume's start is LSN 1.)
//
// SegmentPageReader must guarantee:
//   - ReadPage(page, read_point): ask ONE segment of the page's PG whose
//     known SCL (shipper.known_scl) reaches the read point; on an error or
//     after attempt_timeout, try another; give up with Unavailable after
//     read_deadline. Never return a page read at another read point.
//   - TODO(lab3): stamp options.volume_epoch on every ReadPageRequest.
//
// Keep the class names, these declarations and the factories in
// log_shipper.cc; add whatever members you need.
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
  // TODO(lab2): start whatever timers you need (resends).
  SegmentLogShipper(NodeContext& ctx, const LogShipperOptions& options);

  // TODO(lab2): refuse (Unavailable) if the MTR's last LSN would exceed
  // vdl() + lal; else number it, send it to all six segments, return it.
  absl::StatusOr<std::vector<aurora::RedoRecord>> Append(
      std::vector<aurora::RedoRecord> mtr) override;
  // Call `listener_` with each new VDL. Written for you.
  void SetDurableListener(DurableListener listener) override { listener_ = std::move(listener); }

  // TODO(lab2): see segments.h and the top of this file.
  Lsn pgcl(PgId pg) const override;
  Lsn vcl() const override;
  Lsn vdl() const override;
  Lsn known_scl(PgId pg, int segment) const override;

 private:
  NodeContext& ctx_;
  LogShipperOptions options_;
  DurableListener listener_;
  // TODO(lab2): your state (ordered containers only).
};

class SegmentPageReader : public aurora::PageReader {
 public:
  SegmentPageReader(NodeContext& ctx, const PageReaderOptions& options, const LogShipper& shipper);

  // TODO(lab2): see the top of this file. `done` runs exactly once.
  void ReadPage(PageId page, Lsn read_point, PageDone done) override;

 private:
  NodeContext& ctx_;
  PageReaderOptions options_;
  const LogShipper& shipper_;
};

}  // namespace auroralab::segments

#endif  // AURORALAB_IMPL_SEGMENTS_LOG_SHIPPER_H_
