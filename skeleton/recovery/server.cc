// Lab 3: the server. YOUR CODE GOES HERE.
#include "recovery/server.h"

#include <memory>
#include <utility>

namespace auroralab::recovery {

std::unique_ptr<Node> NewServer(NodeContext& ctx) { return std::make_unique<Server>(ctx); }

void Server::Start() {
  Recover();
  ctx().rpc().Handle(kPut, [this](const PutRequest& request, Responder<PutReply> responder) {
    HandlePut(request, std::move(responder));
  });
  ctx().rpc().Handle(kGet, [this](const GetRequest& request, Responder<GetReply> responder) {
    HandleGet(request, std::move(responder));
  });
}

void Server::Recover() {
  // TODO(lab3): rebuild values_ from the disk (see server.h).
}

void Server::HandlePut(const PutRequest&, Responder<PutReply> responder) {
  // TODO(lab3): see server.h. Until then every put fails with "not
  // implemented", so the tests say so instead of timing out.
  responder.Fail(absl::UnimplementedError("TODO(lab3): Server::HandlePut is not implemented"));
}

void Server::HandleGet(const GetRequest&, Responder<GetReply> responder) {
  responder.Fail(absl::UnimplementedError("TODO(lab3): Server::HandleGet is not implemented"));
}

}  // namespace auroralab::recovery
