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
//   - Files: every file name starts with SegmentFilePrefix(pg, index) (the
//     node's disk is shared by its replicas), and each stored record appears
//     on disk as its serialized bytes (RedoRecord::SerializeAsString(),
//     framed by record_log.h's AppendRecord): the tests' disk oracle looks
//     for exactly those bytes.
//
// Start() and ScheduleGossip() are written for you. Keep the class name,
// these declarations and NewSegmentReplica; add whatever members you need.
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

  // Recover(), then start gossiping. Written for you.
  void Start() override;

  // TODO(lab2): store the request's records (skip those already held: same
  // LSN means the same record, never overwrite it), then issue a Sync and
  // reply with your SCL once it completed OK. A write or sync error:
  // responder.Fail(absl::UnavailableError(...)) (the writer resends). An
  // Append without records just asks for the SCL (after a sync is fine).
  // `request` is only valid during this call: copy what a callback needs.
  void HandleAppend(const AppendRequest& request, Responder<AppendReply> responder) override;

  // TODO(lab2): reply with your SCL and the durable records the asker
  // lacks: LSN above request.scl(), not in request.held_above_scl(),
  // ascending, at most request.max_records() (0: no limit).
  void HandleGossip(const GossipRequest& request, Responder<GossipReply> responder) override;

  // TODO(lab2): the page at request.read_point() (see the top of this
  // file), with your SCL. Unavailable if your SCL is below the read point;
  // an error (e.g. OutOfRange) if the read point is below what GC folded.
  void HandleReadPage(const ReadPageRequest& request, Responder<ReadPageReply> responder) override;

  // TODO(lab2): fold the records at or below min(low_water_mark, SCL) into
  // page images kept on disk, rewrite your files without those records, and
  // reply (scl, folded_up_to) once that is synced. Never fold past your SCL:
  // a record that fills a hole later must still be applied in LSN order.
  void HandleLowWaterMark(const LowWaterMarkRequest& request,
                          Responder<LowWaterMarkReply> responder) override;

  // TODO(lab2): your SCL over durable records.
  Lsn scl() const override;

  // TODO(lab3): see segments.h's SegmentReplica::SetRecordFilter. Drop the
  // held records `keep` rejects (memory and disk), recompute the SCL from
  // what is left, and from now on refuse such records from Append and
  // gossip alike. Hint: rewrite your files without them, then sync, then
  // call `done`.
  void SetRecordFilter(RecordFilter keep, std::function<void(absl::Status)> done) override;

 private:
  // TODO(lab2): rebuild your state from ctx().disk() (no files on a fresh
  // segment). Hints: ReadRecords() tells you whether the log has a torn
  // tail; cut it off with TrimTornTail() before you append again. Records
  // read back count as durable once a Sync you issue now completes (the
  // torn tail may have left whole records that were never synced).
  void Recover();

  // TODO(lab2): one round of gossip: pick a peer (options_.peers, not
  // yourself; use ctx_.rng()), send it a GossipRequest with your SCL and
  // the LSNs you hold above it, and store (and sync) the records it sends
  // back. Keep at most one round in flight.
  void GossipOnce();

  // Calls GossipOnce() every options_.gossip_interval. Written for you.
  void ScheduleGossip();

  NodeContext& ctx_;
  SegmentOptions options_;
  // TODO(lab2): your state. Use ordered containers (std::map, std::set):
  // iteration order must not depend on the process, or runs stop being
  // reproducible.
};

}  // namespace auroralab::segments

#endif  // AURORALAB_IMPL_SEGMENTS_SEGMENT_H_
