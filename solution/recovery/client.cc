// Lab 3: the client (reference).
#include "recovery/client.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace auroralab::recovery {

std::unique_ptr<Client> NewClient(NodeContext& ctx, const ClientOptions& options) {
  return std::make_unique<ClientImpl>(ctx, options);
}

ClientImpl::ClientImpl(NodeContext& ctx, ClientOptions options)
    : Client(ctx), options_(std::move(options)) {}

void ClientImpl::Put(const std::string& key, const std::string& value, PutDone done) {
  PutRequest request;
  request.set_key(key);
  request.set_value(value);
  AttemptPut(request, ctx().Now() + options_.op_timeout, std::move(done));
}

void ClientImpl::Get(const std::string& key, GetDone done) {
  GetRequest request;
  request.set_key(key);
  AttemptGet(request, ctx().Now() + options_.op_timeout, std::move(done));
}

void ClientImpl::AttemptPut(const PutRequest& request, Time deadline, PutDone done) {
  if (ctx().Now() >= deadline) {
    return done(absl::UnavailableError(absl::StrCat("put of ", request.key(), " timed out")));
  }
  const Duration timeout = std::min(options_.attempt_timeout, deadline - ctx().Now());
  ctx().rpc().Call(options_.server, kPut, request, timeout,
                   [this, request, deadline, done](absl::StatusOr<PutReply> reply) {
                     if (reply.ok()) return done(absl::OkStatus());
                     // Lost, timed out, or the server is down: ask again after a
                     // short pause, so fast errors do not spin.
                     ctx().SetTimer(Millis(5), [this, request, deadline, done] {
                       AttemptPut(request, deadline, done);
                     });
                   });
}

void ClientImpl::AttemptGet(const GetRequest& request, Time deadline, GetDone done) {
  if (ctx().Now() >= deadline) {
    return done(absl::UnavailableError(absl::StrCat("get of ", request.key(), " timed out")));
  }
  const Duration timeout = std::min(options_.attempt_timeout, deadline - ctx().Now());
  ctx().rpc().Call(options_.server, kGet, request, timeout,
                   [this, request, deadline, done](absl::StatusOr<GetReply> reply) {
                     if (reply.ok()) return done(GetResult{reply->found(), reply->value()});
                     ctx().SetTimer(Millis(5), [this, request, deadline, done] {
                       AttemptGet(request, deadline, done);
                     });
                   });
}

}  // namespace auroralab::recovery
