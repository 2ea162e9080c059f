// Lab 3: the client. YOUR CODE GOES HERE.
#include "recovery/client.h"

#include <memory>
#include <utility>

namespace auroralab::recovery {

std::unique_ptr<Client> NewClient(NodeContext& ctx, const ClientOptions& options) {
  return std::make_unique<ClientImpl>(ctx, options);
}

ClientImpl::ClientImpl(NodeContext& ctx, ClientOptions options)
    : Client(ctx), options_(std::move(options)) {}

void ClientImpl::Put(const std::string&, const std::string&, PutDone done) {
  // TODO(lab3): see client.h.
  done(absl::UnimplementedError("TODO(lab3): Client::Put is not implemented"));
}

void ClientImpl::Get(const std::string&, GetDone done) {
  // TODO(lab3): see client.h.
  done(absl::UnimplementedError("TODO(lab3): Client::Get is not implemented"));
}

}  // namespace auroralab::recovery
