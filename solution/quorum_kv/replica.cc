// Lab 1 reference: the quorum KV replica (contract in replica.h).
#include "quorum_kv/replica.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/record_log.h"

namespace auroralab::quorum_kv {
namespace {

constexpr char kLogFile[] = "kv.log";

}  // namespace

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
  const RecordScan scan = ReadRecords(ctx().disk(), kLogFile);
  for (const std::string& record : scan.records) {
    WriteRequest request;
    if (request.ParseFromString(record) && IsNewer(request)) Apply(request);
  }
  // Cut a torn tail off, so that new records do not follow garbage.
  if (absl::Status s = TrimTornTail(ctx().disk(), kLogFile, scan); !s.ok()) {
    ctx().Log(absl::StrCat("could not trim the torn log tail: ", s.message()));
  }
  ctx().Log(absl::StrCat("recovered ", entries_.size(), " keys from ", scan.records.size(),
                         " records", scan.torn_tail ? " (torn tail dropped)" : ""));
}

bool KvReplica::IsNewer(const WriteRequest& request) const {
  auto it = entries_.find(request.key());
  return it == entries_.end() || VersionLess(it->second.version, request.version());
}

void KvReplica::HandleRead(const ReadRequest& request, Responder<ReadReply> responder) {
  ReadReply reply;
  auto it = entries_.find(request.key());
  if (it != entries_.end()) {
    reply.set_found(true);
    reply.set_value(it->second.value);
    *reply.mutable_version() = it->second.version;
  }
  responder.Reply(reply);
}

void KvReplica::HandleWrite(const WriteRequest& request, Responder<WriteReply> responder) {
  if (IsNewer(request)) {
    // Log first, then apply: memory never holds what the disk refused.
    if (absl::Status s = AppendRecord(ctx().disk(), kLogFile, request.SerializeAsString());
        !s.ok()) {
      responder.Fail(absl::UnavailableError(absl::StrCat("replica disk: ", s.message())));
      return;
    }
    Apply(request);
  }
  // Even an older version is acknowledged only after a sync: the newer value
  // that supersedes it may itself not be durable yet.
  ctx().disk().Sync([responder = std::move(responder)](absl::Status s) {
    if (!s.ok()) {
      responder.Fail(absl::UnavailableError(absl::StrCat("replica disk sync: ", s.message())));
      return;
    }
    responder.Reply(WriteReply());
  });
}

}  // namespace auroralab::quorum_kv
