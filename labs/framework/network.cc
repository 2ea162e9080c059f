#include "labs/framework/network.h"

#include <algorithm>
#include <cmath>
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

Network::Network(Simulator& sim, NetworkConfig config)
    : sim_(sim), config_(config), rng_(sim.rng().Fork()) {}

void Network::AddNode(NodeId id, int az) {
  if (id >= num_nodes()) {
    const size_t old_n = az_of_.size();
    const size_t n = id + 1;
    std::vector<TrafficCounter> links(n * n);
    for (size_t a = 0; a < old_n; ++a) {
      for (size_t b = 0; b < old_n; ++b) links[a * n + b] = link_counters_[a * old_n + b];
    }
    link_counters_ = std::move(links);
    az_of_.resize(n, 0);
    nodes_.resize(n);
    stats_.sent_by_node.resize(n);
    stats_.received_by_node.resize(n);
  }
  az_of_[id] = az;
}

const NetworkStats& Network::stats() const {
  const size_t n = az_of_.size();
  stats_.by_link.clear();
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = 0; b < n; ++b) {
      const TrafficCounter& c = link_counters_[a * n + b];
      if (c.messages > 0) stats_.by_link[{static_cast<NodeId>(a), static_cast<NodeId>(b)}] = c;
    }
  }
  stats_.by_method.clear();
  for (MethodId id = 0; id < method_counters_.size(); ++id) {
    if (method_counters_[id].messages > 0) stats_.by_method[MethodName(id)] = method_counters_[id];
  }
  return stats_;
}

void Network::set_config(const NetworkConfig& config) {
  config_ = config;
  LogChange("config changed");
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
      group_of.at(n) = static_cast<int>(g);
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
  BlockLinks(IsolationLinks(node), absl::StrCat("isolate node ", node));
}

void Network::IsolateAz(int az) {
  BlockLinks(AzIsolationLinks(az), absl::StrCat("isolate AZ ", az));
}

void Network::BlockLink(NodeId from, NodeId to) {
  blocked_.insert({from, to});
  LogChange(absl::StrCat("block link ", from, "->", to));
}

void Network::UnblockLink(NodeId from, NodeId to) {
  blocked_.erase({from, to});
  LogChange(absl::StrCat("unblock link ", from, "->", to));
}

std::vector<std::pair<NodeId, NodeId>> Network::BlockLinks(
    const std::vector<std::pair<NodeId, NodeId>>& links, std::string_view why) {
  std::vector<std::pair<NodeId, NodeId>> added;
  for (const auto& link : links) {
    if (link.first != link.second && blocked_.insert(link).second) added.push_back(link);
  }
  LogChange(why);
  return added;
}

void Network::UnblockLinks(const std::vector<std::pair<NodeId, NodeId>>& links,
                           std::string_view why) {
  for (const auto& link : links) blocked_.erase(link);
  LogChange(why);
}

void Network::Heal() {
  blocked_.clear();
  LogChange("heal");
}

void Network::SetSlow(NodeId node, double latency_multiplier) {
  nodes_.at(node).slowness = std::max(latency_multiplier, 0.0);
  LogChange(absl::StrFormat("node %d latency x%g", node, latency_multiplier));
}

void Network::Hold(NodeId node) {
  nodes_.at(node).held = true;
  LogChange(absl::StrCat("hold messages to node ", node));
}

void Network::Release(NodeId node) {
  NodeState& state = nodes_.at(node);
  state.held = false;
  LogChange(absl::StrCat("release messages to node ", node));
  std::vector<Packet> packets = std::move(state.held_packets);
  state.held_packets.clear();
  for (Packet& p : packets) Arrive(Park(std::move(p)));
}

void Network::SetBandwidth(NodeId node, int64_t bytes_per_second) {
  nodes_.at(node).bandwidth = bytes_per_second;
  LogChange(absl::StrCat("node ", node, " bandwidth ", bytes_per_second, " B/s"));
}

void Network::ResetStats() {
  const size_t n = az_of_.size();
  stats_ = NetworkStats();
  stats_.sent_by_node.resize(n);
  stats_.received_by_node.resize(n);
  link_counters_.assign(n * n, TrafficCounter());
  method_counters_.clear();
}

Duration Network::TransmitTime(int64_t bytes, int64_t bandwidth) const {
  if (bandwidth <= 0) return 0;
  // Round up so that even a tiny message occupies the link.
  return (bytes * kSecond + bandwidth - 1) / bandwidth;
}

Duration Network::DrawLatency(const Packet& p) {
  Duration jitter = 0;
  if (config_.jitter > 0) {
    jitter = config_.distribution == LatencyDistribution::kUniform
                 ? rng_.UniformInt(0, config_.jitter)
                 : rng_.Exponential(static_cast<double>(config_.jitter));
  }
  Duration total = config_.base_latency + jitter;
  const double slowness = nodes_[p.from].slowness * nodes_[p.to].slowness;
  if (slowness != 1.0)
    total = static_cast<Duration>(std::llround(static_cast<double>(total) * slowness));
  if (config_.long_delay_probability > 0 && rng_.Bernoulli(config_.long_delay_probability)) {
    total += rng_.UniformInt(0, config_.long_delay_max);
  }
  if (p.kind == PacketKind::kReply && config_.reorder_probability > 0 &&
      rng_.Bernoulli(config_.reorder_probability)) {
    total +=
        rng_.UniformInt(config_.reorder_min, std::max(config_.reorder_min, config_.reorder_max));
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
  add(stats_.sent_by_node[p.from]);
  add(link_counters_[static_cast<size_t>(p.from) * az_of_.size() + p.to]);
  if (p.method >= method_counters_.size()) method_counters_.resize(p.method + 1);
  add(method_counters_[p.method]);
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

void Network::Send(Packet&& packet) {
  uint32_t slot = packet.parked_at;
  if (slot >= parked_.size() || parked_[slot].get() != &packet) slot = Park(std::move(packet));
  const Packet& p = *parked_[slot];
  if (static_cast<size_t>(p.from) >= nodes_.size() || static_cast<size_t>(p.to) >= nodes_.size()) {
    Drop(p, "no such node");
    Unpark(slot);
    return;
  }
  CountSent(p);
  const InternedMethod& method = GetMethod(p.method);
  sim_.trace().RecordHashed(sim_.Now(), TraceKind::kSend, p.from, p.to, method.name,
                            method.trace_hash, p.call_id, p.kind == PacketKind::kReply);
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
    depart = std::max(depart, sender.egress_free_at) + TransmitTime(packet.WireBytes(), bandwidth);
    sender.egress_free_at = depart;
  }
  const Time arrival = depart + DrawLatency(packet);
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
  const Time done =
      std::max(sim_.Now(), receiver.ingress_free_at) + TransmitTime(packet.WireBytes(), bandwidth);
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
