// Lab 1: the quorum KV replica. YOUR CODE GOES HERE.
#include "quorum_kv/replica.h"

#include <memory>

namespace auroralab::quorum_kv {

std::unique_ptr<Node> NewKvReplica(NodeContext& ctx) { return std::make_unique<KvReplica>(ctx); }

void KvReplica::Start() {
  // TODO(lab1): recover from disk, then handle kRead and kWrite.
  //
  // kRead: reply with found/value/version of the key (found = false if you
  //   never stored it).
  // kWrite: if the request's version is newer than yours, log it to disk and
  //   apply it; in every case reply only after a Sync completes OK (if the
  //   sync fails, responder.Fail(...) and let the client retry).
  //
  // Until then, every request is answered with "not implemented", so the
  // tests fail with a clear message instead of timing out.
  ctx().rpc().Handle(kRead, [](const ReadRequest&, Responder<ReadReply> responder) {
    responder.Fail(absl::UnimplementedError("TODO(lab1): KvReplica read handler not implemented"));
  });
  ctx().rpc().Handle(kWrite, [](const WriteRequest&, Responder<WriteReply> responder) {
    responder.Fail(
        absl::UnimplementedError("TODO(lab1): KvReplica write handler not implemented"));
  });
}

}  // namespace auroralab::quorum_kv
