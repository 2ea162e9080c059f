// The provided storage-node shell (storage_node.h has the contract).
#include "labs/segments/storage_node.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace auroralab::segments {

absl::Status ValidateStorageNodeOptions(const StorageNodeOptions& options) {
  std::set<std::pair<PgId, int>> seen;
  for (const SegmentOptions& segment : options.segments) {
    if (absl::Status valid = ValidateSegmentOptions(segment); !valid.ok()) return valid;
    if (!seen.insert({segment.pg, segment.index}).second) {
      return absl::InvalidArgumentError(absl::StrCat("StorageNodeOptions: segment ", segment.index,
                                                     " of PG ", segment.pg, " listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<NodeFactory> StorageNodeFactory(StorageNodeOptions options) {
  if (absl::Status valid = ValidateStorageNodeOptions(options); !valid.ok()) return valid;
  return NodeFactory([options = std::move(options)](NodeContext& ctx) -> std::unique_ptr<Node> {
    return std::make_unique<StorageNode>(ctx, options);
  });
}

SegmentReplica* StorageNode::replica(PgId pg, int index) {
  auto it = replicas_.find({pg, index});
  return it == replicas_.end() ? nullptr : it->second.get();
}

std::unique_ptr<SegmentReplica> StorageNode::MakeReplica(const SegmentOptions& options) {
  return NewSegmentReplica(ctx(), options);
}


void StorageNode::Start() {
  for (const SegmentOptions& segment : options_.segments) {
    replicas_[{segment.pg, segment.index}] = MakeReplica(segment);
  }
  for (auto& [key, replica] : replicas_) replica->Start();
  ctx().rpc().Handle(kAppend, [this](const AppendRequest& request, Responder<AppendReply> out) {
    if (SegmentReplica* r = Route(request, out)) r->HandleAppend(request, std::move(out));
  });
  ctx().rpc().Handle(kGossip, [this](const GossipRequest& request, Responder<GossipReply> out) {
    if (SegmentReplica* r = Route(request, out)) r->HandleGossip(request, std::move(out));
  });
  ctx().rpc().Handle(kReadPage,
                     [this](const ReadPageRequest& request, Responder<ReadPageReply> out) {
                       if (SegmentReplica* r = Route(request, out)) {
                         r->HandleReadPage(request, std::move(out));
                       }
                     });
  ctx().rpc().Handle(kLowWaterMark,
                     [this](const LowWaterMarkRequest& request, Responder<LowWaterMarkReply> out) {
                       if (SegmentReplica* r = Route(request, out)) {
                         r->HandleLowWaterMark(request, std::move(out));
                       }
                     });
  RegisterMoreHandlers();
}

}  // namespace auroralab::segments
