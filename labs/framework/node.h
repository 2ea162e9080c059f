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
//
// Part of the student-facing API (//labs/framework:api), with rpc.h, disk.h,
// record_log.h, time.h, random.h and ids.h: everything a node's code may
// use. The engine that runs nodes (world.h, simulator.h, network.h, ...) is
// a separate target that lab implementations cannot depend on; see
// docs/framework.md.
#ifndef AURORALAB_LABS_FRAMEWORK_NODE_H_
#define AURORALAB_LABS_FRAMEWORK_NODE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "labs/framework/disk.h"
#include "labs/framework/ids.h"
#include "labs/framework/random.h"
#include "labs/framework/rpc.h"
#include "labs/framework/time.h"

namespace auroralab {

// What one incarnation of a node sees of the world. The engine implements
// it (one per incarnation) and keeps it alive exactly as long as the Node.
class NodeContext {
 public:
  NodeContext(const NodeContext&) = delete;
  NodeContext& operator=(const NodeContext&) = delete;
  virtual ~NodeContext() = default;

  NodeId id() const { return id_; }
  virtual const std::string& name() const = 0;
  virtual int az() const = 0;
  // 1 for the first start, +1 per restart.
  uint64_t incarnation() const { return incarnation_; }

  virtual Time Now() const = 0;
  // Runs `fn` after `delay` unless cancelled or this incarnation crashes first.
  virtual EventId SetTimer(Duration delay, std::function<void()> fn) = 0;
  virtual void CancelTimer(EventId id) = 0;

  virtual RpcEndpoint& rpc() = 0;
  virtual Disk& disk() = 0;
  virtual Rng& rng() = 0;

  // A line in the trace, attributed to this node.
  virtual void Log(std::string_view message) = 0;

 protected:
  NodeContext(NodeId id, uint64_t incarnation) : id_(id), incarnation_(incarnation) {}

 private:
  NodeId id_;
  uint64_t incarnation_;
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
