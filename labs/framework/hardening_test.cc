// Regression tests for the framework audit (issue 12): one test per defect
// found at the edges of the simulation layer, each of which failed before its
// fix. They run in every build (fastbuild, --config=opt, --asan); the
// use-after-free tests are the ones ASan turns from "silently wrong" into a
// hard failure, and they also check behaviour every build can see.
//
//   - lifetimes: a node crashed from inside its own RPC callback (the timeout
//     path) or its own handler is not touched after the crash;
//   - hostile values: oversized messages, NaN/inf/huge slowness, negative
//     delays, huge bandwidth, a partition naming an unknown node, kForever;
//   - replay: the trace digest covers message bodies;
//   - fault composition: nemesis undo never undoes a scripted fault;
//   - the disk model: a crash keeps exactly what a completed Sync covered;
//   - accounting: sends to a nonexistent node count as sent (and dropped);
//     a reply arriving exactly at its deadline is always a timeout;
//   - memory follows what is live: cancelled timers, a long-pending call,
//     interned method tables, AddNode growth, a bounded trace.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/disk.h"
#include "labs/framework/internal/sim_rpc_endpoint.h"
#include "labs/framework/network.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/framework/simulator.h"
#include "labs/framework/testing.pb.h"
#include "labs/framework/world.h"

namespace auroralab {
namespace {

using ::auroralab::testing::EchoReply;
using ::auroralab::testing::EchoRequest;

inline constexpr Method<EchoRequest, EchoReply> kEcho{"Hardening.Echo"};

// A node whose behaviour a test supplies: `start` runs in Start().
class Scripted : public Node {
 public:
  using StartFn = std::function<void(NodeContext&)>;
  Scripted(NodeContext& ctx, StartFn start) : Node(ctx), start_(std::move(start)) {}
  void Start() override {
    if (start_) start_(ctx());
  }
  NodeContext& context() { return ctx(); }

 private:
  StartFn start_;
};

NodeFactory Make(Scripted::StartFn start = nullptr) {
  return [start](NodeContext& ctx) { return std::make_unique<Scripted>(ctx, start); };
}

// Echoes the request's text.
NodeFactory EchoServer(std::string prefix = "") {
  return Make([prefix](NodeContext& ctx) {
    ctx.rpc().Handle(kEcho, [prefix](const EchoRequest& request, Responder<EchoReply> out) {
      EchoReply reply;
      reply.set_text(prefix + request.text());
      out.Reply(reply);
    });
  });
}

EchoRequest Echo(std::string text) {
  EchoRequest request;
  request.set_text(std::move(text));
  return request;
}

WorldOptions FixedLatency(Duration latency, uint64_t seed = 1) {
  WorldOptions options;
  options.seed = seed;
  options.network.base_latency = latency;
  options.network.jitter = 0;
  return options;
}

RpcEndpoint& Rpc(World& world, NodeId id) { return world.node<Scripted>(id).context().rpc(); }

// ---------------------------------------------------------------------------
// Lifetimes: a node crashed from inside its own code.

TEST(CrashFromInside, TimeoutCallbackCanCrashItsOwnNode) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  world.network().Isolate(server);  // every call times out
  int callbacks = 0;
  // Two calls with the same deadline: the first callback crashes the
  // client, so the second call vanishes with it and its callback never runs
  // (before the fix the deadline loop went on inside the freed endpoint).
  for (int i = 0; i < 2; ++i) {
    Rpc(world, client)
        .Call(server, kEcho, Echo("x"), Millis(10),
              [&world, &callbacks, client](absl::StatusOr<EchoReply> reply) {
                ++callbacks;
                EXPECT_TRUE(absl::IsDeadlineExceeded(reply.status()));
                world.Crash(client);
              });
  }
  world.RunFor(Seconds(1));
  EXPECT_EQ(callbacks, 1);
  EXPECT_FALSE(world.IsUp(client));
  world.Restart(client);
  EXPECT_EQ(Rpc(world, client).pending_calls(), 0u);
}

TEST(CrashFromInside, HandlerCanCrashItsOwnNode) {
  World world(FixedLatency(Millis(1)));
  int handled = 0;
  NodeId server = -1;
  server = world.AddNode(
      "server", 0, Make([&world, &handled, &server](NodeContext& ctx) {
        // A handler that re-registers itself and then crashes its node: neither
        // the running handler nor its replacement may be touched afterwards.
        ctx.rpc().Handle(
            kEcho, [&world, &handled, &server, &ctx](const EchoRequest&, Responder<EchoReply> out) {
              ++handled;
              ctx.rpc().Handle(kEcho, [](const EchoRequest&, Responder<EchoReply>) {});
              world.Crash(server);
              out.Reply(EchoReply());  // dies with the incarnation
            });
      }));
  const NodeId client = world.AddNode("client", 1, Make());
  absl::Status result = absl::UnknownError("not completed");
  Rpc(world, client)
      .Call(server, kEcho, Echo("x"), Millis(50),
            [&result](absl::StatusOr<EchoReply> reply) { result = reply.status(); });
  world.RunFor(Seconds(1));
  EXPECT_EQ(handled, 1);
  EXPECT_FALSE(world.IsUp(server));
  EXPECT_TRUE(absl::IsDeadlineExceeded(result)) << result;
  // The node restarts cleanly and serves again.
  world.Restart(server);
  Rpc(world, client)
      .Call(server, kEcho, Echo("y"), Millis(50),
            [&result](absl::StatusOr<EchoReply> reply) { result = reply.status(); });
  world.RunFor(Seconds(1));
  EXPECT_EQ(handled, 2);
}

TEST(CrashFromInside, TimerCanCrashAndRestartItsOwnNode) {
  World world(FixedLatency(Millis(1)));
  int starts = 0;
  NodeId node = -1;
  node = world.AddNode("n", 0, Make([&](NodeContext& ctx) {
                         ++starts;
                         if (starts == 1) {
                           ctx.SetTimer(Millis(5), [&world, &node] {
                             world.Crash(node);
                             world.Restart(node);
                           });
                         }
                       }));
  world.RunFor(Seconds(1));
  EXPECT_EQ(starts, 2);
  EXPECT_TRUE(world.IsUp(node));
  EXPECT_EQ(world.incarnation(node), 2u);
}

// ---------------------------------------------------------------------------
// Replay: the digest covers what messages say.

uint64_t DigestOfARunWhoseServerSays(const std::string& prefix) {
  World world(FixedLatency(Millis(1), 7));
  const NodeId server = world.AddNode("server", 0, EchoServer(prefix));
  const NodeId client = world.AddNode("client", 1, Make());
  Rpc(world, client).Call(server, kEcho, Echo("x"), Millis(50), [](absl::StatusOr<EchoReply>) {});
  world.RunFor(Seconds(1));
  return world.trace().digest();
}

TEST(Digest, DependsOnMessageBodies) {
  EXPECT_EQ(DigestOfARunWhoseServerSays("a"), DigestOfARunWhoseServerSays("a"));
  EXPECT_NE(DigestOfARunWhoseServerSays("a"), DigestOfARunWhoseServerSays("b"));
}

// ---------------------------------------------------------------------------
// Time limits.

TEST(Forever, AnEventAtKForeverNeverRuns) {
  Simulator sim(1);
  bool ran = false;
  sim.ScheduleAt(kForever, [&ran] { ran = true; });
  sim.Schedule(kForever, [&ran] { ran = true; });
  sim.RunFor(kForever);
  sim.RunUntilIdle();
  EXPECT_FALSE(ran);
  EXPECT_EQ(sim.Now(), kForever);
}

TEST(Forever, ATimeoutOfKForeverNeverExpires) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  world.network().Isolate(server);
  int callbacks = 0;
  Rpc(world, client)
      .Call(server, kEcho, Echo("x"), kForever,
            [&callbacks](absl::StatusOr<EchoReply>) { ++callbacks; });
  world.RunFor(kForever);
  EXPECT_EQ(callbacks, 0);
}

// ---------------------------------------------------------------------------
// Accounting and the deadline rule.

TEST(Stats, SendsToANonexistentNodeCountAsSentAndDropped) {
  World world(FixedLatency(Millis(1)));
  const NodeId client = world.AddNode("client", 0, Make());
  Rpc(world, client).Call(/*to=*/99, kEcho, Echo("x"), Millis(10), [](absl::StatusOr<EchoReply>) {
  });
  world.RunFor(Seconds(1));
  const NetworkStats& stats = world.network().stats();
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_EQ(stats.total_sent.messages, 1u);
  EXPECT_EQ(stats.sent_by_node[client].messages, 1u);
  EXPECT_EQ(stats.by_method.at(kEcho.name).messages, 1u);
}

// A round trip of exactly the timeout: 1ms there, 1ms back, 2ms timeout.
// With `unrelated_call`, another call with an earlier deadline is made in
// between, which used to change which of the two same-time events ran first.
absl::Status ReplyExactlyAtTheDeadline(bool unrelated_call) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId other = world.AddNode("other", 0, Make());
  const NodeId client = world.AddNode("client", 1, Make());
  world.network().Isolate(other);
  absl::Status result = absl::UnknownError("not completed");
  Rpc(world, client)
      .Call(server, kEcho, Echo("x"), Millis(2),
            [&result](absl::StatusOr<EchoReply> reply) { result = reply.status(); });
  if (unrelated_call) {
    world.RunFor(Micros(500));
    Rpc(world, client).Call(other, kEcho, Echo("y"), Micros(500), [](absl::StatusOr<EchoReply>) {});
  }
  world.RunFor(Seconds(1));
  return result;
}

TEST(Deadline, AReplyArrivingExactlyAtTheDeadlineIsATimeout) {
  EXPECT_TRUE(absl::IsDeadlineExceeded(ReplyExactlyAtTheDeadline(false)))
      << ReplyExactlyAtTheDeadline(false);
  EXPECT_TRUE(absl::IsDeadlineExceeded(ReplyExactlyAtTheDeadline(true)))
      << ReplyExactlyAtTheDeadline(true);
}

// ---------------------------------------------------------------------------
// The disk model: a crash keeps exactly what a completed Sync covered.

TEST(DiskModel, AFileRemovedAndRecreatedWhileASyncIsPendingIsLostAtCrash) {
  WorldOptions options;
  options.disk.torn_write_probability = 0;
  World world(options);
  const NodeId node = world.AddNode("n", 0, Make());
  Disk& disk = world.node<Scripted>(node).context().disk();
  ASSERT_TRUE(disk.Append("f", "old").ok());
  disk.Sync([](absl::Status) {});
  ASSERT_TRUE(disk.Remove("f").ok());
  ASSERT_TRUE(disk.Append("f", "new, never synced").ok());
  world.RunFor(Seconds(1));  // the sync completes
  world.Crash(node);
  world.Restart(node);
  EXPECT_FALSE(world.node<Scripted>(node).context().disk().Exists("f"));
}

TEST(DiskModel, AnOverwriteIssuedAfterASyncDoesNotSurviveACrash) {
  WorldOptions options;
  options.disk.torn_write_probability = 0;
  World world(options);
  const NodeId node = world.AddNode("n", 0, Make());
  Disk& disk = world.node<Scripted>(node).context().disk();
  ASSERT_TRUE(disk.Append("f", "synced").ok());
  disk.Sync([](absl::Status) {});
  world.RunFor(Seconds(1));
  // Only appends since the last completed sync: the next sync covers a
  // prefix of the file, which the overwrite then replaces.
  ASSERT_TRUE(disk.Append("f", "+more").ok());
  absl::Status synced = absl::UnknownError("pending");
  disk.Sync([&synced](absl::Status s) { synced = s; });
  ASSERT_TRUE(disk.Write("f", "overwritten after the sync call").ok());
  world.RunFor(Seconds(1));
  ASSERT_TRUE(synced.ok()) << synced;
  world.Crash(node);
  world.Restart(node);
  absl::StatusOr<std::string> contents = world.node<Scripted>(node).context().disk().Read("f");
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(*contents, "synced+more");
}

// ---------------------------------------------------------------------------
// Fault composition: the nemesis undoes only what it did.

NemesisOptions OnlyNode0(bool crashes, bool partitions, bool slow) {
  NemesisOptions o;
  o.targets = {0};
  o.until = Millis(150);  // exactly one fault: 100ms..600ms
  o.interval = Millis(100);
  o.fault_duration = Millis(500);
  o.crashes = crashes;
  o.partitions = partitions;
  o.slow_nodes = slow;
  return o;
}

TEST(NemesisComposition, ALinkTheTestCutDuringAnIsolationStaysCut) {
  World world(WorldOptions{});
  for (int i = 0; i < 3; ++i) world.AddNode(absl::StrCat("n", i), 0, Make());
  StartNemesis(world, OnlyNode0(false, true, false));
  world.RunFor(Millis(200));
  ASSERT_FALSE(world.network().CanReach(0, 1)) << "the nemesis should have isolated node 0";
  world.network().BlockLink(0, 1);  // the test's own cut, inside the window
  world.RunFor(Seconds(1));
  EXPECT_FALSE(world.network().CanReach(0, 1)) << "the nemesis reopened a link the test cut";
  EXPECT_TRUE(world.network().CanReach(1, 0));
  EXPECT_TRUE(world.network().CanReach(0, 2));
}

TEST(NemesisComposition, ANodeTheTestCrashedDuringANemesisCrashStaysDown) {
  World world(WorldOptions{});
  for (int i = 0; i < 3; ++i) world.AddNode(absl::StrCat("n", i), 0, Make());
  StartNemesis(world, OnlyNode0(true, false, false));
  world.RunFor(Millis(200));
  ASSERT_FALSE(world.IsUp(0)) << "the nemesis should have crashed node 0";
  world.Crash(0);  // the test wants it down too
  world.RunFor(Seconds(1));
  EXPECT_FALSE(world.IsUp(0)) << "the nemesis restarted a node the test crashed";
  world.Restart(0);
  EXPECT_TRUE(world.IsUp(0));
}

TEST(NemesisComposition, SlownessTheTestSetDuringANemesisSlowdownIsKept) {
  World world(WorldOptions{});
  for (int i = 0; i < 3; ++i) world.AddNode(absl::StrCat("n", i), 0, Make());
  StartNemesis(world, OnlyNode0(false, false, true));
  world.RunFor(Millis(200));
  ASSERT_EQ(world.network().slowness(0), 20.0) << "the nemesis should have slowed node 0";
  world.network().SetSlow(0, 3);
  world.RunFor(Seconds(1));
  EXPECT_EQ(world.network().slowness(0), 3.0) << "the nemesis overwrote the test's slowness";
}

// ---------------------------------------------------------------------------
// Hostile values.

TEST(HostileValuesDeathTest, NaNInfiniteOrHugeSlownessIsRefused) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, EchoServer());
  for (double slowness : {std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::quiet_NaN(), 1e300, -1.0}) {
    SCOPED_TRACE(absl::StrCat("slowness ", slowness));
    EXPECT_DEATH(world.network().SetSlow(server, slowness), "latency multiplier .* is not in");
  }
}

TEST(HostileValues, LatencyArithmeticSaturatesInsteadOfArrivingEarly) {
  // A base latency near the end of time, times a legal slowness, overflowed
  // llround and delivered the message at once; now it is never delivered.
  WorldOptions options = FixedLatency(std::numeric_limits<Duration>::max() / 4);
  World world(options);
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  world.network().SetSlow(server, 8);
  int replies = 0;
  Rpc(world, client).Call(server, kEcho, Echo("x"), Seconds(1), [&](absl::StatusOr<EchoReply> r) {
    replies += r.ok();
  });
  world.RunFor(Seconds(10));
  EXPECT_EQ(replies, 0);
  EXPECT_EQ(world.network().stats().received_by_node[server].messages, 0u);
}

TEST(HostileValuesDeathTest, PartitionNamingAnUnknownNodeIsRefused) {
  World world(WorldOptions{});
  for (int i = 0; i < 2; ++i) world.AddNode(absl::StrCat("n", i), 0, Make());
  EXPECT_DEATH(world.network().Partition({{0}, {1, 7}}), "partition: no node 7");
  EXPECT_DEATH(world.network().Partition({{0, 1}, {1}}), "node 1 is in two groups");
  EXPECT_DEATH(world.network().BlockLink(0, 2), "block link: no node 2");
  EXPECT_DEATH(world.network().Hold(-1), "hold: no node -1");
}

TEST(HostileValuesDeathTest, NegativeDelaysAndBadProbabilitiesAreRefused) {
  World world(WorldOptions{});
  NetworkConfig bad = world.network().config();
  bad.jitter = -Millis(5);
  EXPECT_DEATH(world.network().set_config(bad), "jitter = -5000 \\(must be >= 0\\)");
  bad = NetworkConfig();
  bad.long_delay_max = -1;
  EXPECT_DEATH(world.network().set_config(bad), "long_delay_max");
  bad = NetworkConfig();
  bad.drop_request_probability = std::numeric_limits<double>::quiet_NaN();
  EXPECT_DEATH(world.network().set_config(bad), "drop_request_probability");
  bad = NetworkConfig();
  bad.reorder_min = Millis(5);
  bad.reorder_max = Millis(1);
  EXPECT_DEATH(world.network().set_config(bad), "reorder_max");
  WorldOptions options;
  options.disk.sync_jitter = -1;
  EXPECT_DEATH(World{options}, "invalid WorldOptions: disk config: sync_jitter");
  EXPECT_TRUE(ValidateNetworkConfig(NetworkConfig::Unreliable()).ok());
}

TEST(HostileValuesDeathTest, HugeBandwidthIsRefused) {
  World world(WorldOptions{});
  world.AddNode("n", 0, Make());
  EXPECT_DEATH(world.network().SetBandwidth(0, std::numeric_limits<int64_t>::max()),
               "bandwidth of node 0");
  NetworkConfig bad;
  bad.bandwidth_bytes_per_second = std::numeric_limits<int64_t>::max();
  EXPECT_DEATH(world.network().set_config(bad), "bandwidth_bytes_per_second");
}

TEST(HostileValues, TheLargestBandwidthDoesNotOverflow) {
  WorldOptions options = FixedLatency(Millis(1));
  options.network.bandwidth_bytes_per_second = kMaxBandwidth;
  World world(options);
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  EchoRequest big = Echo("x");
  big.set_padding(std::string(size_t{8} << 20, 'p'));
  Time replied_at = -1;
  Rpc(world, client).Call(server, kEcho, big, Seconds(1), [&](absl::StatusOr<EchoReply> r) {
    if (r.ok()) replied_at = world.Now();
  });
  world.RunFor(Seconds(2));
  // 8 MiB at 1 TB/s: 8us each way through each NIC, plus 1ms latency.
  EXPECT_GE(replied_at, Millis(2));
  EXPECT_LE(replied_at, Millis(2) + Micros(40));
}

// ---------------------------------------------------------------------------
// Message size: bounded with a clear error, never a crash or a truncation.

TEST(MessageSize, ARequestOverTheLimitFailsTheCallWithoutSendingIt) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  EchoRequest big = Echo("x");
  big.set_padding(std::string(kMaxMessageBytes, 'p'));  // plus the other fields: over
  absl::Status result = absl::UnknownError("not completed");
  bool inside_call = true;
  Rpc(world, client).Call(server, kEcho, big, Seconds(1), [&](absl::StatusOr<EchoReply> reply) {
    EXPECT_FALSE(inside_call) << "done ran inside Call()";
    result = reply.status();
  });
  inside_call = false;
  world.RunFor(Seconds(2));
  EXPECT_EQ(result.code(), absl::StatusCode::kInvalidArgument) << result;
  EXPECT_NE(result.message().find("message limit"), std::string::npos) << result;
  EXPECT_EQ(world.network().stats().total_sent.messages, 0u);
  EXPECT_EQ(Rpc(world, client).pending_calls(), 0u);
}

TEST(MessageSize, AReplyOverTheLimitReachesTheCallerAsAnError) {
  World world(FixedLatency(Millis(1)));
  const NodeId server =
      world.AddNode("server", 0, Make([](NodeContext& ctx) {
                      ctx.rpc().Handle(kEcho, [](const EchoRequest&, Responder<EchoReply> out) {
                        EchoReply reply;
                        reply.set_text(std::string(kMaxMessageBytes + 1, 'r'));
                        out.Reply(reply);
                      });
                    }));
  const NodeId client = world.AddNode("client", 1, Make());
  absl::Status result = absl::UnknownError("not completed");
  Rpc(world, client)
      .Call(server, kEcho, Echo("x"), Seconds(1),
            [&](absl::StatusOr<EchoReply> reply) { result = reply.status(); });
  world.RunFor(Seconds(2));
  EXPECT_EQ(result.code(), absl::StatusCode::kInvalidArgument) << result;
  EXPECT_NE(result.message().find("reply is larger than"), std::string::npos) << result;
}

// ---------------------------------------------------------------------------
// Memory follows what is live.

TEST(Memory, OneLongPendingCallDoesNotPinTheCallRing) {
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId silent = world.AddNode("silent", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  world.network().Isolate(silent);
  absl::Status old_call = absl::UnknownError("not completed");
  Rpc(world, client)
      .Call(silent, kEcho, Echo("old"), Seconds(1000),
            [&](absl::StatusOr<EchoReply> reply) { old_call = reply.status(); });
  int completed = 0;
  std::function<void()> next = [&] {
    if (completed == 10000) return;
    Rpc(world, client)
        .Call(server, kEcho, Echo("x"), Seconds(1), [&](absl::StatusOr<EchoReply> reply) {
          EXPECT_TRUE(reply.ok()) << reply.status();
          ++completed;
          next();
        });
  };
  next();
  world.RunFor(Seconds(100));
  EXPECT_EQ(completed, 10000);
  EXPECT_LE(AsSimRpcEndpoint(Rpc(world, client)).TEST_call_ring_size(), 16u);
  EXPECT_EQ(Rpc(world, client).pending_calls(), 1u);
  // The old call is still tracked, and still times out on time.
  world.RunFor(Seconds(1000));
  EXPECT_TRUE(absl::IsDeadlineExceeded(old_call)) << old_call;
  EXPECT_EQ(Rpc(world, client).pending_calls(), 0u);
}

TEST(Memory, ManyInternedMethodsDoNotSizeANewWorldsTables) {
  for (int i = 0; i < 20000; ++i) InternMethod(absl::StrCat("Hardening.Unused", i));
  World world(FixedLatency(Millis(1)));
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  int ok = 0;
  Rpc(world, client)
      .Call(server, kEcho, Echo("x"), Seconds(1),
            [&](absl::StatusOr<EchoReply> reply) { ok += reply.ok(); });
  world.RunFor(Seconds(1));
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(AsSimRpcEndpoint(Rpc(world, server)).TEST_handler_slots(), 1u);
  EXPECT_EQ(world.network().TEST_method_counter_slots(), 1u);
  EXPECT_EQ(world.network().stats().by_method.at(kEcho.name).messages, 2u);
}

TEST(Memory, AddingNodesAllocatesNoCounterPerLink) {
  World world(FixedLatency(Millis(1)));
  for (int i = 0; i < 1000; ++i) world.AddNode(absl::StrCat("n", i), i % 3, EchoServer());
  // Adding a node used to reallocate and copy an n x n counter matrix
  // (quadratic per add: 25 s for 1,000 nodes). Counters now exist only for
  // links that carried traffic.
  EXPECT_EQ(world.network().TEST_link_counter_slots(), 0u);
  int ok = 0;
  Rpc(world, 999).Call(5, kEcho, Echo("x"), Seconds(1), [&](absl::StatusOr<EchoReply> reply) {
    ok += reply.ok();
  });
  world.RunFor(Seconds(1));
  EXPECT_EQ(ok, 1);
  EXPECT_LE(world.network().TEST_link_counter_slots(), 1000u + 6u);
  const NetworkStats& stats = world.network().stats();
  EXPECT_EQ(stats.by_link.size(), 2u);
  EXPECT_EQ(stats.by_link.at({999, 5}).messages, 1u);
  EXPECT_EQ(stats.by_link.at({5, 999}).messages, 1u);
}

// ---------------------------------------------------------------------------
// A bounded trace: the last N events plus the full digest.

struct PingRun {
  uint64_t digest = 0;
  uint64_t count = 0;
  std::vector<TraceEvent> events;
  uint64_t trimmed = 0;
};

PingRun RunPings(size_t keep_last) {
  WorldOptions options = FixedLatency(Millis(1), 3);
  options.trace_keep_last = keep_last;
  World world(options);
  const NodeId server = world.AddNode("server", 0, EchoServer());
  const NodeId client = world.AddNode("client", 1, Make());
  std::function<void(int)> ping = [&](int i) {
    if (i == 500) return;
    Rpc(world, client)
        .Call(server, kEcho, Echo(absl::StrCat(i)), Seconds(1),
              [&, i](absl::StatusOr<EchoReply>) { ping(i + 1); });
  };
  ping(0);
  world.RunFor(Seconds(10));
  return PingRun{world.trace().digest(), world.trace().event_count(), world.trace().events(),
                 world.trace().events_trimmed()};
}

TEST(BoundedTrace, KeepsTheLastEventsAndTheSameDigest) {
  const PingRun all = RunPings(0);
  const PingRun last = RunPings(100);
  EXPECT_EQ(all.digest, last.digest);
  EXPECT_EQ(all.count, last.count);
  EXPECT_EQ(all.events.size(), all.count);
  EXPECT_GE(last.events.size(), 100u);
  EXPECT_LT(last.events.size(), 200u);
  EXPECT_EQ(last.trimmed + last.events.size(), last.count);
  // What is kept is exactly the tail of the full trace.
  const size_t offset = all.events.size() - last.events.size();
  for (size_t i = 0; i < last.events.size(); ++i) {
    EXPECT_EQ(last.events[i].time, all.events[offset + i].time);
    EXPECT_EQ(last.events[i].detail, all.events[offset + i].detail);
  }
}

// ---------------------------------------------------------------------------
// A request kept past its handler fails loudly (test builds).

TEST(RecycledRequestDeathTest, AReferenceKeptPastTheHandlerFailsLoudly) {
  if (!rpc_internal::kPoisonRecycledRequests) {
    GTEST_SKIP() << "requests are poisoned only in builds with assertions (not --config=opt)";
  }
  auto scenario = [] {
    World world(FixedLatency(Millis(1)));
    std::string seen;
    const NodeId server = world.AddNode(
        "server", 0, Make([&seen](NodeContext& ctx) {
          ctx.rpc().Handle(kEcho,
                           [&seen, &ctx](const EchoRequest& request, Responder<EchoReply> out) {
                             // The classic mistake: keep a reference for a later callback.
                             ctx.disk().Sync([&request, &seen, out](absl::Status) {
                               seen = request.text();
                               out.Reply(EchoReply());
                             });
                           });
        }));
    const NodeId client = world.AddNode("client", 1, Make());
    Rpc(world, client).Call(server, kEcho, Echo("x"), Seconds(1), [](absl::StatusOr<EchoReply>) {});
    world.RunFor(Seconds(1));
  };
  EXPECT_DEATH(scenario(),
               "Hardening.Echo handler was used after its handler returned. The request "
               "a handler receives is valid only while the handler runs");
}


// Crash points (lab 3): CrashAfterEvents crashes between two events, exactly
// after the n-th from now, and never inside one; the delivery observer hears
// each handled packet and may crash the receiver right after it.
TEST(CrashPoints, CrashAfterEventsStopsANodeBetweenTwoOfItsTimers) {
  World world(WorldOptions{.seed = 1});
  int ticks = 0;
  std::function<void(NodeContext&)> tick = [&](NodeContext& ctx) {
    ctx.SetTimer(Millis(1), [&ctx, &ticks, &tick] {
      ++ticks;
      tick(ctx);
    });
  };
  const NodeId a = world.AddNode("a", 0, Make([&](NodeContext& ctx) { tick(ctx); }));
  world.RunFor(Millis(5) + 1);
  ASSERT_EQ(ticks, 5);
  world.CrashAfterEvents(a, 3);
  world.RunFor(Millis(100));
  EXPECT_EQ(ticks, 8) << "three more timer events, then the crash";
  EXPECT_FALSE(world.IsUp(a));
}

TEST(CrashPoints, TheDeliveryObserverCanCrashTheCallerRightAfterTheNthReply) {
  World world(WorldOptions{.seed = 2});
  const NodeId server = world.AddNode("server", 0, EchoServer());
  int replies_handled = 0;
  const NodeId client = world.AddNode("client", 1, Make([&](NodeContext& ctx) {
    for (int i = 0; i < 5; ++i) {
      ctx.rpc().Call(server, kEcho, Echo("x"), Millis(100),
                     [&](absl::StatusOr<EchoReply> reply) {
                       if (reply.ok()) ++replies_handled;
                     });
    }
  }));
  int echo_replies = 0;
  world.SetDeliveryObserver([&](const World::Delivery& d) {
    if (d.to == client && d.reply && d.method == kEcho.name && d.ok && ++echo_replies == 2) {
      world.SetDeliveryObserver(nullptr);  // clearing itself while it runs is allowed
      world.Crash(client);
    }
  });
  world.RunFor(Seconds(1));
  EXPECT_EQ(replies_handled, 2) << "the crash comes right after the second reply was handled";
  EXPECT_FALSE(world.IsUp(client));
}

}  // namespace
}  // namespace auroralab
