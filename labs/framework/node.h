// Node: a simulated server or client, written as handlers for messages and
// timers (as in DSLabs).
//
// A node never touches the world directly. It sees its NodeContext: its
// identity, virtual time, timers, RPC endpoint, disk and random stream. A
// crash destroys the Node and its context (volatile state, timers, pending
// calls); a restart builds a fresh Node through the same factory, and that
// new instance sees only what its disk kept.
//
//   class Counter : public Node {
//    public:
//     using Node::Node;
//     void Start() override {
//       ctx().rpc().Handle(kIncrement, [this](const IncRequest& r, Responder<IncReply> out) {...});
//     }
//   };
//   world.AddNode("c0", /*az=*/0, [](NodeContext& ctx) { return std::make_unique<Counter>(ctx); });
#ifndef AURORALAB_LABS_FRAMEWORK_NODE_H_
#define AURORALAB_LABS_FRAMEWORK_NODE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "labs/framework/disk.h"
#include "labs/framework/random.h"
#include "labs/framework/rpc.h"
#include "labs/framework/simulator.h"

namespace auroralab {

class World;

class NodeContext {
 public:
  NodeContext(World& world, NodeId id, uint64_t incarnation, Rng rng);
  ~NodeContext();
  NodeContext(const NodeContext&) = delete;
  NodeContext& operator=(const NodeContext&) = delete;

  NodeId id() const { return id_; }
  const std::string& name() const;
  int az() const;
  // 1 for the first start, +1 per restart.
  uint64_t incarnation() const { return incarnation_; }

  Time Now() const;
  // Runs `fn` after `delay` unless cancelled or this incarnation crashes first.
  EventId SetTimer(Duration delay, std::function<void()> fn);
  void CancelTimer(EventId id);

  RpcEndpoint& rpc() { return rpc_; }
  Disk& disk() { return disk_; }
  Rng& rng() { return rng_; }

  // A line in the trace, attributed to this node.
  void Log(std::string_view message);

  // Called by the world when this incarnation crashes: its timers never
  // fire, its endpoint and disk refuse everything from now on. The context
  // itself is freed after the running event (the node may have crashed
  // itself from its own code).
  void Close();

 private:
  World& world_;
  NodeId id_;
  uint64_t incarnation_;
  Rng rng_;
  // Shared with this incarnation's timers; false once it has crashed.
  std::shared_ptr<bool> alive_;
  RpcEndpoint rpc_;
  Disk disk_;
};

class Node {
 public:
  explicit Node(NodeContext& ctx) : ctx_(ctx) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Called once the node exists: register handlers, set timers, recover from
  // disk. Runs at every (re)start.
  virtual void Start() {}

 protected:
  NodeContext& ctx() { return ctx_; }
  const NodeContext& ctx() const { return ctx_; }

 private:
  NodeContext& ctx_;
};

using NodeFactory = std::function<std::unique_ptr<Node>(NodeContext&)>;

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_NODE_H_
