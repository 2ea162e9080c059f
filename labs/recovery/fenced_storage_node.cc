// The provided fenced storage node (fenced_storage_node.h has the contract).
#include "labs/recovery/fenced_storage_node.h"

#include <utility>

namespace auroralab::recovery {

absl::StatusOr<NodeFactory> FencedStorageNodeFactory(segments::StorageNodeOptions options) {
  if (absl::Status valid = segments::ValidateStorageNodeOptions(options); !valid.ok()) {
    return valid;
  }
  return NodeFactory([options = std::move(options)](NodeContext& ctx) -> std::unique_ptr<Node> {
    return std::make_unique<FencedStorageNode>(ctx, options);
  });
}

std::unique_ptr<SegmentReplica> FencedStorageNode::MakeReplica(const SegmentOptions& options) {
  return NewFencedReplica(ctx(), options, segments::NewSegmentReplica(ctx(), options));
}

void FencedStorageNode::RegisterMoreHandlers() {
  // Every replica here was made by MakeReplica, so it is a FencedReplica.
  ctx().rpc().Handle(kBumpEpoch,
                     [this](const BumpEpochRequest& request, Responder<BumpEpochReply> out) {
                       if (SegmentReplica* r = Route(request, out)) {
                         static_cast<FencedReplica*>(r)->HandleBumpEpoch(request, std::move(out));
                       }
                     });
  ctx().rpc().Handle(
      kSegmentState, [this](const SegmentStateRequest& request, Responder<SegmentStateReply> out) {
        if (SegmentReplica* r = Route(request, out)) {
          static_cast<FencedReplica*>(r)->HandleSegmentState(request, std::move(out));
        }
      });
  ctx().rpc().Handle(kTruncate,
                     [this](const TruncateRequest& request, Responder<TruncateReply> out) {
                       if (SegmentReplica* r = Route(request, out)) {
                         static_cast<FencedReplica*>(r)->HandleTruncate(request, std::move(out));
                       }
                     });
}

}  // namespace auroralab::recovery
