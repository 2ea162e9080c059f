// StorageNode: the provided storage-node shell of labs 2 to 5. It hosts any
// number of segment replicas (lab 2: one; lab 4: many PGs per node), each
// built with NewSegmentReplica, keyed by (PG, segment index) in an ordered
// map, and routes every RPC of labs/segments/segments.h to the replica the
// request names. A request for a replica the node does not host gets
// NotFound. Replicas share the node's disk, each in the file namespace
// SegmentFilePrefix(pg, index).
//
// Contract: Start() (every incarnation) builds fresh replicas from the same
// options and starts them in (pg, index) order, so each recovers from its
// files; then it registers the handlers. Later labs subclass it to wrap the
// replicas and add methods (MakeReplica, RegisterMoreHandlers).
#ifndef AURORALAB_LABS_SEGMENTS_STORAGE_NODE_H_
#define AURORALAB_LABS_SEGMENTS_STORAGE_NODE_H_

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "labs/framework/node.h"
#include "labs/segments/segments.h"

namespace auroralab::segments {

struct StorageNodeOptions {
  // The replicas this node hosts; each must pass ValidateSegmentOptions and
  // no (pg, index) may repeat.
  std::vector<SegmentOptions> segments;
};

absl::Status ValidateStorageNodeOptions(const StorageNodeOptions& options);

class StorageNode : public Node {
 public:
  StorageNode(NodeContext& ctx, StorageNodeOptions options)
      : Node(ctx), options_(std::move(options)) {}

  void Start() override;

  // The hosted replica, or null.
  SegmentReplica* replica(PgId pg, int index);

 protected:
  // Builds one replica at every start (lab 2: NewSegmentReplica). A later
  // lab's node (lab 3's fenced storage node) wraps it.
  virtual std::unique_ptr<SegmentReplica> MakeReplica(const SegmentOptions& options);
  // Runs at the end of Start(): a later lab registers its own methods here.
  virtual void RegisterMoreHandlers() {}

  // Finds the replica of a request; answers NotFound on `responder` if none.
  template <typename Request, typename Reply>
  SegmentReplica* Route(const Request& request, const Responder<Reply>& responder);

 private:
  StorageNodeOptions options_;
  std::map<std::pair<PgId, int>, std::unique_ptr<SegmentReplica>> replicas_;
};

template <typename Request, typename Reply>
SegmentReplica* StorageNode::Route(const Request& request, const Responder<Reply>& responder) {
  SegmentReplica* target = replica(request.pg(), static_cast<int>(request.segment()));
  if (target == nullptr) {
    responder.Fail(absl::NotFoundError(absl::StrCat(ctx().name(), " hosts no segment ",
                                                    request.segment(), " of PG ", request.pg())));
  }
  return target;
}

// A factory for World::AddNode that validates `options` first.
absl::StatusOr<NodeFactory> StorageNodeFactory(StorageNodeOptions options);

}  // namespace auroralab::segments

#endif  // AURORALAB_LABS_SEGMENTS_STORAGE_NODE_H_
