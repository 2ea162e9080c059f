// Lab 1: the quorum KV replica. YOUR CODE GOES HERE.
//
// Start() is complete; Recover, HandleRead and HandleWrite are stubs that
// answer "not implemented" (replica.h gives the contract of each), so the
// tests fail with a clear message instead of timing out.
#include "quorum_kv/replica.h"

#include <memory>
#include <utility>

namespace auroralab::quorum_kv {

std::unique_ptr<Node> NewKvReplica(NodeContext& ctx) { return std::make_unique<KvReplica>(ctx); }

void KvReplica::Start() {
  Recover();
  ctx().rpc().Handle(kRead, [this](const ReadRequest& request, Responder<ReadReply> responder) {
    HandleRead(request, std::move(responder));
  });
  ctx().rpc().Handle(kWrite, [this](const WriteRequest& request, Responder<WriteReply> responder) {
    HandleWrite(request, std::move(responder));
  });
}

void KvReplica::Recover() {
  // TODO(lab1): see replica.h.
}

void KvReplica::HandleRead(const ReadRequest& request, Responder<ReadReply> responder) {
  // TODO(lab1): see replica.h.
  (void)request;
  responder.Fail(absl::UnimplementedError("TODO(lab1): KvReplica::HandleRead not implemented"));
}

void KvReplica::HandleWrite(const WriteRequest& request, Responder<WriteReply> responder) {
  // TODO(lab1): see replica.h.
  (void)request;
  responder.Fail(absl::UnimplementedError("TODO(lab1): KvReplica::HandleWrite not implemented"));
}

}  // namespace auroralab::quorum_kv
