#include "labs/quorum_kv/quorum_kv.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace auroralab::quorum_kv {

absl::Status ValidateQuorumConfig(const QuorumConfig& c) {
  const std::string which = absl::StrCat("quorum config N=", c.n, " W=", c.w, " R=", c.r, ": ");
  if (c.n < 1) return absl::InvalidArgumentError(absl::StrCat(which, "N must be at least 1"));
  if (c.w < 1 || c.w > c.n) {
    return absl::InvalidArgumentError(absl::StrCat(which, "W must be between 1 and N"));
  }
  if (c.r < 1 || c.r > c.n) {
    return absl::InvalidArgumentError(absl::StrCat(which, "R must be between 1 and N"));
  }
  if (c.r + c.w <= c.n) {
    return absl::InvalidArgumentError(absl::StrCat(
        which, "R + W must exceed N, or a read quorum can miss the latest write"));
  }
  if (2 * c.w <= c.n) {
    return absl::InvalidArgumentError(absl::StrCat(
        which, "W must exceed N/2, or two write quorums can miss each other"));
  }
  return absl::OkStatus();
}

bool VersionLess(const Version& a, const Version& b) {
  if (a.counter() != b.counter()) return a.counter() < b.counter();
  return a.writer_id() < b.writer_id();
}

bool VersionEqual(const Version& a, const Version& b) {
  return a.counter() == b.counter() && a.writer_id() == b.writer_id();
}

absl::Status ValidateClientOptions(const ClientOptions& o) {
  if (absl::Status s = ValidateQuorumConfig(o.quorum); !s.ok()) return s;
  if (static_cast<int>(o.replicas.size()) != o.quorum.n) {
    return absl::InvalidArgumentError(absl::StrCat("client options list ", o.replicas.size(),
                                                   " replicas but N is ", o.quorum.n));
  }
  if (std::set<NodeId>(o.replicas.begin(), o.replicas.end()).size() != o.replicas.size()) {
    return absl::InvalidArgumentError("client options list a replica twice");
  }
  if (o.client_id == 0) return absl::InvalidArgumentError("client_id must be > 0");
  if (o.op_timeout <= 0 || o.retry_interval <= 0) {
    return absl::InvalidArgumentError("op_timeout and retry_interval must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<NodeFactory> KvClientFactory(ClientOptions options) {
  if (absl::Status s = ValidateClientOptions(options); !s.ok()) return s;
  return NodeFactory([options = std::move(options)](NodeContext& ctx) -> std::unique_ptr<Node> {
    return NewKvClient(ctx, options);
  });
}

NodeFactory KvReplicaFactory() {
  return [](NodeContext& ctx) { return NewKvReplica(ctx); };
}

}  // namespace auroralab::quorum_kv
