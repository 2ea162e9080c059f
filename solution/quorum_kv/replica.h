// Lab 1 reference: the quorum KV replica.
//
// Keeps, per key, the value with the highest version it has seen. Every
// accepted write is appended to a record log on disk and acknowledged only
// after a Sync covering it completes, so an acknowledged write survives any
// crash. On restart the replica rebuilds its map from the log.
//
// Start, Recover, HandleRead and HandleWrite are declared exactly as in
// skeleton/quorum_kv/replica.h (whose comments give their contracts).
#ifndef AURORALAB_IMPL_QUORUM_KV_REPLICA_H_
#define AURORALAB_IMPL_QUORUM_KV_REPLICA_H_

#include <map>
#include <string>

#include "labs/framework/node.h"
#include "labs/quorum_kv/quorum_kv.h"

namespace auroralab::quorum_kv {

class KvReplica : public Node {
 public:
  using Node::Node;
  void Start() override;

 private:
  struct Entry {
    Version version;
    std::string value;
  };

  // Rebuilds entries_ from the log; trims a torn tail.
  void Recover();
  // Whether `request` has a newer version of its key than the one we hold.
  bool IsNewer(const WriteRequest& request) const;
  void Apply(const WriteRequest& request) {
    entries_[request.key()] = Entry{request.version(), request.value()};
  }
  void HandleRead(const ReadRequest& request, Responder<ReadReply> responder);
  void HandleWrite(const WriteRequest& request, Responder<WriteReply> responder);

  std::map<std::string, Entry> entries_;
};

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_IMPL_QUORUM_KV_REPLICA_H_
