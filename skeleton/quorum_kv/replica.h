// Lab 1: the quorum KV replica. YOUR CODE GOES HERE (and in replica.cc).
//
// A replica is a Node: it reacts to RPCs (kRead, kWrite from quorum_kv.h)
// and owns a Disk. It is deliberately simple; all quorum logic lives in the
// client. What it must guarantee:
//   - It keeps, per key, the value with the HIGHEST version it has seen
//     (VersionLess in quorum_kv.h orders versions). An older write never
//     replaces a newer value.
//   - It acknowledges a write only once the write (or a newer value for the
//     key) is durable: written to ctx().disk() AND covered by a completed
//     ctx().disk().Sync(). A crash loses everything that was not synced.
//   - After a crash, Start() runs on a fresh instance: rebuild the map from
//     the disk. The last record on disk may be torn.
//   - Tests look at the disk itself (KvCluster::ReplicasDurablyHolding):
//     store each accepted value's bytes unchanged (a serialized WriteRequest
//     does), not compressed or encoded.
//
// Start() is written for you: it calls Recover() and routes the two RPCs to
// HandleRead and HandleWrite. Those three are yours. Keep the class name,
// these declarations and NewKvReplica; add whatever members you need.
#ifndef AURORALAB_IMPL_QUORUM_KV_REPLICA_H_
#define AURORALAB_IMPL_QUORUM_KV_REPLICA_H_

#include "labs/framework/node.h"
#include "labs/quorum_kv/quorum_kv.h"

namespace auroralab::quorum_kv {

class KvReplica : public Node {
 public:
  using Node::Node;

  // Called when the replica starts and after every restart: Recover(), then
  // register HandleRead and HandleWrite for kRead and kWrite.
  void Start() override;

 private:
  // Rebuilds the replica's state from ctx().disk() (it is empty on a fresh
  // replica: no file yet).
  //
  // TODO(lab1): replay the log of accepted writes, keeping per key the
  // highest version.
  // Hints:
  //   - labs/framework/record_log.h frames records so that a torn tail is
  //     detected: AppendRecord() to log, ReadRecords() to recover. A
  //     serialized WriteRequest makes a fine record.
  //   - If ReadRecords reports a torn tail, keep the whole records before it
  //     and cut the file back to them (TrimTornTail) before appending again:
  //     records appended after garbage are lost at the next recovery.
  void Recover();

  // Answers a kRead.
  //
  // TODO(lab1): reply with found/value/version of request.key() (found =
  // false if you never stored it). Reads touch neither the disk nor the
  // stored state.
  void HandleRead(const ReadRequest& request, Responder<ReadReply> responder);

  // Answers a kWrite.
  //
  // TODO(lab1): if the request's version is newer than yours (VersionLess),
  // log it to disk and apply it. In EVERY case, newer or not, reply only
  // after a ctx().disk().Sync() issued now completes OK: an older write is
  // acknowledged too (the sender may be retrying), but the newer value that
  // supersedes it may itself not be durable yet. If a disk write or the
  // sync fails, responder.Fail(absl::UnavailableError(...)) and let the
  // client retry.
  //
  // `request` is only valid during this call: copy what a Sync callback
  // needs; move `responder` into it.
  void HandleWrite(const WriteRequest& request, Responder<WriteReply> responder);

  // TODO(lab1): your state (the newest version and value of each key).
  // Use std::map, not a hash map: iteration order must not depend on the
  // process, or runs stop being reproducible.
};

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_IMPL_QUORUM_KV_REPLICA_H_
