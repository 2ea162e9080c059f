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
//
// Add whatever members you need; keep the class name and NewKvReplica.
#ifndef AURORALAB_IMPL_QUORUM_KV_REPLICA_H_
#define AURORALAB_IMPL_QUORUM_KV_REPLICA_H_

#include "labs/framework/node.h"
#include "labs/quorum_kv/quorum_kv.h"

namespace auroralab::quorum_kv {

class KvReplica : public Node {
 public:
  using Node::Node;

  // Called when the replica starts and after every restart.
  //
  // TODO(lab1): recover the replica's state from ctx().disk(), then register
  // the handlers with ctx().rpc().Handle(kRead, ...) and
  // ctx().rpc().Handle(kWrite, ...).
  //
  // Hints:
  //   - labs/framework/record_log.h frames records so that a torn tail is
  //     detected: AppendRecord() to log, ReadRecords() to recover. A
  //     serialized WriteRequest makes a fine record.
  //   - If ReadRecords reports a torn tail, cut the file back to its valid
  //     prefix (TrimTornTail) before appending again.
  void Start() override;

 private:
  // TODO(lab1): your state (the newest version and value of each key).
  // Use std::map, not a hash map: iteration order must not depend on the
  // process, or runs stop being reproducible.
};

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_IMPL_QUORUM_KV_REPLICA_H_
