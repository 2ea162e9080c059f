// Tests for World (world.h) and its Trace (trace.h):
//   - node lifecycle: AddNode starts a node, a crash destroys it and cancels
//     its timers, a restart builds a fresh instance through the factory with
//     the next incarnation; crash/restart are no-ops when already down/up;
//   - NodesInAz, At() scripted actions, RunUntil;
//   - StartNemesis: deterministic, never more than max_nodes_down nodes down
//     or cut off at once, everything healed after `until` + fault_duration;
//   - determinism: a busy scenario (nodes pinging each other over an
//     Unreliable() network, with crashes and a nemesis) gives the same trace
//     digest and event count for the same seed, and a different digest for a
//     different seed;
//   - Trace: digest sensitivity, keep_events, JSON lines and Tail output.
#include "labs/framework/world.h"

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/framework/testing.pb.h"
#include "labs/framework/trace.h"

namespace auroralab {
namespace {

using ::auroralab::testing::EchoReply;
using ::auroralab::testing::EchoRequest;

// A node whose Start() runs a test-supplied function.
class ScriptedNode : public Node {
 public:
  using StartFn = std::function<void(NodeContext&)>;
  ScriptedNode(NodeContext& ctx, StartFn start) : Node(ctx), start_(std::move(start)) {}
  void Start() override {
    started = true;
    if (start_) start_(ctx());
  }
  NodeContext& context() { return ctx(); }

  bool started = false;
  int volatile_state = 0;

 private:
  StartFn start_;
};

NodeFactory Scripted(ScriptedNode::StartFn start = nullptr, int* factory_calls = nullptr) {
  return [start, factory_calls](NodeContext& ctx) {
    if (factory_calls != nullptr) ++*factory_calls;
    return std::make_unique<ScriptedNode>(ctx, start);
  };
}

int CountTrace(World& world, TraceKind kind, const std::string& detail_prefix = "") {
  int n = 0;
  for (const TraceEvent& e : world.trace().events()) {
    n += e.kind == kind && e.detail.compare(0, detail_prefix.size(), detail_prefix) == 0;
  }
  return n;
}

// ---------------------------------------------------------------------------
// Lifecycle.

TEST(World, AddNodeStartsTheNodeAsIncarnationOne) {
  World world(WorldOptions{});
  int factory_calls = 0;
  const NodeId a = world.AddNode("alpha", 2, Scripted(nullptr, &factory_calls));
  const NodeId b = world.AddNode("beta", 0, Scripted(nullptr, &factory_calls));
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(world.num_nodes(), 2);
  EXPECT_EQ(factory_calls, 2);
  EXPECT_TRUE(world.IsUp(a));
  EXPECT_TRUE(world.node<ScriptedNode>(a).started);
  EXPECT_EQ(world.incarnation(a), 1u);
  EXPECT_EQ(world.node<ScriptedNode>(a).context().incarnation(), 1u);
  EXPECT_EQ(world.name(a), "alpha");
  EXPECT_EQ(world.node<ScriptedNode>(a).context().name(), "alpha");
  EXPECT_EQ(world.az(a), 2);
  EXPECT_EQ(world.node<ScriptedNode>(b).context().az(), 0);
  EXPECT_EQ(world.network().az_of(a), 2);
}

TEST(World, TimersFireAtTheirTimeUnlessCancelled) {
  World world(WorldOptions{});
  std::vector<Time> fired;
  EventId cancelled = kNoEvent;
  const NodeId n = world.AddNode(
      "n", 0, Scripted([&](NodeContext& ctx) {
        ctx.SetTimer(Millis(100), [&fired, &ctx] { fired.push_back(ctx.Now()); });
        cancelled = ctx.SetTimer(Millis(50), [&fired, &ctx] { fired.push_back(ctx.Now()); });
      }));
  world.node<ScriptedNode>(n).context().CancelTimer(cancelled);
  world.RunFor(Seconds(1));
  EXPECT_EQ(fired, (std::vector<Time>{Millis(100)}));
  EXPECT_EQ(CountTrace(world, TraceKind::kTimer), 1);
}

TEST(World, CrashCancelsTheNodesTimers) {
  World world(WorldOptions{});
  std::vector<uint64_t> fired_by;  // incarnations whose timer fired
  const NodeId n = world.AddNode(
      "n", 0, Scripted([&fired_by](NodeContext& ctx) {
        ctx.SetTimer(Millis(100), [&fired_by, &ctx] { fired_by.push_back(ctx.incarnation()); });
      }));
  world.At(Millis(50), "crash", [&] { world.Crash(n); });
  world.At(Millis(60), "restart", [&] { world.Restart(n); });
  world.RunFor(Seconds(1));
  // The first incarnation's timer (due at 100ms) never fired; the second
  // incarnation's own timer (due at 160ms) did.
  EXPECT_EQ(fired_by, (std::vector<uint64_t>{2}));
}

TEST(World, CrashedNodeStaysSilent) {
  World world(WorldOptions{});
  int ticks = 0;
  std::function<void(NodeContext&)> tick = [&](NodeContext& ctx) {
    ++ticks;
    ctx.SetTimer(Millis(10), [&tick, &ctx] { tick(ctx); });
  };
  const NodeId n = world.AddNode("n", 0, Scripted([&tick](NodeContext& ctx) { tick(ctx); }));
  world.RunFor(Millis(95));
  EXPECT_EQ(ticks, 10);  // at 0, 10, ..., 90ms
  world.Crash(n);
  world.RunFor(Seconds(1));
  EXPECT_EQ(ticks, 10);
  EXPECT_FALSE(world.IsUp(n));
}

TEST(World, RestartBuildsAFreshInstanceThroughTheFactory) {
  World world(WorldOptions{});
  int factory_calls = 0;
  std::vector<uint64_t> started;
  const NodeId n =
      world.AddNode("n", 1,
                    Scripted([&started](NodeContext& ctx) { started.push_back(ctx.incarnation()); },
                             &factory_calls));
  world.node<ScriptedNode>(n).volatile_state = 7;
  world.Crash(n);
  EXPECT_FALSE(world.IsUp(n));
  EXPECT_EQ(world.incarnation(n), 1u);
  world.Restart(n);
  EXPECT_TRUE(world.IsUp(n));
  EXPECT_EQ(factory_calls, 2);
  EXPECT_EQ(world.incarnation(n), 2u);
  EXPECT_EQ(world.node<ScriptedNode>(n).context().incarnation(), 2u);
  EXPECT_EQ(world.node<ScriptedNode>(n).volatile_state, 0);
  EXPECT_EQ(world.az(n), 1);
  EXPECT_EQ(started, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(CountTrace(world, TraceKind::kCrash, "incarnation 1"), 1);
  EXPECT_EQ(CountTrace(world, TraceKind::kRestart, "incarnation 2"), 1);
}

TEST(World, CrashWhenDownAndRestartWhenUpAreNoOps) {
  World world(WorldOptions{});
  int factory_calls = 0;
  const NodeId n = world.AddNode("n", 0, Scripted(nullptr, &factory_calls));
  world.Restart(n);  // already up
  EXPECT_EQ(world.incarnation(n), 1u);
  EXPECT_EQ(factory_calls, 1);
  world.Crash(n);
  world.Crash(n);  // already down
  EXPECT_EQ(CountTrace(world, TraceKind::kCrash), 1);
  world.Restart(n);
  world.Restart(n);
  EXPECT_EQ(world.incarnation(n), 2u);
  EXPECT_EQ(factory_calls, 2);
}

TEST(World, NodesInAz) {
  World world(WorldOptions{});
  for (int i = 0; i < 7; ++i) world.AddNode(absl::StrCat("n", i), i % 3, Scripted());
  EXPECT_EQ(world.NodesInAz(0), (std::vector<NodeId>{0, 3, 6}));
  EXPECT_EQ(world.NodesInAz(1), (std::vector<NodeId>{1, 4}));
  EXPECT_EQ(world.NodesInAz(2), (std::vector<NodeId>{2, 5}));
  EXPECT_TRUE(world.NodesInAz(3).empty());
}

TEST(World, AtRunsScriptedActionsAtTheirTimesInOrder) {
  World world(WorldOptions{});
  std::vector<std::pair<std::string, Time>> ran;
  world.At(Millis(30), "third", [&] { ran.emplace_back("third", world.Now()); });
  world.At(Millis(10), "first", [&] { ran.emplace_back("first", world.Now()); });
  world.At(Millis(10), "second", [&] { ran.emplace_back("second", world.Now()); });
  world.RunFor(Millis(20));
  EXPECT_EQ(ran.size(), 2u);
  world.RunFor(Millis(20));
  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[0], std::make_pair(std::string("first"), Millis(10)));
  EXPECT_EQ(ran[1], std::make_pair(std::string("second"), Millis(10)));
  EXPECT_EQ(ran[2], std::make_pair(std::string("third"), Millis(30)));
  // Each action is noted in the trace with its description.
  std::vector<std::string> logged;
  for (const TraceEvent& e : world.trace().events()) {
    if (e.kind == TraceKind::kLog && e.node == -1) logged.push_back(e.detail);
  }
  EXPECT_EQ(logged, (std::vector<std::string>{"first", "second", "third"}));
}

TEST(World, RunUntilStopsWhenDoneOrAfterMax) {
  World world(WorldOptions{});
  int ticks = 0;
  for (int i = 1; i <= 10; ++i) world.At(Millis(10 * i), "tick", [&ticks] { ++ticks; });
  EXPECT_TRUE(world.RunUntil([&] { return ticks == 3; }, Seconds(1)));
  EXPECT_EQ(world.Now(), Millis(30));
  EXPECT_FALSE(world.RunUntil([&] { return ticks == 100; }, Millis(25)));
  EXPECT_EQ(world.Now(), Millis(55));
  EXPECT_EQ(ticks, 5);
  // No limit at all.
  EXPECT_TRUE(world.RunUntil([&] { return ticks == 10; }, kForever));
  EXPECT_EQ(world.Now(), Millis(100));
}

TEST(World, NodeLogLinesGoToTheTrace) {
  World world(WorldOptions{});
  const NodeId n = world.AddNode("n", 0, Scripted([](NodeContext& ctx) { ctx.Log("hello"); }));
  bool found = false;
  for (const TraceEvent& e : world.trace().events()) {
    found = found || (e.kind == TraceKind::kLog && e.node == n && e.detail == "hello");
  }
  EXPECT_TRUE(found);
}

// ---------------------------------------------------------------------------
// Nemesis.

struct NemesisObservation {
  int max_faulty = 0;  // nodes down or cut off, at once
  int max_down = 0;
  bool all_healed = false;  // after until + fault_duration
  uint64_t digest = 0;
  Time last_nemesis_event = 0;
  int crashes = 0;
  int isolations = 0;
  int slowdowns = 0;
};

// Counts the nodes that are down or cut off (can reach no other node).
int FaultyNodes(World& world) {
  int faulty = 0;
  for (NodeId a = 0; a < world.num_nodes(); ++a) {
    bool reaches_someone = false;
    for (NodeId b = 0; b < world.num_nodes(); ++b) {
      reaches_someone = reaches_someone || (a != b && world.network().CanReach(a, b));
    }
    faulty += !world.IsUp(a) || !reaches_someone;
  }
  return faulty;
}

// Every node up and every link open.
bool AllHealed(World& world) {
  for (NodeId a = 0; a < world.num_nodes(); ++a) {
    if (!world.IsUp(a)) return false;
    for (NodeId b = 0; b < world.num_nodes(); ++b) {
      if (!world.network().CanReach(a, b)) return false;
    }
  }
  return true;
}

NemesisObservation RunNemesis(uint64_t seed, const NemesisOptions& options, int nodes = 5) {
  WorldOptions world_options;
  world_options.seed = seed;
  World world(world_options);
  for (int i = 0; i < nodes; ++i) world.AddNode(absl::StrCat("n", i), i % 3, Scripted());
  StartNemesis(world, options);
  NemesisObservation obs;
  // Sample the fault state every millisecond.
  std::function<void()> observe = [&] {
    int down = 0;
    for (NodeId id = 0; id < world.num_nodes(); ++id) down += !world.IsUp(id);
    obs.max_down = std::max(obs.max_down, down);
    obs.max_faulty = std::max(obs.max_faulty, FaultyNodes(world));
    if (world.Now() < options.until + options.fault_duration + Seconds(2)) {
      world.sim().Schedule(Millis(1), observe);
    }
  };
  world.sim().Schedule(0, observe);
  world.RunFor(options.until + options.fault_duration);
  world.RunFor(1);
  obs.all_healed = AllHealed(world);
  world.RunFor(Seconds(5));
  for (const TraceEvent& e : world.trace().events()) {
    if (e.kind == TraceKind::kLog && e.detail.rfind("nemesis", 0) == 0) {
      obs.last_nemesis_event = e.time;
    }
    obs.crashes += e.kind == TraceKind::kCrash;
    obs.isolations += e.kind == TraceKind::kNetwork && e.detail.rfind("isolate", 0) == 0;
    obs.slowdowns +=
        e.kind == TraceKind::kNetwork && e.detail.find("latency x20") != std::string::npos;
  }
  obs.digest = world.trace().digest();
  return obs;
}

NemesisOptions EveryFault(int nodes, int max_nodes_down) {
  NemesisOptions options;
  for (NodeId i = 0; i < nodes; ++i) options.targets.push_back(i);
  options.until = Seconds(5);
  options.interval = Millis(100);
  options.fault_duration = Millis(200);
  options.max_nodes_down = max_nodes_down;
  return options;
}

TEST(Nemesis, NeverTakesDownMoreThanMaxNodesDownAndHealsAfterItsEnd) {
  const NemesisOptions options = EveryFault(5, 2);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    const NemesisObservation obs = RunNemesis(seed, options);
    EXPECT_LE(obs.max_faulty, 2);
    EXPECT_EQ(obs.max_faulty, 2);  // it does use its budget
    EXPECT_GE(obs.max_down, 1);
    EXPECT_GT(obs.crashes, 0);
    EXPECT_GT(obs.isolations, 0);
    EXPECT_GT(obs.slowdowns, 0);
    EXPECT_TRUE(obs.all_healed);
    EXPECT_LE(obs.last_nemesis_event, options.until + options.fault_duration);
    EXPECT_GT(obs.last_nemesis_event, options.until - options.interval - options.fault_duration);
  }
}

TEST(Nemesis, IsDeterministic) {
  const NemesisOptions options = EveryFault(5, 2);
  const NemesisObservation a = RunNemesis(11, options);
  const NemesisObservation b = RunNemesis(11, options);
  const NemesisObservation c = RunNemesis(12, options);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.crashes, b.crashes);
  EXPECT_NE(a.digest, c.digest);
}

TEST(Nemesis, CrashesOnlyTargets) {
  NemesisOptions options = EveryFault(2, 1);  // nodes 0 and 1 of 4
  options.partitions = false;
  options.slow_nodes = false;
  WorldOptions world_options;
  World world(world_options);
  for (int i = 0; i < 4; ++i) world.AddNode(absl::StrCat("n", i), 0, Scripted());
  StartNemesis(world, options);
  world.RunFor(Seconds(6));
  int crashes = 0;
  for (const TraceEvent& e : world.trace().events()) {
    if (e.kind != TraceKind::kCrash) continue;
    ++crashes;
    EXPECT_TRUE(e.node == 0 || e.node == 1) << "crashed node " << e.node;
  }
  EXPECT_GT(crashes, 5);
  for (NodeId id = 0; id < 4; ++id) EXPECT_TRUE(world.IsUp(id));
}

TEST(Nemesis, UndoesOnlyItsOwnFaults) {
  NemesisOptions options = EveryFault(4, 2);  // nodes 0..3 of 5
  options.az_outages = true;
  World world(WorldOptions{});
  for (int i = 0; i < 5; ++i) world.AddNode(absl::StrCat("n", i), i % 3, Scripted());
  // The test's own faults: node 4 is cut off one way, node 3 is down.
  world.network().BlockLink(4, 0);
  world.Crash(3);
  StartNemesis(world, options);
  world.RunFor(options.until + Seconds(1));
  EXPECT_FALSE(world.network().CanReach(4, 0)) << "the nemesis healed a link the test cut";
  EXPECT_TRUE(world.network().CanReach(0, 4));
  EXPECT_FALSE(world.IsUp(3)) << "the nemesis restarted a node the test crashed";
  for (NodeId id : {0, 1, 2}) EXPECT_TRUE(world.IsUp(id));
  EXPECT_GT(CountTrace(world, TraceKind::kCrash), 1);
}

TEST(Nemesis, MaxNodesDownZeroNeverCrashesOrIsolates) {
  NemesisOptions options = EveryFault(3, 0);
  options.slow_nodes = false;
  const NemesisObservation obs = RunNemesis(1, options, 3);
  EXPECT_EQ(obs.crashes, 0);
  EXPECT_EQ(obs.isolations, 0);
  EXPECT_EQ(obs.max_faulty, 0);
}

TEST(Nemesis, AzOutagesNeedNoTargets) {
  NemesisOptions options;
  options.until = Seconds(3);
  options.az_outages = true;  // the only fault kind without targets
  WorldOptions world_options;
  World world(world_options);
  for (int i = 0; i < 6; ++i) world.AddNode(absl::StrCat("n", i), i % 3, Scripted());
  StartNemesis(world, options);
  bool saw_az_cut = false;
  for (int step = 0; step < 3000; ++step) {
    world.RunFor(Millis(1));
    // An AZ outage cuts n0 from n1 (different AZs) but never n0 from n3.
    saw_az_cut = saw_az_cut || !world.network().CanReach(0, 1);
    ASSERT_TRUE(world.network().CanReach(0, 3) && world.network().CanReach(1, 4));
  }
  EXPECT_TRUE(saw_az_cut);
  EXPECT_EQ(CountTrace(world, TraceKind::kCrash), 0);
  EXPECT_GT(CountTrace(world, TraceKind::kNetwork, "isolate AZ"), 0);
}

// ---------------------------------------------------------------------------
// Determinism of a whole busy run.

inline constexpr Method<EchoRequest, EchoReply> kPing{"Test.Ping"};

// Pings a random peer every 5-15ms, logs replies to its disk and syncs now
// and then; recovers its count of replies from disk at start.
class Pinger : public Node {
 public:
  Pinger(NodeContext& ctx, int num_nodes) : Node(ctx), num_nodes_(num_nodes) {}

  void Start() override {
    absl::StatusOr<std::string> log = ctx().disk().Read("log");
    ctx().Log(absl::StrCat("recovered ", log.ok() ? log->size() : 0, " bytes"));
    ctx().rpc().Handle(kPing, [this](const EchoRequest& request, Responder<EchoReply> out) {
      EchoReply reply;
      reply.set_text(absl::StrCat(request.text(), " from ", ctx().name()));
      reply.set_served_by_incarnation(ctx().incarnation());
      out.Reply(reply);
    });
    Tick();
  }

 private:
  void Tick() {
    const NodeId peer = static_cast<NodeId>(ctx().rng().Uniform(num_nodes_));
    EchoRequest request;
    request.set_text(absl::StrCat("ping ", ++sent_));
    ctx().rpc().Call(peer, kPing, request, Millis(40), [this](absl::StatusOr<EchoReply> r) {
      if (!r.ok()) {
        ctx().Log(r.status().ToString());
        return;
      }
      ctx().Log(absl::StrCat(r->text(), " #", r->served_by_incarnation()));
      if (!ctx().disk().Append("log", r->text()).ok()) return;
      if (++replies_ % 4 == 0) {
        ctx().disk().Sync([this](absl::Status s) { ctx().Log(s.ok() ? "synced" : "sync failed"); });
      }
    });
    ctx().SetTimer(Millis(5) + static_cast<Duration>(ctx().rng().Uniform(Millis(10))),
                   [this] { Tick(); });
  }

  int num_nodes_;
  int sent_ = 0;
  int replies_ = 0;
};

struct RunSummary {
  uint64_t digest;
  uint64_t event_count;
  uint64_t delivered;
};

inline constexpr int kNodes = 5;

RunSummary BusyRun(uint64_t seed, bool keep_trace = true) {
  WorldOptions options;
  options.seed = seed;
  options.network = NetworkConfig::Unreliable();
  options.disk.sync_failure_probability = 0.05;
  options.keep_trace = keep_trace;
  World world(options);
  for (int i = 0; i < kNodes; ++i) {
    world.AddNode(absl::StrCat("p", i), i % 3,
                  [](NodeContext& ctx) { return std::make_unique<Pinger>(ctx, kNodes); });
  }
  world.At(Millis(300), "crash p1", [&] { world.Crash(1); });
  world.At(Millis(700), "restart p1", [&] { world.Restart(1); });
  world.At(Millis(900), "partition", [&] { world.network().Partition({{0, 1, 2}, {3, 4}}); });
  world.At(Millis(1200), "heal", [&] { world.network().Heal(); });
  NemesisOptions nemesis;
  nemesis.targets = {2, 3, 4};
  nemesis.until = Seconds(2);
  StartNemesis(world, nemesis);
  world.RunFor(Seconds(3));
  uint64_t delivered = 0;
  for (const TrafficCounter& c : world.network().stats().received_by_node) {
    delivered += c.messages;
  }
  return RunSummary{world.trace().digest(), world.trace().event_count(), delivered};
}

TEST(Determinism, SameSeedGivesTheSameDigestAndEventCount) {
  const RunSummary a = BusyRun(7);
  const RunSummary b = BusyRun(7);
  EXPECT_GT(a.event_count, 5000u);  // it really is busy
  EXPECT_GT(a.delivered, 1000u);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.event_count, b.event_count);
  EXPECT_EQ(a.delivered, b.delivered);
}

TEST(Determinism, DifferentSeedGivesADifferentDigest) {
  const RunSummary a = BusyRun(7);
  const RunSummary b = BusyRun(8);
  EXPECT_NE(a.digest, b.digest);
}

TEST(Determinism, DigestDoesNotDependOnKeepingEvents) {
  const RunSummary kept = BusyRun(9, /*keep_trace=*/true);
  const RunSummary not_kept = BusyRun(9, /*keep_trace=*/false);
  EXPECT_EQ(kept.digest, not_kept.digest);
  EXPECT_EQ(kept.event_count, not_kept.event_count);
}

// ---------------------------------------------------------------------------
// Trace.

TEST(Trace, DigestDependsOnEveryField) {
  auto digest_of = [](Time time, TraceKind kind, int node, int peer, std::string detail,
                      uint64_t id, bool reply = false) {
    Trace trace;
    trace.Record(time, kind, node, peer, detail, id, reply);
    return trace.digest();
  };
  const uint64_t base = digest_of(5, TraceKind::kSend, 1, 2, "Svc.M", 9);
  EXPECT_EQ(base, digest_of(5, TraceKind::kSend, 1, 2, "Svc.M", 9));
  EXPECT_NE(base, digest_of(6, TraceKind::kSend, 1, 2, "Svc.M", 9));
  EXPECT_NE(base, digest_of(5, TraceKind::kDeliver, 1, 2, "Svc.M", 9));
  EXPECT_NE(base, digest_of(5, TraceKind::kSend, 2, 2, "Svc.M", 9));
  EXPECT_NE(base, digest_of(5, TraceKind::kSend, 1, 1, "Svc.M", 9));
  EXPECT_NE(base, digest_of(5, TraceKind::kSend, 1, -1, "Svc.M", 9));
  EXPECT_NE(base, digest_of(5, TraceKind::kSend, 1, 2, "Svc.N", 9));
  EXPECT_NE(base, digest_of(5, TraceKind::kSend, 1, 2, "Svc.M", 10));
  EXPECT_NE(base, digest_of(5, TraceKind::kSend, 1, 2, "", 9));
  EXPECT_NE(base, digest_of(5, TraceKind::kSend, 1, 2, "Svc.M", 9, /*reply=*/true));
  // Order matters too.
  Trace ab;
  ab.Record(1, TraceKind::kLog, 0, -1, "a");
  ab.Record(1, TraceKind::kLog, 0, -1, "b");
  Trace ba;
  ba.Record(1, TraceKind::kLog, 0, -1, "b");
  ba.Record(1, TraceKind::kLog, 0, -1, "a");
  EXPECT_NE(ab.digest(), ba.digest());
}

TEST(Trace, KeepEventsOffStillCountsAndDigests) {
  Trace kept;
  Trace dropped;
  dropped.set_keep_events(false);
  for (int i = 0; i < 10; ++i) {
    kept.Record(i, TraceKind::kLog, 0, -1, absl::StrCat("line ", i));
    dropped.Record(i, TraceKind::kLog, 0, -1, absl::StrCat("line ", i));
  }
  EXPECT_EQ(kept.events().size(), 10u);
  EXPECT_TRUE(dropped.events().empty());
  EXPECT_EQ(dropped.event_count(), 10u);
  EXPECT_EQ(kept.digest(), dropped.digest());
}

TEST(Trace, WritesOneJsonObjectPerLineWithNodeNames) {
  Trace trace;
  trace.SetNodeName(0, "r1");
  trace.Record(1500, TraceKind::kSend, 0, 1, "Svc.M", 42);
  trace.Record(1700, TraceKind::kDeliver, 1, 0, "Svc.M", 42, /*reply=*/true);
  trace.Record(2000, TraceKind::kLog, -1, -1, "say \"hi\"\n\tbye\\");
  trace.Record(2100, TraceKind::kLog, 0, -1, "raw \xff bytes\r");  // a node may log anything
  const std::string path = ::testing::TempDir() + "/trace_test.jsonl";
  ASSERT_TRUE(trace.WriteJsonLines(path).ok());
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], R"({"t_us":1500,"kind":"send","node":"r1","peer":"n1","id":42,)"
                      R"("rpc":"request","detail":"Svc.M"})");
  EXPECT_EQ(lines[1], R"({"t_us":1700,"kind":"deliver","node":"n1","peer":"r1","id":42,)"
                      R"("rpc":"reply","detail":"Svc.M"})");
  EXPECT_EQ(lines[2], R"({"t_us":2000,"kind":"log","node":"world",)"
                      R"("detail":"say \"hi\"\n\tbye\\"})");
  // Still valid JSON: invalid UTF-8 becomes U+FFFD.
  EXPECT_EQ(lines[3], R"({"t_us":2100,"kind":"log","node":"r1","detail":"raw \ufffd bytes\r"})");
  std::remove(path.c_str());
  EXPECT_FALSE(trace.WriteJsonLines("/nonexistent-dir/x/trace.jsonl").ok());
}

TEST(Trace, TailShowsTheLastEvents) {
  Trace trace;
  trace.SetNodeNames({"a", "b"});
  for (int i = 0; i < 5; ++i) {
    trace.Record(Millis(i), TraceKind::kLog, i % 2, -1, absl::StrCat("e", i));
  }
  const std::string tail = trace.Tail(2);
  EXPECT_EQ(tail, "3.000ms b log e3\n4.000ms a log e4\n");
  EXPECT_EQ(Trace().Tail(3), "");
}

TEST(Time, FormatTime) {
  EXPECT_EQ(FormatTime(0), "0.000ms");
  EXPECT_EQ(FormatTime(Millis(12) + Micros(345)), "12.345ms");
  EXPECT_EQ(FormatTime(Seconds(2)), "2000.000ms");
  EXPECT_EQ(FormatTime(kForever), "forever");
}

}  // namespace
}  // namespace auroralab
