// Tests for Network (network.h), mostly driven directly through Send() with a
// recording deliver function, and through World + RPC where the difference
// between a lost request and a lost reply matters:
//   - latency: uniform within [base, base + jitter], exponential with the
//     right mean, long delays, reordering of replies only, SetSlow;
//   - loss and duplication, requests and replies independently;
//   - partitions: groups, Isolate, IsolateAz, one-way BlockLink, Heal, and a
//     partition cutting messages already in flight;
//   - Hold / Release;
//   - bandwidth: per-NIC serialization on both sides, parallel NICs;
//   - accounting per node, link and method; the Unreliable() preset;
//   - packets built in place (NewPacket) and recycled, interned method names.
// Statistical bounds are exact for the fixed seeds used, and several standard
// deviations wide, so they cannot flake yet still catch a wrong rate.
#include "labs/framework/network.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/framework/simulator.h"
#include "labs/framework/testing.pb.h"
#include "labs/framework/world.h"

namespace auroralab {
namespace {

using ::auroralab::testing::EchoReply;
using ::auroralab::testing::EchoRequest;

struct Arrival {
  Time time;
  Packet packet;
};

// A network of `nodes` nodes (node i in AZ azs[i], default i % 3) whose
// deliveries are recorded with their arrival times.
class NetworkHarness {
 public:
  explicit NetworkHarness(NetworkConfig config, int nodes = 3, uint64_t seed = 1,
                          std::vector<int> azs = {})
      : sim(seed), net(sim, config) {
    for (int i = 0; i < nodes; ++i) net.AddNode(i, azs.empty() ? i % 3 : azs[i]);
    net.set_deliver([this](Packet p) { arrivals.push_back(Arrival{sim.Now(), std::move(p)}); });
  }

  // Sends a packet with the given body; returns its call id.
  uint64_t Send(NodeId from, NodeId to, PacketKind kind = PacketKind::kRequest,
                std::string method = "Test.M", std::string body = "") {
    Packet p;
    p.from = from;
    p.to = to;
    p.kind = kind;
    p.method = InternMethod(method);
    p.body = std::move(body);
    p.call_id = ++last_id_;
    net.Send(std::move(p));
    return last_id_;
  }

  // Sends a packet of exactly `wire_bytes` bytes on the wire.
  uint64_t SendSized(NodeId from, NodeId to, int64_t wire_bytes) {
    return Send(from, to, PacketKind::kRequest, "", std::string(wire_bytes - 24, 'x'));
  }

  int DeliveredTo(NodeId to) const {
    return static_cast<int>(std::count_if(arrivals.begin(), arrivals.end(),
                                          [to](const Arrival& a) { return a.packet.to == to; }));
  }

  // Arrival time of the (first copy of the) packet with `call_id`; -1 if none.
  Time ArrivalOf(uint64_t call_id) const {
    for (const Arrival& a : arrivals) {
      if (a.packet.call_id == call_id) return a.time;
    }
    return -1;
  }

  // Whether a one-message probe from `from` to `to` gets through now.
  bool ProbeDelivers(NodeId from, NodeId to) {
    const uint64_t id = Send(from, to);
    sim.RunFor(Seconds(1));
    return ArrivalOf(id) >= 0;
  }

  int CountTrace(TraceKind kind, const std::string& detail) {
    int n = 0;
    for (const TraceEvent& e : sim.trace().events()) n += e.kind == kind && e.detail == detail;
    return n;
  }

  Simulator sim;
  Network net;
  std::vector<Arrival> arrivals;

 private:
  uint64_t last_id_ = 0;
};

NetworkConfig FixedLatency(Duration latency) {
  NetworkConfig c;
  c.base_latency = latency;
  c.jitter = 0;
  return c;
}

// ---------------------------------------------------------------------------
// Latency.

TEST(Network, UniformLatencyIsWithinBasePlusJitter) {
  NetworkConfig config;
  config.base_latency = Micros(200);
  config.jitter = Micros(300);
  NetworkHarness h(config);
  for (int i = 0; i < 10000; ++i) h.Send(0, 1);
  h.sim.RunUntilIdle();
  ASSERT_EQ(h.arrivals.size(), 10000u);
  Time lo = kForever;
  Time hi = 0;
  int64_t sum = 0;
  for (const Arrival& a : h.arrivals) {
    lo = std::min(lo, a.time);
    hi = std::max(hi, a.time);
    sum += a.time;
  }
  EXPECT_GE(lo, 200);
  EXPECT_LE(hi, 500);
  // The whole range is used, not just part of it.
  EXPECT_LE(lo, 205);
  EXPECT_GE(hi, 495);
  EXPECT_NEAR(static_cast<double>(sum) / 10000, 350, 5);
}

TEST(Network, ExponentialLatencyHasTheConfiguredMean) {
  NetworkConfig config;
  config.base_latency = Micros(100);
  config.jitter = Micros(1000);
  config.distribution = LatencyDistribution::kExponential;
  NetworkHarness h(config);
  for (int i = 0; i < 10000; ++i) h.Send(0, 1);
  h.sim.RunUntilIdle();
  ASSERT_EQ(h.arrivals.size(), 10000u);
  int64_t sum = 0;
  int beyond_uniform_range = 0;
  for (const Arrival& a : h.arrivals) {
    ASSERT_GE(a.time, 100);
    sum += a.time - 100;
    beyond_uniform_range += a.time > 100 + 3000;
  }
  // Mean jitter 1000us (standard error 10us).
  EXPECT_GE(sum / 10000, 950);
  EXPECT_LE(sum / 10000, 1050);
  // A real exponential tail: P(jitter > 3 * mean) = e^-3, about 5%.
  EXPECT_GE(beyond_uniform_range, 400);
  EXPECT_LE(beyond_uniform_range, 600);
}

TEST(Network, LongDelaysAddUpToTheirMaximum) {
  NetworkConfig config = FixedLatency(Micros(100));
  config.long_delay_probability = 0.5;
  config.long_delay_max = Millis(10);
  NetworkHarness h(config);
  for (int i = 0; i < 10000; ++i) h.Send(0, 1);
  h.sim.RunUntilIdle();
  int delayed = 0;
  Time hi = 0;
  for (const Arrival& a : h.arrivals) {
    ASSERT_GE(a.time, 100);
    ASSERT_LE(a.time, 100 + Millis(10));
    delayed += a.time > 100;
    hi = std::max(hi, a.time);
  }
  EXPECT_GE(delayed, 4800);
  EXPECT_LE(delayed, 5200);
  EXPECT_GE(hi, Millis(9));
}

TEST(Network, ReorderingHoldsRepliesButNotRequests) {
  NetworkConfig config = FixedLatency(Micros(100));
  config.reorder_probability = 1;
  config.reorder_min = Millis(5);
  config.reorder_max = Millis(5);
  NetworkHarness h(config);
  const uint64_t request = h.Send(0, 1, PacketKind::kRequest);
  const uint64_t reply = h.Send(1, 0, PacketKind::kReply);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(request), 100);
  EXPECT_EQ(h.ArrivalOf(reply), 100 + Millis(5));
}

TEST(Network, SetSlowMultipliesLatencyToAndFromTheNode) {
  NetworkHarness h(FixedLatency(Micros(1000)));
  h.net.SetSlow(1, 5);
  const uint64_t to_slow = h.Send(0, 1);
  const uint64_t from_slow = h.Send(1, 0);
  const uint64_t unaffected = h.Send(0, 2);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(to_slow), 5000);
  EXPECT_EQ(h.ArrivalOf(from_slow), 5000);
  EXPECT_EQ(h.ArrivalOf(unaffected), 1000);

  // Both ends slow: the factors multiply.
  h.net.SetSlow(0, 2);
  Time start = h.sim.Now();
  const uint64_t both = h.Send(0, 1);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(both) - start, 10000);

  // Back to normal.
  h.net.SetSlow(0, 1);
  h.net.SetSlow(1, 1);
  start = h.sim.Now();
  const uint64_t normal = h.Send(0, 1);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(normal) - start, 1000);
}

// ---------------------------------------------------------------------------
// Loss and duplication.

TEST(Network, ReliableConfigLosesNothing) {
  NetworkHarness h(NetworkConfig::Reliable());
  for (int i = 0; i < 10000; ++i) {
    h.Send(i % 3, (i + 1) % 3, i % 2 ? PacketKind::kReply : PacketKind::kRequest);
  }
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.arrivals.size(), 10000u);
  EXPECT_EQ(h.net.stats().dropped, 0u);
  EXPECT_EQ(h.net.stats().duplicated, 0u);
}

TEST(Network, DropRequestProbabilityLosesOnlyRequests) {
  NetworkConfig config;
  config.drop_request_probability = 1;
  NetworkHarness h(config);
  for (int i = 0; i < 100; ++i) h.Send(0, 1, PacketKind::kRequest);
  for (int i = 0; i < 100; ++i) h.Send(1, 0, PacketKind::kReply);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.DeliveredTo(1), 0);
  EXPECT_EQ(h.DeliveredTo(0), 100);
  EXPECT_EQ(h.net.stats().dropped, 100u);
  EXPECT_EQ(h.CountTrace(TraceKind::kDrop, "lost"), 100);
}

TEST(Network, DropReplyProbabilityLosesOnlyReplies) {
  NetworkConfig config;
  config.drop_reply_probability = 1;
  NetworkHarness h(config);
  for (int i = 0; i < 100; ++i) h.Send(0, 1, PacketKind::kRequest);
  for (int i = 0; i < 100; ++i) h.Send(1, 0, PacketKind::kReply);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.DeliveredTo(1), 100);
  EXPECT_EQ(h.DeliveredTo(0), 0);
  EXPECT_EQ(h.net.stats().dropped, 100u);
}

TEST(Network, TenPercentDropLosesAboutTenPercent) {
  NetworkConfig config;
  config.drop_request_probability = 0.1;
  NetworkHarness h(config);
  for (int i = 0; i < 10000; ++i) h.Send(0, 1);
  h.sim.RunUntilIdle();
  EXPECT_GE(h.net.stats().dropped, 800u);
  EXPECT_LE(h.net.stats().dropped, 1200u);
  EXPECT_EQ(h.arrivals.size() + h.net.stats().dropped, 10000u);
}

TEST(Network, DuplicationDeliversEveryMessageTwice) {
  NetworkConfig config;
  config.duplicate_probability = 1;
  NetworkHarness h(config);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(h.Send(0, 1));
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.arrivals.size(), 100u);
  EXPECT_EQ(h.net.stats().duplicated, 50u);
  for (uint64_t id : ids) {
    EXPECT_EQ(std::count_if(h.arrivals.begin(), h.arrivals.end(),
                            [id](const Arrival& a) { return a.packet.call_id == id; }),
              2)
        << "call " << id;
  }
  // Duplicates are counted once as sent traffic.
  EXPECT_EQ(h.net.stats().total_sent.messages, 50u);
}

TEST(Network, TenPercentDuplicationCopiesAboutTenPercent) {
  NetworkConfig config;
  config.duplicate_probability = 0.1;
  NetworkHarness h(config);
  for (int i = 0; i < 10000; ++i) h.Send(0, 1);
  h.sim.RunUntilIdle();
  EXPECT_GE(h.net.stats().duplicated, 800u);
  EXPECT_LE(h.net.stats().duplicated, 1200u);
  EXPECT_EQ(h.arrivals.size(), 10000u + h.net.stats().duplicated);
}

TEST(Network, SendToAnUnknownNodeIsDropped) {
  NetworkHarness h(NetworkConfig::Reliable());
  h.Send(0, 7);
  h.Send(-1, 0);
  h.sim.RunUntilIdle();
  EXPECT_TRUE(h.arrivals.empty());
  EXPECT_EQ(h.net.stats().dropped, 2u);
  EXPECT_EQ(h.CountTrace(TraceKind::kDrop, "no such node"), 2);
}

// ---------------------------------------------------------------------------
// Loss through RPC: a lost request never reaches the handler; a lost reply
// does, but the caller still times out.

inline constexpr Method<EchoRequest, EchoReply> kEcho{"Test.Echo"};

class EchoServer : public Node {
 public:
  EchoServer(NodeContext& ctx, int* handled) : Node(ctx), handled_(handled) {}
  void Start() override {
    ctx().rpc().Handle(kEcho, [this](const EchoRequest& request, Responder<EchoReply> out) {
      ++*handled_;
      EchoReply reply;
      reply.set_text(request.text());
      reply.set_served_by_incarnation(ctx().incarnation());
      out.Reply(reply);
    });
  }

 private:
  int* handled_;
};

class Client : public Node {
 public:
  using Node::Node;
  NodeContext& context() { return ctx(); }
};

struct RpcTally {
  int handled = 0;
  int ok = 0;
  int deadline_exceeded = 0;
  int other = 0;
};

RpcTally RunEchoCalls(const NetworkConfig& config, int calls) {
  RpcTally tally;
  WorldOptions options;
  options.seed = 3;
  options.network = config;
  World world(options);
  const NodeId server = world.AddNode("server", 0, [&tally](NodeContext& ctx) {
    return std::make_unique<EchoServer>(ctx, &tally.handled);
  });
  const NodeId client =
      world.AddNode("client", 1, [](NodeContext& ctx) { return std::make_unique<Client>(ctx); });
  RpcEndpoint& rpc = world.node<Client>(client).context().rpc();
  for (int i = 0; i < calls; ++i) {
    EchoRequest request;
    request.set_text("hello");
    rpc.Call(server, kEcho, request, Seconds(1), [&tally](absl::StatusOr<EchoReply> reply) {
      if (reply.ok()) {
        ++tally.ok;
      } else if (absl::IsDeadlineExceeded(reply.status())) {
        ++tally.deadline_exceeded;
      } else {
        ++tally.other;
      }
    });
  }
  world.RunFor(Seconds(2));
  return tally;
}

TEST(Network, LostRequestsNeverReachTheHandler) {
  NetworkConfig config;
  config.drop_request_probability = 1;
  const RpcTally t = RunEchoCalls(config, 100);
  EXPECT_EQ(t.handled, 0);
  EXPECT_EQ(t.deadline_exceeded, 100);
}

TEST(Network, LostRepliesAreHandledButTimeOut) {
  NetworkConfig config;
  config.drop_reply_probability = 1;
  const RpcTally t = RunEchoCalls(config, 100);
  EXPECT_EQ(t.handled, 100);
  EXPECT_EQ(t.ok, 0);
  EXPECT_EQ(t.deadline_exceeded, 100);
}

TEST(Network, RequestAndReplyLossAreIndependent) {
  NetworkConfig config;
  config.drop_request_probability = 0.1;
  config.drop_reply_probability = 0.1;
  const RpcTally t = RunEchoCalls(config, 10000);
  EXPECT_EQ(t.ok + t.deadline_exceeded, 10000);
  EXPECT_EQ(t.other, 0);
  // 10% of requests lost: 90% handled.
  EXPECT_GE(t.handled, 8800);
  EXPECT_LE(t.handled, 9200);
  // 10% of the replies to those lost: 81% overall.
  const double reply_loss = 1.0 - static_cast<double>(t.ok) / t.handled;
  EXPECT_GE(reply_loss, 0.08);
  EXPECT_LE(reply_loss, 0.12);
}

// ---------------------------------------------------------------------------
// Partitions.

TEST(Network, PartitionSeparatesGroupsAndCutsOffNodesInNoGroup) {
  NetworkHarness h(NetworkConfig::Reliable(), 4);
  h.net.Partition({{0, 1}, {2}});
  EXPECT_TRUE(h.net.CanReach(0, 1));
  EXPECT_TRUE(h.net.CanReach(1, 0));
  for (NodeId a : {0, 1}) {
    EXPECT_FALSE(h.net.CanReach(a, 2));
    EXPECT_FALSE(h.net.CanReach(2, a));
  }
  for (NodeId a : {0, 1, 2}) {  // node 3 is in no group
    EXPECT_FALSE(h.net.CanReach(a, 3));
    EXPECT_FALSE(h.net.CanReach(3, a));
  }
  EXPECT_TRUE(h.ProbeDelivers(0, 1));
  EXPECT_FALSE(h.ProbeDelivers(0, 2));
  EXPECT_FALSE(h.ProbeDelivers(2, 1));
  EXPECT_FALSE(h.ProbeDelivers(3, 0));
  EXPECT_GE(h.CountTrace(TraceKind::kDrop, "partitioned"), 3);
}

TEST(Network, NewPartitionReplacesTheOldOne) {
  NetworkHarness h(NetworkConfig::Reliable(), 3);
  h.net.Partition({{0}, {1, 2}});
  h.net.Partition({{0, 1}, {2}});
  EXPECT_TRUE(h.net.CanReach(0, 1));
  EXPECT_FALSE(h.net.CanReach(1, 2));
  EXPECT_TRUE(h.ProbeDelivers(1, 0));
  EXPECT_FALSE(h.ProbeDelivers(1, 2));
}

TEST(Network, IsolateCutsOneNodeBothWaysOnTopOfOtherCuts) {
  NetworkHarness h(NetworkConfig::Reliable(), 4);
  h.net.Partition({{0, 1}, {2, 3}});
  h.net.Isolate(0);
  EXPECT_FALSE(h.net.CanReach(0, 1));
  EXPECT_FALSE(h.net.CanReach(1, 0));
  EXPECT_TRUE(h.net.CanReach(2, 3));
  EXPECT_FALSE(h.net.CanReach(1, 2));  // the earlier partition still holds
  EXPECT_FALSE(h.ProbeDelivers(1, 0));
  EXPECT_TRUE(h.ProbeDelivers(3, 2));
  // A node can always reach itself.
  EXPECT_TRUE(h.ProbeDelivers(0, 0));
}

TEST(Network, IsolateAzCutsTheAzOffButNotWithinIt) {
  NetworkHarness h(NetworkConfig::Reliable(), 5, 1, {0, 0, 1, 1, 2});
  h.net.IsolateAz(0);
  EXPECT_TRUE(h.net.CanReach(0, 1));
  EXPECT_TRUE(h.net.CanReach(1, 0));
  EXPECT_TRUE(h.net.CanReach(2, 3));
  EXPECT_TRUE(h.net.CanReach(3, 4));
  for (NodeId inside : {0, 1}) {
    for (NodeId outside : {2, 3, 4}) {
      EXPECT_FALSE(h.net.CanReach(inside, outside));
      EXPECT_FALSE(h.net.CanReach(outside, inside));
    }
  }
  EXPECT_TRUE(h.ProbeDelivers(1, 0));
  EXPECT_FALSE(h.ProbeDelivers(4, 0));
}

TEST(Network, BlockLinkIsOneWay) {
  NetworkHarness h(NetworkConfig::Reliable());
  h.net.BlockLink(0, 1);
  EXPECT_FALSE(h.net.CanReach(0, 1));
  EXPECT_TRUE(h.net.CanReach(1, 0));
  EXPECT_FALSE(h.ProbeDelivers(0, 1));
  EXPECT_TRUE(h.ProbeDelivers(1, 0));
  EXPECT_TRUE(h.ProbeDelivers(0, 2));
  h.net.UnblockLink(0, 1);
  EXPECT_TRUE(h.ProbeDelivers(0, 1));
}

TEST(Network, HealRemovesEveryCut) {
  NetworkHarness h(NetworkConfig::Reliable(), 4, 1, {0, 1, 2, 0});
  h.net.Partition({{0}, {1, 2}});
  h.net.Isolate(3);
  h.net.IsolateAz(1);
  h.net.BlockLink(2, 0);
  h.net.Heal();
  for (NodeId a = 0; a < 4; ++a) {
    for (NodeId b = 0; b < 4; ++b) EXPECT_TRUE(h.net.CanReach(a, b)) << a << "->" << b;
  }
  EXPECT_TRUE(h.ProbeDelivers(2, 0));
  EXPECT_TRUE(h.ProbeDelivers(3, 1));
}

TEST(Network, HealKeepsSlownessAndHolds) {
  NetworkHarness h(FixedLatency(Micros(1000)));
  h.net.SetSlow(1, 3);
  h.net.Hold(2);
  h.net.Isolate(0);
  h.net.Heal();
  const uint64_t slow = h.Send(0, 1);
  const uint64_t held = h.Send(0, 2);
  h.sim.RunFor(Seconds(1));
  EXPECT_EQ(h.ArrivalOf(slow), 3000);
  EXPECT_EQ(h.ArrivalOf(held), -1);
}

TEST(Network, PartitionCutsMessagesAlreadyInFlight) {
  NetworkHarness h(FixedLatency(Millis(10)));
  const uint64_t id = h.Send(0, 1);
  h.sim.RunFor(Millis(5));
  h.net.Partition({{0}, {1, 2}});
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(id), -1);
  EXPECT_EQ(h.net.stats().dropped, 1u);
  EXPECT_EQ(h.CountTrace(TraceKind::kDrop, "partitioned in flight"), 1);
}

TEST(Network, OneWayBlockCutsMessagesAlreadyInFlight) {
  NetworkHarness h(FixedLatency(Millis(10)));
  const uint64_t cut = h.Send(0, 1);
  const uint64_t other_way = h.Send(1, 0);
  h.sim.RunFor(Millis(5));
  h.net.BlockLink(0, 1);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(cut), -1);
  EXPECT_EQ(h.ArrivalOf(other_way), Millis(10));
}

TEST(Network, PartitionHealedBeforeArrivalDoesNotCut) {
  // Links are checked at send and at arrival only.
  NetworkHarness h(FixedLatency(Millis(10)));
  const uint64_t id = h.Send(0, 1);
  h.sim.RunFor(Millis(3));
  h.net.Isolate(1);
  h.sim.RunFor(Millis(3));
  h.net.Heal();
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(id), Millis(10));
}

// ---------------------------------------------------------------------------
// Hold and release.

TEST(Network, HoldKeepsMessagesForANodeUntilRelease) {
  NetworkHarness h(FixedLatency(Micros(100)));
  h.net.Hold(1);
  const uint64_t first = h.Send(0, 1);
  const uint64_t second = h.Send(2, 1);
  const uint64_t other = h.Send(0, 2);
  const uint64_t outgoing = h.Send(1, 0);  // only messages *to* 1 are held
  h.sim.RunFor(Seconds(1));
  EXPECT_EQ(h.ArrivalOf(first), -1);
  EXPECT_EQ(h.ArrivalOf(second), -1);
  EXPECT_EQ(h.ArrivalOf(other), 100);
  EXPECT_EQ(h.ArrivalOf(outgoing), 100);

  h.net.Release(1);
  h.sim.RunFor(Millis(1));
  EXPECT_EQ(h.ArrivalOf(first), Seconds(1));
  EXPECT_EQ(h.ArrivalOf(second), Seconds(1));
  // Released in the order they arrived.
  std::vector<uint64_t> order;
  for (const Arrival& a : h.arrivals) order.push_back(a.packet.call_id);
  EXPECT_EQ(order, (std::vector<uint64_t>{other, outgoing, first, second}));

  // After release, messages flow normally again.
  const Time start = h.sim.Now();
  const uint64_t later = h.Send(0, 1);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(later) - start, 100);
}

TEST(Network, HeldMessagesAreStillSubjectToPartitionsAtRelease) {
  NetworkHarness h(FixedLatency(Micros(100)));
  h.net.Hold(1);
  const uint64_t id = h.Send(0, 1);
  h.sim.RunFor(Millis(1));
  h.net.Isolate(1);
  h.net.Release(1);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(id), -1);
  EXPECT_EQ(h.CountTrace(TraceKind::kDrop, "partitioned in flight"), 1);
}

// ---------------------------------------------------------------------------
// Bandwidth. With zero latency and 1 byte/us, a message of B bytes takes B us
// to leave the sender's NIC and B us to enter the receiver's.

NetworkConfig OneBytePerMicrosecond() {
  NetworkConfig c = FixedLatency(0);
  c.bandwidth_bytes_per_second = 1000 * 1000;
  return c;
}

TEST(Network, TenTimesTheBytesTakeTenTimesAsLong) {
  NetworkHarness small(OneBytePerMicrosecond());
  const uint64_t s = small.SendSized(0, 1, 10000);
  small.sim.RunUntilIdle();
  NetworkHarness big(OneBytePerMicrosecond());
  const uint64_t b = big.SendSized(0, 1, 100000);
  big.sim.RunUntilIdle();
  const Time small_time = small.ArrivalOf(s);
  const Time big_time = big.ArrivalOf(b);
  EXPECT_GE(small_time, 10000);  // at least one pass through a NIC
  const double ratio = static_cast<double>(big_time) / small_time;
  EXPECT_GE(ratio, 9.5);
  EXPECT_LE(ratio, 10.5);
}

TEST(Network, OneNicSendsAStreamAtItsBandwidth) {
  NetworkHarness one(OneBytePerMicrosecond());
  const uint64_t single = one.SendSized(0, 1, 10000);
  one.sim.RunUntilIdle();
  NetworkHarness ten(OneBytePerMicrosecond());
  uint64_t last = 0;
  for (int i = 0; i < 100; ++i) last = ten.SendSized(0, 1, 10000);
  ten.sim.RunUntilIdle();
  // 100 x 10,000 bytes through a 1 MB/s NIC: about one second, i.e. 100
  // transmit times, not 100 one-message latencies and not one.
  EXPECT_GE(ten.ArrivalOf(last), Seconds(1));
  EXPECT_LE(ten.ArrivalOf(last), Seconds(1) + 2 * one.ArrivalOf(single));
  // And they arrive in order, spaced by one transmit time.
  for (size_t i = 1; i < ten.arrivals.size(); ++i) {
    EXPECT_EQ(ten.arrivals[i].time - ten.arrivals[i - 1].time, 10000);
  }
}

TEST(Network, TwoSendersToTwoReceiversRunInParallel) {
  NetworkHarness alone(OneBytePerMicrosecond(), 4);
  const uint64_t solo = alone.SendSized(0, 2, 10000);
  alone.sim.RunUntilIdle();
  NetworkHarness both(OneBytePerMicrosecond(), 4);
  const uint64_t a = both.SendSized(0, 2, 10000);
  const uint64_t b = both.SendSized(1, 3, 10000);
  both.sim.RunUntilIdle();
  EXPECT_EQ(both.ArrivalOf(a), alone.ArrivalOf(solo));
  EXPECT_EQ(both.ArrivalOf(b), alone.ArrivalOf(solo));
}

TEST(Network, OneSenderToTwoReceiversSharesItsNic) {
  NetworkHarness h(OneBytePerMicrosecond(), 4);
  const uint64_t a = h.SendSized(0, 2, 10000);
  const uint64_t b = h.SendSized(0, 3, 10000);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(b) - h.ArrivalOf(a), 10000);
}

TEST(Network, TwoSendersToOneReceiverShareItsNic) {
  NetworkHarness h(OneBytePerMicrosecond(), 4);
  const uint64_t a = h.SendSized(0, 2, 10000);
  const uint64_t b = h.SendSized(1, 2, 10000);
  h.sim.RunUntilIdle();
  const Time first = std::min(h.ArrivalOf(a), h.ArrivalOf(b));
  const Time second = std::max(h.ArrivalOf(a), h.ArrivalOf(b));
  EXPECT_EQ(second - first, 10000);
}

TEST(Network, SetBandwidthOverridesTheConfigForOneNode) {
  NetworkHarness h(FixedLatency(0));  // unlimited by default
  h.net.SetBandwidth(0, 1000 * 1000);
  const uint64_t limited = h.SendSized(0, 1, 10000);  // through node 0's NIC
  const uint64_t unlimited = h.SendSized(1, 2, 10000);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(limited), 10000);  // egress only; node 1 is unlimited
  EXPECT_EQ(h.ArrivalOf(unlimited), 0);
  // Receiving through the limited NIC is slow too.
  const Time start = h.sim.Now();
  const uint64_t inbound = h.SendSized(2, 0, 5000);
  h.sim.RunUntilIdle();
  EXPECT_EQ(h.ArrivalOf(inbound) - start, 5000);
}

// ---------------------------------------------------------------------------
// Accounting.

TEST(Network, AccountsMessagesAndBytesPerNodeLinkAndMethod) {
  NetworkHarness h(FixedLatency(Micros(100)));
  h.Send(0, 1, PacketKind::kRequest, "A", std::string(10, 'x'));  // 24 + 1 + 10 = 35
  h.Send(0, 1, PacketKind::kRequest, "B", "");                    // 25
  h.Send(1, 2, PacketKind::kReply, "A", std::string(5, 'x'));     // 30
  h.sim.RunUntilIdle();
  h.net.Isolate(2);
  h.Send(0, 2, PacketKind::kRequest, "B", "");  // 25, dropped
  h.sim.RunUntilIdle();

  const NetworkStats& s = h.net.stats();
  EXPECT_EQ(s.total_sent.messages, 4u);
  EXPECT_EQ(s.total_sent.bytes, 115u);
  ASSERT_EQ(s.sent_by_node.size(), 3u);
  EXPECT_EQ(s.sent_by_node[0].messages, 3u);
  EXPECT_EQ(s.sent_by_node[0].bytes, 85u);
  EXPECT_EQ(s.sent_by_node[1].messages, 1u);
  EXPECT_EQ(s.sent_by_node[1].bytes, 30u);
  EXPECT_EQ(s.sent_by_node[2].messages, 0u);
  // Received counts only what was delivered.
  ASSERT_EQ(s.received_by_node.size(), 3u);
  EXPECT_EQ(s.received_by_node[0].messages, 0u);
  EXPECT_EQ(s.received_by_node[1].messages, 2u);
  EXPECT_EQ(s.received_by_node[1].bytes, 60u);
  EXPECT_EQ(s.received_by_node[2].messages, 1u);
  EXPECT_EQ(s.received_by_node[2].bytes, 30u);
  ASSERT_EQ(s.by_link.size(), 3u);
  EXPECT_EQ(s.by_link.at({0, 1}).messages, 2u);
  EXPECT_EQ(s.by_link.at({0, 1}).bytes, 60u);
  EXPECT_EQ(s.by_link.at({1, 2}).bytes, 30u);
  EXPECT_EQ(s.by_link.at({0, 2}).messages, 1u);
  ASSERT_EQ(s.by_method.size(), 2u);
  EXPECT_EQ(s.by_method.at("A").messages, 2u);
  EXPECT_EQ(s.by_method.at("A").bytes, 65u);
  EXPECT_EQ(s.by_method.at("B").messages, 2u);
  EXPECT_EQ(s.by_method.at("B").bytes, 50u);
  EXPECT_EQ(s.dropped, 1u);

  h.net.ResetStats();
  EXPECT_EQ(h.net.stats().total_sent.messages, 0u);
  EXPECT_EQ(h.net.stats().dropped, 0u);
  EXPECT_TRUE(h.net.stats().by_link.empty());
  EXPECT_EQ(h.net.stats().sent_by_node.size(), 3u);
  EXPECT_EQ(h.net.stats().sent_by_node[0].messages, 0u);
}

// ---------------------------------------------------------------------------
// Packets built in place.

TEST(Network, NewPacketIsBlankEvenWhenItsStorageIsRecycled) {
  NetworkHarness h(FixedLatency(Millis(1)));
  for (int round = 0; round < 3; ++round) {
    Packet& p = h.net.NewPacket();
    EXPECT_EQ(p.from, -1);
    EXPECT_EQ(p.to, -1);
    EXPECT_EQ(p.from_incarnation, 0u);
    EXPECT_EQ(p.to_incarnation, 0u);
    EXPECT_EQ(p.kind, PacketKind::kRequest);
    EXPECT_EQ(p.call_id, 0u);
    EXPECT_EQ(p.method, kNoMethod);
    EXPECT_EQ(p.status_code, 0);
    EXPECT_EQ(p.status_message, "");
    EXPECT_EQ(p.body, "");
    p.from = 0;
    p.to = 1;
    p.from_incarnation = 3;
    p.to_incarnation = 4;
    p.kind = PacketKind::kReply;
    p.call_id = 100 + round;
    p.method = InternMethod("Test.InPlace");
    p.status_code = 5;
    p.status_message = "status";
    p.body = std::string(200, 'b');
    h.net.Send(std::move(p));
    h.sim.RunUntilIdle();  // delivered: its storage is free again
  }
  ASSERT_EQ(h.arrivals.size(), 3u);
  for (int round = 0; round < 3; ++round) {
    const Packet& got = h.arrivals[round].packet;
    EXPECT_EQ(got.call_id, 100u + round);
    EXPECT_EQ(MethodName(got.method), "Test.InPlace");
    EXPECT_EQ(got.status_message, "status");
    EXPECT_EQ(got.body, std::string(200, 'b'));
  }
}

TEST(Network, AReceiverCanSendTheDeliveredPacketOn) {
  // The delivered packet's storage is freed after the receiver returns, so
  // forwarding that very packet must send a copy, not the freed slot.
  Simulator sim(1);
  Network net(sim, FixedLatency(Millis(1)));
  for (NodeId n = 0; n < 3; ++n) net.AddNode(n, n);
  std::vector<std::pair<NodeId, std::string>> got;
  net.set_deliver([&](Packet& p) {
    got.push_back({p.to, p.body});
    if (p.to == 1) {
      p.from = 1;
      p.to = 2;
      net.Send(std::move(p));
      // Traffic sent right after must not disturb the forwarded copy.
      Packet& other = net.NewPacket();
      other.from = 1;
      other.to = 0;
      other.body = "other";
      net.Send(std::move(other));
    }
  });
  Packet& first = net.NewPacket();
  first.from = 0;
  first.to = 1;
  first.body = "forward me";
  net.Send(std::move(first));
  sim.RunUntilIdle();
  EXPECT_EQ(got, (std::vector<std::pair<NodeId, std::string>>{
                     {1, "forward me"}, {2, "forward me"}, {0, "other"}}));
}

TEST(Network, MethodNamesAreInternedOnce) {
  const MethodId a = InternMethod("Test.Interned.A");
  const MethodId b = InternMethod("Test.Interned.B");
  EXPECT_NE(a, b);
  EXPECT_NE(a, kNoMethod);
  EXPECT_EQ(InternMethod(std::string("Test.Interned.") + "A"), a);
  EXPECT_EQ(MethodName(a), "Test.Interned.A");
  EXPECT_EQ(InternMethod(""), kNoMethod);
  EXPECT_EQ(MethodName(kNoMethod), "");
  EXPECT_EQ(MethodName(999999), "");  // never issued
}

TEST(Network, WireBytesCountHeaderMethodStatusAndBody) {
  Packet p;
  EXPECT_EQ(p.WireBytes(), 24);
  p.method = InternMethod("Svc.Method");
  p.status_message = "oops";
  p.body = std::string(100, 'b');
  EXPECT_EQ(p.WireBytes(), 24 + 10 + 4 + 100);
}

// ---------------------------------------------------------------------------
// The Unreliable() preset.

TEST(Network, UnreliablePresetHasLabrpcLikeRates) {
  const NetworkConfig c = NetworkConfig::Unreliable();
  EXPECT_DOUBLE_EQ(c.drop_request_probability, 0.1);
  EXPECT_DOUBLE_EQ(c.drop_reply_probability, 0.1);
  EXPECT_EQ(c.base_latency + c.jitter, Micros(200) + Millis(26));
  EXPECT_GT(c.duplicate_probability, 0);
  EXPECT_GT(c.reorder_probability, 0);
  EXPECT_GT(c.reorder_max, c.jitter);  // "long" reordering
  const NetworkConfig r = NetworkConfig::Reliable();
  EXPECT_EQ(r.drop_request_probability, 0);
  EXPECT_EQ(r.drop_reply_probability, 0);
  EXPECT_EQ(r.duplicate_probability, 0);
  EXPECT_EQ(r.reorder_probability, 0);
  EXPECT_EQ(r.long_delay_probability, 0);
}

TEST(Network, UnreliablePresetLosesTenPercentEachWay) {
  const NetworkConfig c = NetworkConfig::Unreliable();
  const Duration max_latency = c.base_latency + c.jitter;
  for (PacketKind kind : {PacketKind::kRequest, PacketKind::kReply}) {
    SCOPED_TRACE(kind == PacketKind::kRequest ? "requests" : "replies");
    NetworkHarness h(c, 3, 7);
    for (int i = 0; i < 10000; ++i) h.Send(0, 1, kind);
    h.sim.RunUntilIdle();
    const NetworkStats& s = h.net.stats();
    EXPECT_GE(s.dropped, 800u);
    EXPECT_LE(s.dropped, 1200u);
    // About 2% of what survives is duplicated.
    EXPECT_GE(s.duplicated, 100u);
    EXPECT_LE(s.duplicated, 300u);
    EXPECT_EQ(h.arrivals.size(), 10000u - s.dropped + s.duplicated);
    int reordered = 0;
    for (const Arrival& a : h.arrivals) {
      ASSERT_GE(a.time, c.base_latency);
      ASSERT_LE(a.time, max_latency + c.reorder_max);
      reordered += a.time > max_latency;
    }
    if (kind == PacketKind::kRequest) {
      EXPECT_EQ(reordered, 0);
    } else {
      // ~5% of replies held back 200ms..2.2s.
      EXPECT_GE(reordered, 300);
      EXPECT_LE(reordered, 600);
    }
  }
}

TEST(Network, SwarmConfigsAreSeededBoundedAndVaried) {
  int with_loss = 0, with_duplicates = 0, with_reordering = 0, exponential = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Rng a(seed), b(seed);
    const NetworkConfig c = NetworkConfig::Swarm(a);
    const NetworkConfig same = NetworkConfig::Swarm(b);
    ASSERT_EQ(c.jitter, same.jitter) << "seed " << seed;
    ASSERT_EQ(c.drop_request_probability, same.drop_request_probability);
    ASSERT_LE(c.drop_request_probability, 0.2);
    ASSERT_LE(c.drop_reply_probability, 0.2);
    ASSERT_LE(c.duplicate_probability, 0.1);
    ASSERT_LE(c.jitter, Millis(50));
    ASSERT_LE(c.reorder_min, c.reorder_max);
    with_loss += c.drop_request_probability > 0;
    with_duplicates += c.duplicate_probability > 0;
    with_reordering += c.reorder_probability > 0;
    exponential += c.distribution == LatencyDistribution::kExponential;
  }
  // Each knob is on in some runs and off in others.
  for (int count : {with_loss, with_duplicates, with_reordering, exponential}) {
    EXPECT_GT(count, 60);
    EXPECT_LT(count, 140);
  }
}

TEST(Network, SameSeedSameDeliveriesDifferentSeedDifferentOnes) {
  auto run = [](uint64_t seed) {
    NetworkHarness h(NetworkConfig::Unreliable(), 3, seed);
    for (int i = 0; i < 200; ++i) h.Send(i % 3, (i + 1) % 3, PacketKind::kReply);
    h.sim.RunUntilIdle();
    std::vector<std::pair<Time, uint64_t>> out;
    for (const Arrival& a : h.arrivals) out.emplace_back(a.time, a.packet.call_id);
    return out;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace auroralab
