#include "labs/framework/network.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace auroralab {
namespace {

// The interned methods: by name, and in order of id. Never freed, so ids
// stay valid for the life of the process.
struct MethodRegistry {
  std::map<std::string, MethodId, std::less<>> ids;
  std::deque<InternedMethod> methods;        // stable addresses
  std::vector<const InternedMethod*> table;  // what GetMethod() reads
};

MethodRegistry& Registry() {
  static auto* registry = new MethodRegistry();
  return *registry;
}

}  // namespace

const InternedMethod& network_internal::NoMethod() {
  static const auto* none = new InternedMethod{"", Trace::HashDetail("")};
  return *none;
}

MethodId InternMethod(std::string_view name) {
  MethodRegistry& r = Registry();
  if (r.table.empty()) r.table.push_back(&network_internal::NoMethod());  // kNoMethod
  if (name.empty()) return kNoMethod;
  auto it = r.ids.find(name);
  if (it != r.ids.end()) return it->second;
  const auto id = static_cast<MethodId>(r.table.size());
  r.methods.push_back(InternedMethod{std::string(name), Trace::HashDetail(name)});
  r.table.push_back(&r.methods.back());
  r.ids.emplace(std::string(name), id);
  network_internal::interned_methods = r.table.data();
  network_internal::interned_method_count = r.table.size();
  return id;
}

NetworkConfig NetworkConfig::Reliable() { return NetworkConfig(); }

NetworkConfig NetworkConfig::Unreliable() {
  NetworkConfig c;
  c.base_latency = Micros(200);
  c.jitter = Millis(26);
  c.drop_request_probability = 0.1;
  c.drop_reply_probability = 0.1;
  c.duplicate_probability = 0.02;
  c.reorder_probability = 0.05;
  c.reorder_min = Millis(200);
  c.reorder_max = Millis(2200);
  return c;
}

NetworkConfig NetworkConfig::Swarm(Rng& rng) {
  NetworkConfig c;
  c.base_latency = rng.UniformInt(Micros(50), Millis(2));
  c.jitter = rng.UniformInt(0, Millis(50));
  c.distribution =
      rng.Bernoulli(0.5) ? LatencyDistribution::kUniform : LatencyDistribution::kExponential;
  // Each fault is present in about half of the runs.
  if (rng.Bernoulli(0.5)) c.drop_request_probability = rng.UniformDouble() * 0.2;
  if (rng.Bernoulli(0.5)) c.drop_reply_probability = rng.UniformDouble() * 0.2;
  if (rng.Bernoulli(0.5)) c.duplicate_probability = rng.UniformDouble() * 0.1;
  if (rng.Bernoulli(0.5)) {
    c.long_delay_probability = rng.UniformDouble() * 0.05;
    c.long_delay_max = rng.UniformInt(Millis(10), Millis(500));
  }
  if (rng.Bernoulli(0.5)) {
    c.reorder_probability = rng.UniformDouble() * 0.1;
    c.reorder_min = rng.UniformInt(Millis(1), Millis(50));
    c.reorder_max = c.reorder_min + rng.UniformInt(0, Millis(500));
  }
  return c;
}

absl::Status ValidateNetworkConfig(const NetworkConfig& c) {
  auto bad = [](const std::string& knob, auto value, const std::string& rule) {
    return absl::InvalidArgumentError(
        absl::StrCat("network config: ", knob, " = ", value, " (", rule, ")"));
  };
  auto probability = [](double p) { return p >= 0 && p <= 1; };  // false for NaN
  if (c.base_latency < 0) return bad("base_latency", c.base_latency, "must be >= 0");
  if (c.jitter < 0) return bad("jitter", c.jitter, "must be >= 0");
  if (!probability(c.drop_request_probability)) {
    return bad("drop_request_probability", c.drop_request_probability, "must be in [0, 1]");
  }
  if (!probability(c.drop_reply_probability)) {
    return bad("drop_reply_probability", c.drop_reply_probability, "must be in [0, 1]");
  }
  if (!probability(c.duplicate_probability)) {
    return bad("duplicate_probability", c.duplicate_probability, "must be in [0, 1]");
  }
  if (!probability(c.long_delay_probability)) {
    return bad("long_delay_probability", c.long_delay_probability, "must be in [0, 1]");
  }
  if (c.long_delay_max < 0) return bad("long_delay_max", c.long_delay_max, "must be >= 0");
  if (!probability(c.reorder_probability)) {
    return bad("reorder_probability", c.reorder_probability, "must be in [0, 1]");
  }
  if (c.reorder_min < 0) return bad("reorder_min", c.reorder_min, "must be >= 0");
  if (c.reorder_max < c.reorder_min) {
    return bad("reorder_max", c.reorder_max, "must be >= reorder_min");
  }
  if (c.bandwidth_bytes_per_second < 0 || c.bandwidth_bytes_per_second > kMaxBandwidth) {
    return bad("bandwidth_bytes_per_second", c.bandwidth_bytes_per_second,
               absl::StrCat("must be in [0, ", kMaxBandwidth, "]"));
  }
  return absl::OkStatus();
}

Network::Network(Simulator& sim, NetworkConfig config)
    : sim_(sim), config_(config), rng_(sim.rng().Fork()) {}

void Network::AddNode(NodeId id, int az) {
  if (id < 0) return;
  if (id >= num_nodes()) {
    // Amortized growth: vectors double, and nothing per link is copied.
    const size_t n = id + 1;
    az_of_.resize(n, 0);
    nodes_.resize(n);
    link_counters_.resize(n);
    stats_.sent_by_node.resize(n);
    stats_.received_by_node.resize(n);
  }
  az_of_[id] = az;
}

size_t Network::TEST_link_counter_slots() const {
  size_t slots = 0;
  for (const auto& row : link_counters_) slots += row.capacity();
  return slots;
}

const NetworkStats& Network::stats() const {
  stats_.by_link.clear();
  for (size_t a = 0; a < link_counters_.size(); ++a) {
    for (size_t b = 0; b < link_counters_[a].size(); ++b) {
      const TrafficCounter& c = link_counters_[a][b];
      if (c.messages > 0) stats_.by_link[{static_cast<NodeId>(a), static_cast<NodeId>(b)}] = c;
    }
  }
  stats_.by_method.clear();
  for (const auto& [id, counter] : method_counters_) {
    if (counter.messages > 0) stats_.by_method[MethodName(id)] = counter;
  }
  return stats_;
}

void Network::set_config(const NetworkConfig& config) {
  if (absl::Status valid = ValidateNetworkConfig(config); !valid.ok()) {
    Refuse(std::string(valid.message()));
  }
  config_ = config;
  LogChange("config changed");
}

void Network::Refuse(const std::string& message) const {
  std::fprintf(stderr, "auroralab: refused network fault: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

void Network::CheckNode(NodeId node, std::string_view what) const {
  if (node >= 0 && node < num_nodes()) return;
  Refuse(
      absl::StrCat(std::string(what), ": no node ", node, " (the network has ", num_nodes(), ")"));
}

void Network::LogChange(std::string_view what) {
  sim_.trace().Record(sim_.Now(), TraceKind::kNetwork, -1, -1, what);
}

void Network::Partition(const std::vector<std::vector<NodeId>>& groups) {
  std::vector<int> group_of(az_of_.size(), -1);
  std::string description = "partition";
  for (size_t g = 0; g < groups.size(); ++g) {
    absl::StrAppend(&description, g == 0 ? " " : " | ");
    for (NodeId n : groups[g]) {
      CheckNode(n, "partition");
      if (group_of[n] >= 0 && group_of[n] != static_cast<int>(g)) {
        Refuse(absl::StrCat("partition: node ", n, " is in two groups"));
      }
      group_of[n] = static_cast<int>(g);
      absl::StrAppend(&description, n, " ");
    }
  }
  blocked_.clear();
  for (NodeId a = 0; a < num_nodes(); ++a) {
    for (NodeId b = 0; b < num_nodes(); ++b) {
      if (a != b && (group_of[a] < 0 || group_of[a] != group_of[b])) blocked_.insert({a, b});
    }
  }
  LogChange(description);
}

std::vector<std::pair<NodeId, NodeId>> Network::IsolationLinks(NodeId node) const {
  std::vector<std::pair<NodeId, NodeId>> links;
  for (NodeId other = 0; other < num_nodes(); ++other) {
    if (other == node) continue;
    links.push_back({node, other});
    links.push_back({other, node});
  }
  return links;
}

std::vector<std::pair<NodeId, NodeId>> Network::AzIsolationLinks(int az) const {
  std::vector<std::pair<NodeId, NodeId>> links;
  for (NodeId a = 0; a < num_nodes(); ++a) {
    for (NodeId b = 0; b < num_nodes(); ++b) {
      if ((az_of_[a] == az) != (az_of_[b] == az)) links.push_back({a, b});
    }
  }
  return links;
}

void Network::Isolate(NodeId node) {
  CheckNode(node, "isolate");
  BlockLinks(IsolationLinks(node), absl::StrCat("isolate node ", node));
}

void Network::IsolateAz(int az) {
  BlockLinks(AzIsolationLinks(az), absl::StrCat("isolate AZ ", az));
}

void Network::BlockLink(NodeId from, NodeId to) {
  CheckNode(from, "block link");
  CheckNode(to, "block link");
  blocked_.insert({from, to});
  LogChange(absl::StrCat("block link ", from, "->", to));
}

void Network::UnblockLink(NodeId from, NodeId to) {
  CheckNode(from, "unblock link");
  CheckNode(to, "unblock link");
  blocked_.erase({from, to});
  LogChange(absl::StrCat("unblock link ", from, "->", to));
}

void Network::BlockLinks(const std::vector<std::pair<NodeId, NodeId>>& links, std::string_view why,
                         FaultOwner owner) {
  auto& cuts = owner == FaultOwner::kTest ? blocked_ : nemesis_blocked_;
  for (const auto& link : links) {
    if (link.first != link.second) cuts.insert(link);
  }
  LogChange(why);
}

void Network::UnblockLinks(const std::vector<std::pair<NodeId, NodeId>>& links,
                           std::string_view why, FaultOwner owner) {
  auto& cuts = owner == FaultOwner::kTest ? blocked_ : nemesis_blocked_;
  for (const auto& link : links) cuts.erase(link);
  LogChange(why);
}

void Network::Heal() {
  blocked_.clear();
  LogChange("heal");
}

void Network::SetSlow(NodeId node, double latency_multiplier, FaultOwner owner) {
  CheckNode(node, "slow node");
  // Written so that NaN fails too.
  if (!(latency_multiplier >= 0 && latency_multiplier <= kMaxSlowness)) {
    Refuse(absl::StrFormat("slow node %d: latency multiplier %g is not in [0, %g]", node,
                           latency_multiplier, kMaxSlowness));
  }
  NodeState& state = nodes_[node];
  (owner == FaultOwner::kTest ? state.test_slowness : state.nemesis_slowness) = latency_multiplier;
  state.slowness = state.test_slowness * state.nemesis_slowness;
  LogChange(absl::StrFormat("node %d latency x%g%s", node, latency_multiplier,
                            owner == FaultOwner::kNemesis ? " (nemesis)" : ""));
}

double Network::slowness(NodeId node) const {
  return node >= 0 && node < num_nodes() ? nodes_[node].slowness : 1.0;
}

void Network::Hold(NodeId node) {
  CheckNode(node, "hold");
  nodes_[node].held = true;
  LogChange(absl::StrCat("hold messages to node ", node));
}

void Network::Release(NodeId node) {
  CheckNode(node, "release");
  NodeState& state = nodes_[node];
  state.held = false;
  LogChange(absl::StrCat("release messages to node ", node));
  std::vector<Packet> packets = std::move(state.held_packets);
  state.held_packets.clear();
  for (Packet& p : packets) Arrive(Park(std::move(p)));
}

void Network::SetBandwidth(NodeId node, int64_t bytes_per_second) {
  CheckNode(node, "bandwidth");
  if (bytes_per_second < 0 || bytes_per_second > kMaxBandwidth) {
    Refuse(absl::StrCat("bandwidth of node ", node, ": ", bytes_per_second, " B/s is not in [0, ",
                        kMaxBandwidth, "]"));
  }
  nodes_[node].bandwidth = bytes_per_second;
  LogChange(absl::StrCat("node ", node, " bandwidth ", bytes_per_second, " B/s"));
}

void Network::ResetStats() {
  const size_t n = az_of_.size();
  stats_ = NetworkStats();
  stats_.sent_by_node.resize(n);
  stats_.received_by_node.resize(n);
  link_counters_.assign(n, {});
  method_counters_.clear();
}

Duration Network::TransmitTime(int64_t bytes, int64_t bandwidth) const {
  if (bandwidth <= 0) return 0;
  // Round up so that even a tiny message occupies the link; in 128 bits, so
  // no message size and bandwidth overflow.
  const __int128 micros = (static_cast<__int128>(bytes) * kSecond + bandwidth - 1) / bandwidth;
  return micros > kForever ? kForever : static_cast<Duration>(micros);
}

Duration Network::DrawLatency(const Packet& p) {
  Duration jitter = 0;
  if (config_.jitter > 0) {
    jitter = config_.distribution == LatencyDistribution::kUniform
                 ? rng_.UniformInt(0, config_.jitter)
                 : rng_.Exponential(static_cast<double>(config_.jitter));
  }
  // Every term is >= 0 (the config is validated) and every sum saturates
  // at kForever: a message is late, never early.
  Duration total = AddSaturating(config_.base_latency, jitter);
  const double slowness = nodes_[p.from].slowness * nodes_[p.to].slowness;
  if (slowness != 1.0) {
    const double scaled = static_cast<double>(total) * slowness;
    // 2^63 as a double: anything at or above it does not fit in an int64.
    total = scaled >= 0x1p63 ? kForever : static_cast<Duration>(std::llround(scaled));
  }
  if (config_.long_delay_probability > 0 && rng_.Bernoulli(config_.long_delay_probability)) {
    total = AddSaturating(total, rng_.UniformInt(0, config_.long_delay_max));
  }
  if (p.kind == PacketKind::kReply && config_.reorder_probability > 0 &&
      rng_.Bernoulli(config_.reorder_probability)) {
    total = AddSaturating(total, rng_.UniformInt(config_.reorder_min, config_.reorder_max));
  }
  return total;
}

void Network::CountSent(const Packet& p) {
  const uint64_t bytes = static_cast<uint64_t>(p.WireBytes());
  auto add = [bytes](TrafficCounter& c) {
    ++c.messages;
    c.bytes += bytes;
  };
  add(stats_.total_sent);
  const bool from_known = p.from >= 0 && p.from < num_nodes();
  if (from_known) {
    add(stats_.sent_by_node[p.from]);
    if (p.to >= 0 && p.to < num_nodes()) {
      std::vector<TrafficCounter>& row = link_counters_[p.from];
      if (static_cast<size_t>(p.to) >= row.size()) row.resize(p.to + 1);
      add(row[p.to]);
    }
  }
  for (auto& [id, counter] : method_counters_) {
    if (id == p.method) return add(counter);
  }
  method_counters_.emplace_back(p.method, TrafficCounter());
  add(method_counters_.back().second);
}

void Network::Drop(const Packet& p, std::string_view why) {
  ++stats_.dropped;
  sim_.trace().Record(sim_.Now(), TraceKind::kDrop, p.from, p.to, why, p.call_id,
                      p.kind == PacketKind::kReply);
}

Packet& Network::NewPacket() {
  const uint32_t slot = TakeSlot();
  Packet& p = *parked_[slot];
  p.Clear();
  p.parked_at = slot;
  return p;
}

void Network::Discard(Packet& packet) {
  const uint32_t slot = packet.parked_at;
  if (slot < parked_.size() && parked_[slot].get() == &packet) Unpark(slot);
}

void Network::Send(Packet&& packet) {
  uint32_t slot = packet.parked_at;
  if (slot >= parked_.size() || parked_[slot].get() != &packet) slot = Park(std::move(packet));
  const Packet& p = *parked_[slot];
  CountSent(p);  // sent, even if dropped at once below
  if (static_cast<size_t>(p.from) >= nodes_.size() || static_cast<size_t>(p.to) >= nodes_.size()) {
    Drop(p, "no such node");
    Unpark(slot);
    return;
  }
  // The digest covers what the message says, not only that it was sent:
  // two runs whose replies differ never share a digest.
  const InternedMethod& method = GetMethod(p.method);
  uint64_t content_hash = Trace::Combine(method.trace_hash, Trace::HashDetail(p.body));
  if (p.status_code != 0) {
    content_hash = Trace::Combine(content_hash, static_cast<uint64_t>(p.status_code));
    content_hash = Trace::Combine(content_hash, Trace::HashDetail(p.status_message));
  }
  sim_.trace().RecordHashed(sim_.Now(), TraceKind::kSend, p.from, p.to, method.name, content_hash,
                            p.call_id, p.kind == PacketKind::kReply);
  if (sim_.trace().keep_events()) {
    // What the message said, for people reading the trace (off the hot path
    // of benchmarks, which keep no events).
    sim_.trace().SetLastPayload(
        p.status_code != 0
            ? absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(p.status_code)),
                           ": ", p.status_message)
            : SummarizeWireBytes(p.body));
  }
  if (!CanReach(p.from, p.to)) {
    Drop(p, "partitioned");
    Unpark(slot);
    return;
  }
  const double drop_probability = p.kind == PacketKind::kRequest ? config_.drop_request_probability
                                                                 : config_.drop_reply_probability;
  if (drop_probability > 0 && rng_.Bernoulli(drop_probability)) {
    Drop(p, "lost");
    Unpark(slot);
    return;
  }
  if (config_.duplicate_probability > 0 && rng_.Bernoulli(config_.duplicate_probability)) {
    ++stats_.duplicated;
    sim_.trace().RecordHashed(sim_.Now(), TraceKind::kDuplicate, p.from, p.to, method.name,
                              method.trace_hash, p.call_id, p.kind == PacketKind::kReply);
    Transmit(Park(p));  // the copy gets its own latency draw
  }
  Transmit(slot);
}

uint32_t Network::NewSlot() {
  parked_.push_back(std::make_unique<Packet>());
  return static_cast<uint32_t>(parked_.size() - 1);
}

uint32_t Network::Park(Packet packet) {
  const uint32_t slot = TakeSlot();
  *parked_[slot] = std::move(packet);
  parked_[slot]->parked_at = slot;
  return slot;
}

void Network::Transmit(uint32_t slot) {
  const Packet& packet = *parked_[slot];
  NodeState& sender = nodes_[packet.from];
  Time depart = sim_.Now();
  const int64_t bandwidth = BandwidthOf(packet.from);
  if (bandwidth > 0) {
    depart = AddSaturating(std::max(depart, sender.egress_free_at),
                           TransmitTime(packet.WireBytes(), bandwidth));
    sender.egress_free_at = depart;
  }
  const Time arrival = AddSaturating(depart, DrawLatency(packet));
  sim_.ScheduleAt(arrival, [this, slot] { Arrive(slot); });
}

void Network::Arrive(uint32_t slot) {
  Packet& packet = *parked_[slot];
  NodeState& receiver = nodes_[packet.to];
  if (receiver.held) {
    receiver.held_packets.push_back(std::move(packet));
    Unpark(slot);
    return;
  }
  const int64_t bandwidth = BandwidthOf(packet.to);
  if (bandwidth <= 0) {
    Deliver(slot);
    return;
  }
  // The receiving NIC takes packets one at a time, in arrival order.
  const Time done = AddSaturating(std::max(sim_.Now(), receiver.ingress_free_at),
                                  TransmitTime(packet.WireBytes(), bandwidth));
  receiver.ingress_free_at = done;
  sim_.ScheduleAt(done, [this, slot] { Deliver(slot); });
}

void Network::Deliver(uint32_t slot) {
  Packet& packet = *parked_[slot];
  if (!CanReach(packet.from, packet.to)) {
    Drop(packet, "partitioned in flight");
  } else {
    TrafficCounter& c = stats_.received_by_node[packet.to];
    ++c.messages;
    c.bytes += static_cast<uint64_t>(packet.WireBytes());
    // The slot stays taken while the receiver handles the packet, so the
    // messages it sends in turn are parked elsewhere. Should the receiver
    // send this very packet on, Send() moves it out instead of sending the
    // slot it is about to free.
    packet.parked_at = Packet::kNotParked;
    if (deliver_) deliver_(packet);
  }
  Unpark(slot);
}

}  // namespace auroralab
