// Network: a fault-injecting message network between simulated nodes.
//
// Packets are bytes plus a small header (the RPC layer's "wire format").
// Every fault is its own knob and every random choice comes from the
// network's own Rng, forked from the world's seed:
//   - latency: base + jitter (uniform or exponential), times the slowness of
//     both ends; occasional long delays; long reordering;
//   - loss: requests and replies dropped independently; duplication;
//   - partitions: any grouping, one-way links, an isolated node or AZ; Heal();
//   - hold and release of all messages to a node;
//   - bandwidth per node (bytes/s), on both the sending and receiving side,
//     so ten times the bytes take ten times as long through one NIC.
// Links are checked when a packet is sent and again when it would arrive, so
// a partition also cuts messages already in flight.
//
// Every knob is validated: a config or a fault with a negative delay, a
// probability outside [0, 1], a NaN, infinite or absurd slowness, a negative
// bandwidth or an unknown node is a bug in the test script, reported at once
// (the process stops with a message naming the knob and the value, and the
// seed runner prints the seed and replay command) rather than a silently
// inverted fault. ValidateNetworkConfig checks a config without stopping.
// Latency arithmetic saturates: a message is never delivered earlier than
// its base latency.
//
// Faults have owners. The test's own calls (Partition, BlockLink, SetSlow,
// Heal, ...) and the nemesis's (FaultOwner::kNemesis) are kept apart: a link
// is cut while any owner cuts it, and a node's latency is multiplied by each
// owner's slowness, so undoing the nemesis's faults never undoes the
// test's, and the other way round.
//
// Accounting counts messages and bytes per node, per link and per method.
// "Sent" counts every message a node sent, including those dropped at once
// (to a nonexistent node, over a cut link, lost).
//
// Part of the engine (//labs/framework:engine), which tests, harnesses and
// tools use; a lab implementation cannot (it gets //labs/framework:api).
#ifndef AURORALAB_LABS_FRAMEWORK_NETWORK_H_
#define AURORALAB_LABS_FRAMEWORK_NETWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "labs/framework/ids.h"
#include "labs/framework/random.h"
#include "labs/framework/simulator.h"
#include "labs/framework/time.h"
#include "labs/framework/trace.h"

namespace auroralab {

// RPC method names are interned: a packet carries a small number, not a
// string. Ids are handed out in order of first use and are only ever looked
// up (the trace and the statistics use the names), so the order never leaks
// into a run. Like the rest of a simulation, not thread-safe.
using MethodId = uint32_t;
inline constexpr MethodId kNoMethod = 0;  // the empty name
MethodId InternMethod(std::string_view name);

struct InternedMethod {
  std::string name;
  uint64_t trace_hash;  // Trace::HashDetail(name)
};
namespace network_internal {
// The interned methods by MethodId: a table InternMethod() keeps up to date.
// Plain constant-initialized pointers, so lookups work at any time, even
// during static initialization or after static destructors have run.
inline const InternedMethod* const* interned_methods = nullptr;
inline size_t interned_method_count = 0;
const InternedMethod& NoMethod();
}  // namespace network_internal

inline const InternedMethod& GetMethod(MethodId id) {
  return id < network_internal::interned_method_count ? *network_internal::interned_methods[id]
                                                      : network_internal::NoMethod();
}
inline const std::string& MethodName(MethodId id) { return GetMethod(id).name; }

enum class PacketKind : uint8_t { kRequest, kReply };

struct Packet {
  NodeId from = -1;
  NodeId to = -1;
  uint64_t from_incarnation = 0;
  // The incarnation of `to` the packet is for: for a request, stamped by the
  // world when it is sent; for a reply, the caller's incarnation at the call.
  // A packet for an incarnation that has since crashed is dropped, even if
  // the node has restarted.
  uint64_t to_incarnation = 0;
  PacketKind kind = PacketKind::kRequest;
  uint64_t call_id = 0;
  MethodId method = kNoMethod;
  int status_code = 0;  // absl::StatusCode of a reply
  std::string status_message;
  std::string body;  // a serialized protobuf message

  // Bytes on the wire, for bandwidth and accounting: a fixed header plus the
  // variable parts.
  int64_t WireBytes() const {
    return 24 +
           static_cast<int64_t>(MethodName(method).size() + status_message.size() + body.size());
  }

  // Every field back to its default, but the strings keep their buffers (a
  // recycled packet allocates nothing). Keep in step with the fields above.
  void Clear() {
    from = -1;
    to = -1;
    from_incarnation = 0;
    to_incarnation = 0;
    kind = PacketKind::kRequest;
    call_id = 0;
    method = kNoMethod;
    status_code = 0;
    status_message.clear();
    body.clear();
    parked_at = kNotParked;
  }

  // Owned by the network: where it keeps this packet while it is in flight
  // (see Network::NewPacket).
  static constexpr uint32_t kNotParked = UINT32_MAX;
  uint32_t parked_at = kNotParked;
};

enum class LatencyDistribution { kUniform, kExponential };

// Who applied a fault; each owner's faults are undone independently.
enum class FaultOwner : uint8_t { kTest, kNemesis };

// The largest latency multiplier SetSlow accepts: a million times slower is
// "unreachable" in any lab's time scale, and keeps the arithmetic finite.
inline constexpr double kMaxSlowness = 1e6;
// The largest bandwidth accepted (bytes per second): 1 TB/s.
inline constexpr int64_t kMaxBandwidth = int64_t{1} << 40;

struct NetworkConfig {
  // One-way latency = base_latency + jitter drawn from the distribution
  // (uniform in [0, jitter], or exponential with mean `jitter`).
  Duration base_latency = Micros(200);
  Duration jitter = Micros(300);
  LatencyDistribution distribution = LatencyDistribution::kUniform;

  double drop_request_probability = 0;
  double drop_reply_probability = 0;
  double duplicate_probability = 0;

  // With this probability a message is delayed by an extra uniform
  // [0, long_delay_max].
  double long_delay_probability = 0;
  Duration long_delay_max = 0;

  // Long reordering (6.824's "long reordering"): with this probability a
  // reply is held an extra uniform [reorder_min, reorder_max].
  double reorder_probability = 0;
  Duration reorder_min = 0;
  Duration reorder_max = 0;

  // Bytes per second through each node's NIC, each direction; 0: unlimited.
  int64_t bandwidth_bytes_per_second = 0;

  // Fast and lossless.
  static NetworkConfig Reliable();
  // Like MIT 6.824's labrpc unreliable mode: 10% of requests and of replies
  // lost, up to 26ms added latency, and some long reordering of replies.
  static NetworkConfig Unreliable();
  // "Swarm testing": every knob is switched on or off, and set, at random
  // from `rng` (so from the world's seed), within bounds a correct protocol
  // must tolerate: at most 20% loss each way, 10% duplication, 50ms jitter,
  // occasional long delays and reordering. Different seeds explore
  // different mixes of faults instead of one fixed blend.
  static NetworkConfig Swarm(Rng& rng);
};

// OK, or InvalidArgument naming the first bad knob.
absl::Status ValidateNetworkConfig(const NetworkConfig& config);

struct TrafficCounter {
  uint64_t messages = 0;
  uint64_t bytes = 0;
};

struct NetworkStats {
  std::vector<TrafficCounter> sent_by_node;  // index: NodeId
  // Reached the node's network interface (a node that is down, or restarted
  // since the send, still drops it; the trace shows those drops).
  std::vector<TrafficCounter> received_by_node;                 // index: NodeId
  std::map<std::pair<NodeId, NodeId>, TrafficCounter> by_link;  // sent
  std::map<std::string, TrafficCounter> by_method;              // sent
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  TrafficCounter total_sent;
};

class Network {
 public:
  // Receives each arriving packet; it may move from it.
  using DeliverFn = std::function<void(Packet&)>;

  Network(Simulator& sim, NetworkConfig config);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Where arriving packets go (the world, which routes them to nodes).
  void set_deliver(DeliverFn deliver) { deliver_ = std::move(deliver); }
  void AddNode(NodeId id, int az);
  int num_nodes() const { return static_cast<int>(az_of_.size()); }
  int az_of(NodeId id) const { return az_of_.at(id); }

  // A blank packet, owned by the network, to fill in and pass to Send(). Its
  // buffers are recycled from packets already delivered, so steady traffic
  // allocates nothing. Valid until it is sent; every NewPacket() must be
  // sent or discarded.
  Packet& NewPacket();
  // Gives back a packet from NewPacket() without sending it.
  void Discard(Packet& packet);
  // Sends `packet` subject to every fault currently configured. A packet
  // from NewPacket() is sent in place; any other is moved into the network.
  void Send(Packet&& packet);

  const NetworkConfig& config() const { return config_; }
  // Stops the run with ValidateNetworkConfig's message if it refuses.
  void set_config(const NetworkConfig& config);

  // Partitions: nodes in different groups cannot reach each other; a node in
  // no group is cut off from everyone. Replaces every earlier cut of the
  // test's (partition, isolation, blocked link); nodes added later are not
  // cut off. Every node named must exist, and be in one group only.
  void Partition(const std::vector<std::vector<NodeId>>& groups);
  void Isolate(NodeId node);  // adds to the current cuts
  void IsolateAz(int az);     // adds to the current cuts
  // The links (both directions) that Isolate / IsolateAz cut.
  std::vector<std::pair<NodeId, NodeId>> IsolationLinks(NodeId node) const;
  std::vector<std::pair<NodeId, NodeId>> AzIsolationLinks(int az) const;
  void BlockLink(NodeId from, NodeId to);  // one-way
  void UnblockLink(NodeId from, NodeId to);
  // Cuts every listed (from, to) link on behalf of `owner`, and reopens
  // them: each owner's cuts are its own, so UnblockLinks by one owner never
  // reopens a link another owner cut. `why` goes into the trace.
  void BlockLinks(const std::vector<std::pair<NodeId, NodeId>>& links, std::string_view why,
                  FaultOwner owner = FaultOwner::kTest);
  void UnblockLinks(const std::vector<std::pair<NodeId, NodeId>>& links, std::string_view why,
                    FaultOwner owner = FaultOwner::kTest);
  // Removes every partition and blocked link of the test's (slowness, holds
  // and bandwidth are separate knobs and stay; a nemesis's cuts end when the
  // nemesis undoes them).
  void Heal();
  bool CanReach(NodeId from, NodeId to) const {
    return (blocked_.empty() || !blocked_.contains({from, to})) &&
           (nemesis_blocked_.empty() || !nemesis_blocked_.contains({from, to}));
  }

  // Multiplies the latency of every message to or from `node` by
  // `latency_multiplier` (1 = normal; finite, in [0, kMaxSlowness]), on
  // behalf of `owner`: the effective slowness is the product of the owners'.
  void SetSlow(NodeId node, double latency_multiplier, FaultOwner owner = FaultOwner::kTest);
  // The effective latency multiplier of `node` (1 for an unknown node).
  double slowness(NodeId node) const;
  // Holds every message arriving for `node` until Release(node).
  void Hold(NodeId node);
  void Release(NodeId node);
  // Overrides the configured bandwidth for one node (0 = unlimited;
  // at most kMaxBandwidth).
  void SetBandwidth(NodeId node, int64_t bytes_per_second);

  // A snapshot of the counters (maps built on demand, in sorted order).
  const NetworkStats& stats() const;
  void ResetStats();

  // For tests that memory follows what is used: link counters allocated.
  size_t TEST_link_counter_slots() const;
  size_t TEST_method_counter_slots() const { return method_counters_.size(); }

 private:
  struct NodeState {
    double slowness = 1.0;  // the product of the owners' below
    double test_slowness = 1.0;
    double nemesis_slowness = 1.0;
    bool held = false;
    std::vector<Packet> held_packets;
    int64_t bandwidth = -1;  // -1: use config_
    Time egress_free_at = 0;
    Time ingress_free_at = 0;
  };

  Duration DrawLatency(const Packet& p);
  int64_t BandwidthOf(NodeId node) const {
    const int64_t b = nodes_[node].bandwidth;
    return b >= 0 ? b : config_.bandwidth_bytes_per_second;
  }
  Duration TransmitTime(int64_t bytes, int64_t bandwidth) const;
  // In-flight packets live in slots of `parked_` from Send until delivery or
  // loss: scheduled events capture only the slot number (small enough for
  // std::function's inline storage: no allocation), and the packet itself is
  // never moved on the way.
  uint32_t Park(Packet packet);
  uint32_t TakeSlot() {
    if (free_slots_.empty()) return NewSlot();
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  uint32_t NewSlot();
  // Frees the slot; its packet's body buffer stays for the next NewPacket()
  // unless it is larger than this.
  static constexpr size_t kKeepBufferBytes = 64 * 1024;
  void Unpark(uint32_t slot) {
    Packet& p = *parked_[slot];
    if (p.body.capacity() > kKeepBufferBytes) std::string().swap(p.body);
    p.parked_at = Packet::kNotParked;
    free_slots_.push_back(slot);
  }
  // Transmits one copy: egress queueing, latency, then Arrive().
  void Transmit(uint32_t slot);
  void Arrive(uint32_t slot);
  void Deliver(uint32_t slot);
  void Drop(const Packet& p, std::string_view why);
  void CountSent(const Packet& p);
  void LogChange(std::string_view what);
  // Stops the run, naming the knob, if `node` does not exist.
  void CheckNode(NodeId node, std::string_view what) const;
  [[noreturn]] void Refuse(const std::string& message) const;

  Simulator& sim_;
  NetworkConfig config_;
  Rng rng_;
  DeliverFn deliver_;
  std::vector<int> az_of_;
  std::vector<NodeState> nodes_;
  std::set<std::pair<NodeId, NodeId>> blocked_;          // the test's; directed (from, to)
  std::set<std::pair<NodeId, NodeId>> nemesis_blocked_;  // the nemesis's
  // Each packet on the heap, so that packets keep their address while
  // delivery of one of them parks new ones.
  std::vector<std::unique_ptr<Packet>> parked_;
  std::vector<uint32_t> free_slots_;
  // Hot-path counters; stats() turns them into NetworkStats' sorted maps.
  // [from][to], each row grown only as far as `from` sends: memory follows
  // the links in use, and adding a node copies nothing.
  std::vector<std::vector<TrafficCounter>> link_counters_;
  // (method, counter) for the methods this network carried: a handful, so
  // a short vector beats a table indexed by the process-wide MethodId.
  std::vector<std::pair<MethodId, TrafficCounter>> method_counters_;
  mutable NetworkStats stats_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_NETWORK_H_
