// Lab 1: the quorum KV client. YOUR CODE GOES HERE.
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
  // TODO(lab1): replace with a quorum read (see client.h).
  (void)key;
  done(absl::UnimplementedError("TODO(lab1): KvClient::Get is not implemented"));
}

void KvClientImpl::Put(const std::string& key, const std::string& value, PutDone done) {
  // TODO(lab1): replace with a quorum write (see client.h).
  (void)key;
  (void)value;
  done(absl::UnimplementedError("TODO(lab1): KvClient::Put is not implemented"));
}

}  // namespace auroralab::quorum_kv
