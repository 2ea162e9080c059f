// World: one simulated run: the simulator, the network, the nodes and their
// disks, all driven by a single seed.
//
// Tests build a world, add nodes, script faults, and run virtual time:
//
//   World world(WorldOptions{.seed = seed});
//   NodeId a = world.AddNode("a", /*az=*/0, factory);
//   world.At(Millis(100), "crash a", [&] { world.Crash(a); });
//   world.RunFor(Seconds(1));
//
// The same options and seed always give the same run; trace().digest()
// proves it. Nothing here reads the wall clock, spawns threads or iterates
// a hash container.
//
// Fault entry points (what a test may do to the world; each is traced):
//   - nodes: Crash, Restart (a node may even be crashed from inside its own
//     handler, RPC callback or timer: it is closed at once and freed after
//     the running event);
//   - disks: FailNextSyncs, FailNextWrites (injected I/O errors);
//   - the network: network().Partition / Isolate / IsolateAz / BlockLink /
//     Heal / SetSlow / Hold / Release / SetBandwidth / set_config;
//   - crash points: CrashAfterEvents (between any two events) and a
//     delivery observer that may crash a node right after it handled a
//     given packet (SetDeliveryObserver);
//   - random faults: StartNemesis (below). The nemesis's faults and the
//     test's are owned separately: undoing one never undoes the other. A
//     node either of them crashed stays down until its owner(s) restart it
//     (a test's Restart restarts it whatever the nemesis did).
// Bad input (an unknown node, an invalid config or knob) is refused with a
// clear error: InvalidArgument from the knob, or, for the options given to
// the constructor, an abort that names the bad field.
//
// Part of the engine (//labs/framework:engine), which tests, harnesses and
// tools use; a lab implementation cannot (it gets //labs/framework:api).
#ifndef AURORALAB_LABS_FRAMEWORK_WORLD_H_
#define AURORALAB_LABS_FRAMEWORK_WORLD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "labs/framework/network.h"
#include "labs/framework/node.h"
#include "labs/framework/sim_disk.h"
#include "labs/framework/simulator.h"
#include "labs/framework/trace.h"

namespace auroralab {

class SimNodeContext;  // internal/sim_node_context.h

struct WorldOptions {
  uint64_t seed = 1;
  NetworkConfig network;
  DiskConfig disk;
  // Keep trace events in memory (for replay files); the digest is kept
  // either way. Benchmarks turn this off.
  bool keep_trace = true;
  // With keep_trace: keep only the most recent N events (0: all). For long
  // runs, where the whole trace would not fit in memory (~150 bytes/event).
  size_t trace_keep_last = 0;
};

// OK, or InvalidArgument naming the first bad field.
absl::Status ValidateWorldOptions(const WorldOptions& options);

class World {
 public:
  explicit World(WorldOptions options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  uint64_t seed() const { return sim_.seed(); }
  Simulator& sim() { return sim_; }
  Network& network() { return network_; }
  Trace& trace() { return sim_.trace(); }
  Time Now() const { return sim_.Now(); }
  const DiskConfig& disk_config() const { return options_.disk; }

  // Adds and starts a node in availability zone `az`.
  NodeId AddNode(std::string name, int az, NodeFactory factory);
  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  const std::string& name(NodeId id) const { return nodes_.at(id).name; }
  int az(NodeId id) const { return nodes_.at(id).az; }
  std::vector<NodeId> NodesInAz(int az) const;

  bool IsUp(NodeId id) const { return nodes_.at(id).instance != nullptr; }
  uint64_t incarnation(NodeId id) const { return nodes_.at(id).incarnation; }
  // Crash: the node's memory, timers and pending calls are gone; its disk
  // keeps only synced data (maybe a torn unsynced tail). If the node is
  // already down (say the nemesis crashed it), it now stays down until the
  // test restarts it.
  void Crash(NodeId id);
  // Restart a crashed node from its disk. No-op if up.
  void Restart(NodeId id);
  // The crash and restart of one owner: the node is down while any owner
  // keeps it down. Crash/Restart above are the test's (Restart clears every
  // owner).
  void CrashFor(FaultOwner owner, NodeId id);
  void RestartFor(FaultOwner owner, NodeId id);

  // Disk faults: the next `n` Syncs (or Append/Write/Remove calls) of node
  // `id`'s disk fail with Unavailable, across restarts.
  void FailNextSyncs(NodeId id, int n);
  void FailNextWrites(NodeId id, int n);

  // The running instance of node `id`, as type T (a test's view into a
  // client node, for example). Aborts if the node is down or not a T.
  template <typename T>
  T& node(NodeId id) {
    Node* n = nodes_.at(id).instance.get();
    T* t = dynamic_cast<T*>(n);
    if (t == nullptr) NodeTypeError(id);
    return *t;
  }

  // The persistent state of a node's disk (what a crash keeps), for tests
  // that inspect it.
  const DiskState& disk_state(NodeId id) const { return *nodes_.at(id).disk; }

  // Runs `action` at virtual time `when` and notes it in the trace.
  void At(Time when, std::string description, std::function<void()> action);

  // Crash points (lab 3 crashes a writer anywhere). CrashAfterEvents
  // crashes node `id` between two events: right after `n` more events
  // (n >= 1) have run, before the next one starts. One crash point is
  // pending at a time; a new call replaces it. Traced like Crash.
  void CrashAfterEvents(NodeId id, uint64_t n);
  // What the delivery observer is told about a packet a live node has just
  // handled (its handler or RPC callback ran).
  struct Delivery {
    NodeId from = -1;
    NodeId to = -1;
    std::string_view method;
    bool reply = false;
    bool ok = true;  // a reply with OK status (always true for a request)
  };
  // Calls `observer` after every delivered packet was handled (null: none).
  // It may crash nodes ("crash the writer right after the 4th reply to
  // BumpEpoch reached it" is a named point inside recovery) and replace or
  // clear itself.
  void SetDeliveryObserver(std::function<void(const Delivery&)> observer);

  // Runs until `done()` or until `max` more virtual time has passed.
  bool RunUntil(const std::function<bool()>& done, Duration max);
  void RunFor(Duration d) { sim_.RunFor(d); }

 private:
  friend class SimNodeContext;
  struct NodeSlot {
    std::string name;
    int az = 0;
    NodeFactory factory;
    uint64_t incarnation = 0;
    std::unique_ptr<DiskState> disk;
    std::unique_ptr<SimNodeContext> ctx;
    std::unique_ptr<Node> instance;
    uint8_t down_owners = 0;  // bit (1 << FaultOwner) per owner keeping it down
  };
  // A crashed incarnation whose code may still be running (it crashed
  // itself): freed after the running event. The instance goes first.
  struct Crashed {
    std::unique_ptr<SimNodeContext> ctx;
    std::unique_ptr<Node> instance;
  };

  void StartIncarnation(NodeId id);
  void CrashNow(NodeId id);
  void FreeCrashed();
  void SendFrom(Packet& packet);
  void Deliver(Packet& packet);
  [[noreturn]] void NodeTypeError(NodeId id) const;

  WorldOptions options_;
  Simulator sim_;
  Network network_;
  std::vector<NodeSlot> nodes_;
  std::vector<Crashed> crashed_;
  bool free_crashed_scheduled_ = false;
  std::function<void(const Delivery&)> delivery_observer_;
};

// A random fault generator (a "nemesis"), every choice drawn from the world's
// seed. It applies one fault at a time for `fault_duration`, then undoes just
// that fault (faults a test scripted itself stay) and waits `interval` before
// the next, until `until`.
struct NemesisOptions {
  std::vector<NodeId> targets;  // nodes it may crash, isolate or slow down
  Time until = Seconds(10);
  Duration interval = Millis(300);
  Duration fault_duration = Millis(500);
  int max_nodes_down = 1;  // crashes or isolations at once
  bool crashes = true;
  bool partitions = true;
  bool az_outages = false;  // isolates a whole AZ (ignores max_nodes_down)
  bool slow_nodes = true;
  double slow_multiplier = 20;
};
void StartNemesis(World& world, NemesisOptions options);

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_WORLD_H_
