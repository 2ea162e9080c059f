// Lab 3: the provided part of the interface (option checks, factories).
#include "labs/recovery/recovery.h"

#include <utility>

namespace auroralab::recovery {

absl::Status ValidateClientOptions(const ClientOptions& options) {
  if (options.server < 0) return absl::InvalidArgumentError("ClientOptions.server is not set");
  if (options.attempt_timeout <= 0 || options.attempt_timeout > options.op_timeout) {
    return absl::InvalidArgumentError("ClientOptions: need 0 < attempt_timeout <= op_timeout");
  }
  return absl::OkStatus();
}

absl::StatusOr<NodeFactory> ClientFactory(ClientOptions options) {
  if (absl::Status valid = ValidateClientOptions(options); !valid.ok()) return valid;
  return NodeFactory([options = std::move(options)](NodeContext& ctx) -> std::unique_ptr<Node> {
    return NewClient(ctx, options);
  });
}

NodeFactory ServerFactory() {
  return [](NodeContext& ctx) { return NewServer(ctx); };
}

}  // namespace auroralab::recovery
