// The lab 3 test harness (see harness.h).
#include "labs/recovery/harness.h"

#include <memory>
#include <optional>
#include <utility>

namespace auroralab::recovery {

RecoveryCluster::RecoveryCluster(World& world, ClientOptions options)
    : world_(world), options_(std::move(options)) {
  server_ = world_.AddNode("s0", /*az=*/0, ServerFactory());
  options_.server = server_;
  absl::StatusOr<NodeFactory> factory = ClientFactory(options_);
  if (!factory.ok()) {
    status_ = factory.status();
    return;
  }
  client_ = world_.AddNode("c0", /*az=*/1, *std::move(factory));
}

void RecoveryCluster::StartPut(const std::string& key, const std::string& value,
                              std::function<void(absl::Status)> done) {
  if (!status_.ok()) return done(status_);
  ClientNode().Put(key, value, std::move(done));
}

absl::Status RecoveryCluster::Put(const std::string& key, const std::string& value) {
  // Shared with the callback, which may outlive this call if the put hangs.
  auto result = std::make_shared<std::optional<absl::Status>>();
  StartPut(key, value, [result](absl::Status status) { *result = std::move(status); });
  if (!world_.RunUntil([result] { return result->has_value(); }, HangLimit())) {
    return absl::DeadlineExceededError("Put never completed: its done callback was not called");
  }
  return **result;
}

absl::StatusOr<GetResult> RecoveryCluster::Get(const std::string& key) {
  if (!status_.ok()) return status_;
  auto result = std::make_shared<std::optional<absl::StatusOr<GetResult>>>();
  ClientNode().Get(key, [result](absl::StatusOr<GetResult> got) { *result = std::move(got); });
  if (!world_.RunUntil([result] { return result->has_value(); }, HangLimit())) {
    return absl::DeadlineExceededError("Get never completed: its done callback was not called");
  }
  return **result;
}

}  // namespace auroralab::recovery
