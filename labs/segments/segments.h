// Lab 2: append-only segments. The interface.
//
// One protection group (PG) is six segment replicas, two in each of three
// AZs. The writer ships redo records (labs/aurora/redo.proto) to all six;
// each segment stores them durably, follows the backlinks to know up to
// which LSN it is complete (its SCL) and fills holes by gossip with its
// peers. The writer tracks every segment's SCL and derives
//   PGCL: the highest LSN that at least 4 of the 6 segments hold completely,
//   VCL:  with one PG, its PGCL (lab 4 takes the minimum over PGs),
//   VDL:  the highest CPL (last record of a mini-transaction) <= VCL,
// and reports VDL to the engine, which acknowledges a commit once VDL
// reaches its COMMIT record. Reads take no quorum: one segment whose SCL
// reaches the read point answers.
//
// What is provided here: the RPC methods, the options and their checks, the
// three interfaces the provided shells call, and the factories.
//   * storage_node.h: a storage node hosts replicas by (PG, segment index)
//     and routes each RPC to the right one.
//   * writer_node.h: the writer node owns labs/aurora's Engine, the log
//     shipper (a RedoLogSink) and the page reader (a PageReader).
// What students write (skeleton/segments/):
//   Part A, segment.h/.cc: class Segment, a SegmentReplica.
//   Part B, log_shipper.h/.cc: class SegmentLogShipper (a LogShipper) and
//     class SegmentPageReader (an aurora::PageReader).
#ifndef AURORALAB_LABS_SEGMENTS_SEGMENTS_H_
#define AURORALAB_LABS_SEGMENTS_SEGMENTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "labs/aurora/engine.h"
#include "labs/aurora/page.h"
#include "labs/aurora/redo.pb.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/framework/time.h"
#include "labs/segments/segments.pb.h"

namespace auroralab::segments {

using aurora::Lsn;
using aurora::PageId;
using aurora::PgId;

// Six copies per PG; a write is durable once 4 of them hold it (AZ+1:
// losing a whole AZ and one more segment still leaves a read quorum of 3,
// losing an AZ still leaves the write quorum).
inline constexpr int kSegmentsPerPg = 6;
inline constexpr int kWriteQuorum = 4;

inline constexpr Method<AppendRequest, AppendReply> kAppend{"Segments.Append"};
inline constexpr Method<GossipRequest, GossipReply> kGossip{"Segments.Gossip"};
inline constexpr Method<ReadPageRequest, ReadPageReply> kReadPage{"Segments.ReadPage"};
inline constexpr Method<LowWaterMarkRequest, LowWaterMarkReply> kLowWaterMark{
    "Segments.LowWaterMark"};

// Where the segments live: pgs[pg][i] is the node hosting segment i of PG
// pg. Page p belongs to PG p % pgs.size() (as aurora::VolumeLayout::PgOf).
struct Placement {
  std::vector<std::vector<NodeId>> pgs;
};

// OK iff there is at least one PG and every PG has exactly kSegmentsPerPg
// nodes, all >= 0; otherwise InvalidArgument naming the rule.
absl::Status ValidatePlacement(const Placement& placement);

// ---------------------------------------------------------------------------
// Part A: the segment replica.

struct SegmentOptions {
  PgId pg = 0;
  int index = 0;  // 0 .. kSegmentsPerPg-1
  // The nodes of the PG's six segments, by index (peers[index] is this
  // node): who to gossip with.
  std::vector<NodeId> peers;
  // How often the segment gossips with one peer, and how long it waits for
  // the answer.
  Duration gossip_interval = Millis(10);
  Duration gossip_timeout = Millis(50);
  // At most this many records in one gossip reply.
  int max_records_per_gossip = 256;
};

// OK iff 0 <= index < kSegmentsPerPg, peers has kSegmentsPerPg nodes (all
// >= 0), 0 < gossip_timeout, 0 < gossip_interval and max_records_per_gossip
// > 0; otherwise InvalidArgument naming the field.
absl::Status ValidateSegmentOptions(const SegmentOptions& options);

// Every file of segment `index` of PG `pg` starts with this prefix
// ("pg0.seg3."): replicas hosted on one node share its disk, each in its own
// namespace, and the tests' disk oracle reads a replica's files by it.
std::string SegmentFilePrefix(PgId pg, int index);

// One segment replica, as the storage node sees it. The node calls Start()
// once per incarnation (at every restart, on a fresh object), then routes
// every request for this (pg, index) to the Handle methods. Requests are
// valid only while the handler runs; a Responder may be kept for later.
class SegmentReplica {
 public:
  virtual ~SegmentReplica() = default;
  virtual void Start() = 0;
  virtual void HandleAppend(const AppendRequest& request, Responder<AppendReply> responder) = 0;
  virtual void HandleGossip(const GossipRequest& request, Responder<GossipReply> responder) = 0;
  virtual void HandleReadPage(const ReadPageRequest& request,
                              Responder<ReadPageReply> responder) = 0;
  virtual void HandleLowWaterMark(const LowWaterMarkRequest& request,
                                  Responder<LowWaterMarkReply> responder) = 0;
  // The segment complete LSN over durable records (for tests and traces).
  virtual Lsn scl() const = 0;

  // Lab 3 (recovery truncates the log). From now on the replica treats
  // every record for which keep(record) is false as if it had never
  // existed: it does not count for the SCL, is never gossiped or applied to
  // a page, and a copy arriving later (by Append or gossip) is not stored.
  // Records it already holds that `keep` rejects are dropped from memory
  // and disk; the SCL is recomputed and may go down. `done` runs once the
  // drop is durable (a sync completed). A later call replaces the filter.
  using RecordFilter = std::function<bool(const aurora::RedoRecord&)>;
  virtual void SetRecordFilter(RecordFilter keep, std::function<void(absl::Status)> done) = 0;
};

// Implemented by the lab (skeleton/segments/segment.cc). `options` has
// passed ValidateSegmentOptions.
std::unique_ptr<SegmentReplica> NewSegmentReplica(NodeContext& ctx, const SegmentOptions& options);

// ---------------------------------------------------------------------------
// Part B: the writer's log shipping and page reads.

// Where the writer's log continues. A new volume starts at LSN 1; in lab 3
// a writer that took over after a crash continues above the truncation
// range recovery wrote.
struct LogStart {
  // The first LSN to allocate.
  Lsn next_lsn = 1;
  // Each PG's last record kept by recovery: the backlink (prev_lsn_in_pg)
  // of that PG's next record. A PG not listed has none.
  std::map<PgId, Lsn> last_lsn_in_pg;
  // The recovered VDL: vdl() starts here.
  Lsn durable_lsn = aurora::kNoLsn;
};

struct LogShipperOptions {
  Placement placement;
  // LSN allocation limit: Append refuses an MTR whose last LSN would exceed
  // max(VDL, start.next_lsn - 1) + lal, so the writer cannot run too far
  // ahead of durable storage. (The truncated range below start.next_lsn
  // counts as settled: nothing in it will ever become durable.)
  uint64_t lal = 1000;
  LogStart start;
  // How long to wait for a segment's acknowledgement before sending it the
  // records it has not acknowledged again.
  Duration resend_interval = Millis(10);
};

// OK iff the placement is valid, lal >= 1, resend_interval > 0, and start
// is consistent (next_lsn > durable_lsn, every last_lsn_in_pg < next_lsn and
// names a PG of the placement).
absl::Status ValidateLogShipperOptions(const LogShipperOptions& options);

// The writer's side of the log: numbers MTRs, ships them to every segment
// of their PG, and derives PGCL, VCL and VDL from the segments' SCLs.
class LogShipper : public aurora::RedoLogSink {
 public:
  // The highest LSN at least kWriteQuorum segments of `pg` hold completely
  // (by the SCLs they acknowledged).
  virtual Lsn pgcl(PgId pg) const = 0;
  // The volume complete LSN: with one PG, pgcl(0).
  virtual Lsn vcl() const = 0;
  // The volume durable LSN: the highest CPL <= vcl().
  virtual Lsn vdl() const = 0;
  // The highest SCL segment `segment` of `pg` has acknowledged (kNoLsn
  // before any).
  virtual Lsn known_scl(PgId pg, int segment) const = 0;
};

// Implemented by the lab (skeleton/segments/log_shipper.cc).
std::unique_ptr<LogShipper> NewLogShipper(NodeContext& ctx, const LogShipperOptions& options);

struct PageReaderOptions {
  Placement placement;
  // One attempt at one segment may take this long before the reader tries
  // another.
  Duration attempt_timeout = Millis(30);
  // A read not answered after this long fails with Unavailable.
  Duration read_deadline = Seconds(2);
  // Lab 3: stamped on every ReadPageRequest (volume_epoch), so a segment
  // that has adopted a newer epoch refuses a deposed writer's reads.
  uint64_t volume_epoch = 0;
};

// OK iff the placement is valid and 0 < attempt_timeout <= read_deadline.
absl::Status ValidatePageReaderOptions(const PageReaderOptions& options);

// Implemented by the lab (skeleton/segments/log_shipper.cc). `shipper`
// tells which segments are known to be complete up to a read point; it
// outlives the reader.
std::unique_ptr<aurora::PageReader> NewPageReader(NodeContext& ctx,
                                                  const PageReaderOptions& options,
                                                  const LogShipper& shipper);

}  // namespace auroralab::segments

#endif  // AURORALAB_LABS_SEGMENTS_SEGMENTS_H_
