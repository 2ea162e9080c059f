// FencedStorageNode: the provided storage-node shell of lab 3. Lab 2's
// StorageNode with every replica wrapped: it builds the lab 2 replica
// (NewSegmentReplica), hands it to the student's NewFencedReplica, and
// routes lab 2's four methods and lab 3's three (BumpEpoch, SegmentState,
// Truncate) to the wrapper.
//
// Contract: as lab 2's StorageNode (fresh replicas at every start, started
// in (pg, index) order, NotFound for a replica it does not host).
#ifndef AURORALAB_LABS_RECOVERY_FENCED_STORAGE_NODE_H_
#define AURORALAB_LABS_RECOVERY_FENCED_STORAGE_NODE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "labs/framework/node.h"
#include "labs/recovery/recovery.h"
#include "labs/segments/storage_node.h"

namespace auroralab::recovery {

class FencedStorageNode : public segments::StorageNode {
 public:
  using StorageNode::StorageNode;

  // The hosted replica, or null.
  FencedReplica* fenced(PgId pg, int index) {
    return static_cast<FencedReplica*>(replica(pg, index));
  }

 protected:
  std::unique_ptr<SegmentReplica> MakeReplica(const SegmentOptions& options) override;
  void RegisterMoreHandlers() override;
};

absl::StatusOr<NodeFactory> FencedStorageNodeFactory(segments::StorageNodeOptions options);

}  // namespace auroralab::recovery

#endif  // AURORALAB_LABS_RECOVERY_FENCED_STORAGE_NODE_H_
