// Lab 3: the server (reference).
#include "recovery/server.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/record_log.h"

namespace auroralab::recovery {
namespace {

constexpr char kLog[] = "recovery.log";  // one PutRequest per record

}  // namespace

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
  const RecordScan log = ReadRecords(ctx().disk(), kLog);
  for (const std::string& record : log.records) {
    PutRequest put;
    if (put.ParseFromString(record)) values_[put.key()] = put.value();
  }
  if (absl::Status trimmed = TrimTornTail(ctx().disk(), kLog, log); !trimmed.ok()) {
    ctx().Log(absl::StrCat("cannot trim the log: ", trimmed.message()));
  }
}

void Server::HandlePut(const PutRequest& request, Responder<PutReply> responder) {
  // Write ahead: the log first, then memory.
  if (absl::Status s = AppendRecord(ctx().disk(), kLog, request.SerializeAsString()); !s.ok()) {
    return responder.Fail(absl::UnavailableError(absl::StrCat("disk: ", s.message())));
  }
  values_[request.key()] = request.value();
  // Acknowledged only once a sync covering the append has completed.
  ctx().disk().Sync([responder](absl::Status synced) {
    if (synced.ok()) return responder.Reply(PutReply());
    responder.Fail(absl::UnavailableError(absl::StrCat("sync: ", synced.message())));
  });
}

void Server::HandleGet(const GetRequest& request, Responder<GetReply> responder) {
  GetReply reply;
  auto it = values_.find(request.key());
  if (it != values_.end()) {
    reply.set_found(true);
    reply.set_value(it->second);
  }
  responder.Reply(reply);
}

}  // namespace auroralab::recovery
