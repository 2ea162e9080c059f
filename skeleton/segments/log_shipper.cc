// Lab 2, Part B: the writer's log shipping and page reads. YOUR CODE GOES
// HERE.
//
// Every method is a stub (log_shipper.h gives the contract of each):
// Append and ReadPage answer "not implemented", so the tests fail with a
// clear message instead of timing out.
#include "segments/log_shipper.h"

#include <memory>
#include <utility>

namespace auroralab::segments {

std::unique_ptr<LogShipper> NewLogShipper(NodeContext& ctx, const LogShipperOptions& options) {
  return std::make_unique<SegmentLogShipper>(ctx, options);
}

std::unique_ptr<aurora::PageReader> NewPageReader(NodeContext& ctx,
                                                  const PageReaderOptions& options,
                                                  const LogShipper& shipper) {
  return std::make_unique<SegmentPageReader>(ctx, options, shipper);
}

SegmentLogShipper::SegmentLogShipper(NodeContext& ctx, const LogShipperOptions& options)
    : ctx_(ctx), options_(options) {}

absl::StatusOr<std::vector<aurora::RedoRecord>> SegmentLogShipper::Append(
    std::vector<aurora::RedoRecord> mtr) {
  // TODO(lab2): see log_shipper.h.
  (void)mtr;
  return absl::UnimplementedError("TODO(lab2): SegmentLogShipper::Append not implemented");
}

Lsn SegmentLogShipper::pgcl(PgId pg) const {
  // TODO(lab2): see log_shipper.h.
  (void)pg;
  return aurora::kNoLsn;
}

Lsn SegmentLogShipper::vcl() const {
  // TODO(lab2): see log_shipper.h.
  return aurora::kNoLsn;
}

Lsn SegmentLogShipper::vdl() const {
  // TODO(lab2): see log_shipper.h.
  return aurora::kNoLsn;
}

Lsn SegmentLogShipper::known_scl(PgId pg, int segment) const {
  // TODO(lab2): see log_shipper.h.
  (void)pg;
  (void)segment;
  return aurora::kNoLsn;
}

SegmentPageReader::SegmentPageReader(NodeContext& ctx, const PageReaderOptions& options,
                                     const LogShipper& shipper)
    : ctx_(ctx), options_(options), shipper_(shipper) {}

void SegmentPageReader::ReadPage(PageId page, Lsn read_point, PageDone done) {
  // TODO(lab2): see log_shipper.h.
  (void)page;
  (void)read_point;
  done(absl::UnimplementedError("TODO(lab2): SegmentPageReader::ReadPage not implemented"));
}

}  // namespace auroralab::segments
