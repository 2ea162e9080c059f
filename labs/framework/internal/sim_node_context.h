// INTERNAL (engine): the NodeContext the world gives each node incarnation.
//
// It owns the incarnation's RPC endpoint and disk and marks its timers, so
// that a crash (Close) silences all three at once: no timer fires, the
// endpoint and disk refuse everything. Created and owned by World only.
#ifndef AURORALAB_LABS_FRAMEWORK_INTERNAL_SIM_NODE_CONTEXT_H_
#define AURORALAB_LABS_FRAMEWORK_INTERNAL_SIM_NODE_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "labs/framework/internal/sim_rpc_endpoint.h"
#include "labs/framework/node.h"
#include "labs/framework/random.h"
#include "labs/framework/sim_disk.h"

namespace auroralab {

class World;

class SimNodeContext final : public NodeContext {
 public:
  SimNodeContext(World& world, NodeId id, uint64_t incarnation, Rng rng);
  ~SimNodeContext() override;

  const std::string& name() const override;
  int az() const override;
  Time Now() const override;
  EventId SetTimer(Duration delay, std::function<void()> fn) override;
  void CancelTimer(EventId id) override;
  RpcEndpoint& rpc() override { return rpc_; }
  Disk& disk() override { return disk_; }
  Rng& rng() override { return rng_; }
  void Log(std::string_view message) override;

  // The engine's endpoint, which the world hands arriving packets.
  SimRpcEndpoint& endpoint() { return rpc_; }

  // Called by the world when this incarnation crashes: its timers never
  // fire, its endpoint and disk refuse everything from now on. The context
  // itself is freed after the running event (the node may have crashed
  // itself from its own code).
  void Close();

 private:
  World& world_;
  Rng rng_;
  // Shared with this incarnation's timers; false once it has crashed.
  std::shared_ptr<bool> alive_;
  SimRpcEndpoint rpc_;
  SimDisk disk_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_INTERNAL_SIM_NODE_CONTEXT_H_
