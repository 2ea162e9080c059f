// Lab 1: the quorum KV client. YOUR CODE GOES HERE.
//
// Each method below is a stub that fails with "not implemented"; client.h
// gives the contract of each. The hint in docs/labs/quorum_kv.md ("write the
// round once") tells how ReadRound and WriteRound can share their code.
#include "quorum_kv/client.h"

#include <memory>
#include <utility>

namespace auroralab::quorum_kv {

std::unique_ptr<KvClient> NewKvClient(NodeContext& ctx, const ClientOptions& options) {
  return std::make_unique<KvClientImpl>(ctx, options);
}

KvClientImpl::KvClientImpl(NodeContext& ctx, ClientOptions options)
    : KvClient(ctx), options_(std::move(options)) {}

void KvClientImpl::Get(const std::string& key, GetDone done) {
  // TODO(lab1): a ReadRound, and in Part B a write-back (see client.h).
  (void)key;
  done(absl::UnimplementedError("TODO(lab1): KvClient::Get is not implemented"));
}

void KvClientImpl::Put(const std::string& key, const std::string& value, PutDone done) {
  // TODO(lab1): choose the version (Part B: after a ReadRound), then a
  // WriteRound (see client.h).
  (void)key;
  (void)value;
  done(absl::UnimplementedError("TODO(lab1): KvClient::Put is not implemented"));
}

void KvClientImpl::ReadRound(const std::string& key, Time deadline, ReadDone done) {
  // TODO(lab1): see client.h.
  (void)key;
  (void)deadline;
  done(absl::UnimplementedError("TODO(lab1): KvClient::ReadRound is not implemented"));
}

void KvClientImpl::WriteRound(WriteRequest request, Time deadline, WriteDone done) {
  // TODO(lab1): see client.h.
  (void)request;
  (void)deadline;
  done(absl::UnimplementedError("TODO(lab1): KvClient::WriteRound is not implemented"));
}

}  // namespace auroralab::quorum_kv
