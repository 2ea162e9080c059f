#include "labs/quorum_kv/cluster.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/sim_test.h"

namespace auroralab::quorum_kv {

KvCluster::KvCluster(World& world, ClusterOptions options)
    : world_(world), options_(std::move(options)) {
  status_ = ValidateQuorumConfig(options_.quorum);
  if (!status_.ok()) return;
  for (int i = 0; i < options_.quorum.n; ++i) {
    replicas_.push_back(world_.AddNode(absl::StrCat("r", i), i % 3, KvReplicaFactory()));
  }
  for (int j = 0; j < options_.num_clients; ++j) {
    ClientOptions client;
    client.quorum = options_.quorum;
    client.replicas = replicas_;
    client.client_id = static_cast<uint64_t>(j + 1);
    client.mode = options_.mode;
    client.op_timeout = options_.op_timeout;
    client.retry_interval = options_.retry_interval;
    absl::StatusOr<NodeFactory> factory = KvClientFactory(std::move(client));
    if (!factory.ok()) {
      status_ = factory.status();
      return;
    }
    clients_.push_back(world_.AddNode(absl::StrCat("c", j), j % 3, *std::move(factory)));
  }
  required_sends_.assign(clients_.size(), 0);
}

std::vector<int> KvCluster::ReplicasInAz(int az) const {
  std::vector<int> indices;
  for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) {
    if (world_.az(replicas_[i]) == az) indices.push_back(i);
  }
  return indices;
}

void KvCluster::ReachOnly(int j, const std::vector<int>& reachable) {
  for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) {
    if (std::find(reachable.begin(), reachable.end(), i) != reachable.end()) continue;
    world_.network().BlockLink(client(j), replica(i));
    world_.network().BlockLink(replica(i), client(j));
  }
}

int KvCluster::ReplicasDurablyHolding(const std::string& needle) {
  int holding = 0;
  for (NodeId replica : replicas_) {
    for (const auto& [name, file] : world_.disk_state(replica).files()) {
      if (file.durable_exists && file.durable.find(needle) != std::string::npos) {
        ++holding;
        break;
      }
    }
  }
  return holding;
}

void KvCluster::StartPut(int j, const std::string& key, const std::string& value,
                         std::function<void(absl::Status)> done) {
  if (!status_.ok()) {
    if (done) done(status_);
    return;
  }
  const int64_t op = history_.BeginPut(j, key, value, world_.Now());
  ++in_flight_;
  ClientNode(j).Put(key, value, [this, j, op, done = std::move(done)](absl::Status status) {
    --in_flight_;
    if (status.ok()) status = CheckClientUsedTheNetwork(j, options_.quorum.w, "Put");
    if (status.ok()) {
      history_.EndPut(op, world_.Now());
    } else {
      history_.EndUnknown(op);  // a failed write may still have happened
    }
    if (done) done(std::move(status));
  });
}

void KvCluster::StartGet(int j, const std::string& key,
                         std::function<void(absl::StatusOr<GetResult>)> done) {
  if (!status_.ok()) {
    if (done) done(status_);
    return;
  }
  const int64_t op = history_.BeginGet(j, key, world_.Now());
  ++in_flight_;
  ClientNode(j).Get(key, [this, j, op, done = std::move(done)](absl::StatusOr<GetResult> result) {
    --in_flight_;
    if (result.ok()) {
      if (absl::Status used = CheckClientUsedTheNetwork(j, options_.quorum.r, "Get"); !used.ok()) {
        result = used;
      }
    }
    if (result.ok()) {
      history_.EndGet(op, result->found, result->value, world_.Now());
    } else {
      history_.Discard(op);  // a failed read changed nothing
    }
    if (done) done(std::move(result));
  });
}

absl::Status KvCluster::CheckClientUsedTheNetwork(int j, int messages, const char* op) {
  required_sends_.at(j) += messages;
  const uint64_t sent = world_.network().stats().sent_by_node.at(client(j)).messages;
  if (static_cast<int64_t>(sent) >= required_sends_[j]) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(
      op, " on client c", j, " succeeded, but the client has sent only ", sent,
      " messages in all, fewer than one per replica of each quorum it claims to have reached (",
      required_sends_[j], "): the data must live on the replicas and reach them over the network"));
}

// The synchronous helpers share their result with the callback: after a hang
// the operation may still complete later, when this call has returned.
absl::Status KvCluster::Put(int j, const std::string& key, const std::string& value) {
  auto result = std::make_shared<std::optional<absl::Status>>();
  StartPut(j, key, value, [result](absl::Status s) { *result = std::move(s); });
  if (!world_.RunUntil([&result] { return result->has_value(); }, HangLimit())) {
    return absl::InternalError(absl::StrCat("Put(", key, ") never completed: it must finish ",
                                            "(OK or Unavailable) within op_timeout"));
  }
  return **result;
}

absl::StatusOr<GetResult> KvCluster::Get(int j, const std::string& key) {
  auto result = std::make_shared<std::optional<absl::StatusOr<GetResult>>>();
  StartGet(j, key, [result](absl::StatusOr<GetResult> r) { *result = std::move(r); });
  if (!world_.RunUntil([&result] { return result->has_value(); }, HangLimit())) {
    return absl::InternalError(absl::StrCat("Get(", key, ") never completed: it must finish ",
                                            "(OK or Unavailable) within op_timeout"));
  }
  return **result;
}

bool KvCluster::RunUntilQuiet() {
  return world_.RunUntil([this] { return in_flight_ == 0; }, HangLimit());
}

absl::Status KvCluster::CheckLinearizable() {
  const std::vector<KvOperation> ops = history_.ops();
  const CheckResult result = CheckKvOperations(ops);
  if (result.ok()) return absl::OkStatus();
  const std::string path = ArtifactPath("linearizability.html");
  // RunSeeds writes the trace viewer page of a failing seed there.
  const absl::Status written =
      WriteKvLinearizabilityHtml(path, ops, result, {.trace_page = ArtifactPath("trace.html")});
  return absl::FailedPreconditionError(
      absl::StrCat(VerdictName(result.verdict), ": ", result.message, "\nHistory page: ",
                   written.ok() ? DisplayPath(path) : std::string(written.message())));
}

}  // namespace auroralab::quorum_kv
