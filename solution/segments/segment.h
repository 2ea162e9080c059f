// Lab 2, Part A: the segment replica. YOUR CODE GOES HERE (and in
// segment.cc).
//
// A Segment stores the redo records of ONE protection group (PG), durably,
// for the writer and its peers. The provided storage node
// (labs/segments/storage_node.h) builds one per (pg, index) it hosts, calls
// Start() at every (re)start and routes the four RPCs to the Handle methods.
// What it must guarantee:
//   - Persist before acknowledging: an AppendReply goes out only after a
//     ctx().disk().Sync() issued after the records were written has
//     completed OK. A crash loses whatever was not synced.
//   - Any order, any number of times: a duplicate is acknowledged again but
//     stored once; a record already held (same LSN) is never overwritten.
//   - SCL (segment complete LSN): follow the backlinks (prev_lsn_in_pg) from
//     the start of the PG; the SCL is the last LSN reached before a hole.
//     Count only durable records, so the SCL never goes back after a crash.
//   - Gossip: every gossip_interval, ask one peer segment for the records you
//     miss (kGossip), and answer peers' gossip with the records they miss.
//   - Reads: page `page` at read point R is the base image plus the page's
//     records with LSN <= R, applied in LSN order (aurora::ApplyRecord). If
//     your SCL is below R, refuse with Unavailable (the reader retries
//     elsewhere): never answer with an older page.
//   - Crash and restart: Start() runs on a fresh object; rebuild from the
//     disk, dropping a torn tail (labs/framework/record_log.h).
//   - GC: on a low-water mark M, fold the records at or below min(M, SCL)
//     into stored page images and drop them from the log: disk usage falls
//     and every read at or above M gives the same answer as before.
//   - Lab 3, SetRecordFilter: records the filter rejects (annulled by a
//     truncation) vanish: dropped from memory and disk, not counted for
//     the SCL, not gossiped, not applied, and not stored if they come again.
//   - Files: every file name starts with SegmentFilePrefix(pg, index) (the
//     node's disk is shared by its replicas), and each stored record appears
//     on disk as its serialized bytes (RedoRecord::SerializeAsString(),
//     framed by record_log.h's AppendRecord): the tests' disk oracle looks
//     for exactly those bytes.
#ifndef AURORALAB_IMPL_SEGMENTS_SEGMENT_H_
#define AURORALAB_IMPL_SEGMENTS_SEGMENT_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "labs/aurora/page.h"
#include "labs/aurora/redo.pb.h"
#include "labs/framework/node.h"
#include "labs/segments/segments.h"

namespace auroralab::segments {

class Segment : public SegmentReplica {
 public:
  Segment(NodeContext& ctx, const SegmentOptions& options);

  // Recover(), then start gossiping.
  void Start() override;

  // Stores the request's records (skipping those already held), syncs, and
  // replies with the SCL once the sync completed. A write or sync error
  // fails the request with Unavailable (the writer resends).
  void HandleAppend(const AppendRequest& request, Responder<AppendReply> responder) override;

  // Replies with the durable records the asker lacks: LSN above its SCL,
  // not in its held_above_scl list, ascending, at most max_records.
  void HandleGossip(const GossipRequest& request, Responder<GossipReply> responder) override;

  // The page at the read point; Unavailable if the SCL is below it;
  // OutOfRange if the read point is below the folded (GC) point.
  void HandleReadPage(const ReadPageRequest& request, Responder<ReadPageReply> responder) override;

  // Folds the records at or below min(mark, SCL) into page images, rewrites
  // the files without them, and replies after the sync.
  void HandleLowWaterMark(const LowWaterMarkRequest& request,
                          Responder<LowWaterMarkReply> responder) override;

  Lsn scl() const override { return scl_; }

  // Lab 3: drops the held records `keep` rejects, rewrites the files
  // without them, recomputes the SCL, and refuses such records from now on.
  void SetRecordFilter(RecordFilter keep, std::function<void(absl::Status)> done) override;

 private:
  struct Stored {
    aurora::RedoRecord record;
    bool durable = false;
  };

  // Rebuilds the state from the disk; the records found become durable
  // with the first sync.
  void Recover();
  // Writes the records not held yet; returns the write error, if any.
  absl::Status Store(const std::vector<aurora::RedoRecord>& records);
  // Issues a sync; once it completes OK, everything written before it is
  // durable and `done` gets OK (else the error).
  void SyncThen(std::function<void(absl::Status)> done);
  // Moves the SCL along the backlinks of durable records.
  void AdvanceScl();
  void ScheduleGossip();
  void GossipOnce();
  // The log and GC files, rewritten whole (after GC).
  absl::Status RewriteFiles();
  std::string LogFile() const { return prefix_ + "log"; }
  std::string BaseFile() const { return prefix_ + "base"; }

  NodeContext& ctx_;
  SegmentOptions options_;
  std::string prefix_;
  // Records above folded_, by LSN, durable or not yet.
  std::map<Lsn, Stored> records_;
  // Written, not yet covered by a completed sync: write sequence -> LSN.
  std::map<uint64_t, Lsn> pending_;
  uint64_t next_write_seq_ = 1;
  // Durable records by backlink: prev_lsn_in_pg -> LSN.
  std::map<Lsn, Lsn> next_by_prev_;
  // Durable and pending LSNs of each page.
  std::map<PageId, std::set<Lsn>> page_lsns_;
  Lsn scl_ = aurora::kNoLsn;
  // GC: every record at or below folded_ is applied into base_pages_.
  Lsn folded_ = aurora::kNoLsn;
  std::map<PageId, aurora::PageImage> base_pages_;
  bool gossip_in_flight_ = false;
  // Lab 3: records it rejects are never stored (null: keep everything).
  RecordFilter keep_;
};

}  // namespace auroralab::segments

#endif  // AURORALAB_IMPL_SEGMENTS_SEGMENT_H_
