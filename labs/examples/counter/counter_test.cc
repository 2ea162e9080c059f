// Scenario tests of the counter example, each over several seeds (RunSeeds).
//
//   ./lab test //labs/examples/counter:counter_test
//   ./lab test //labs/examples/counter:counter_test --seeds=200
//   ./lab test //labs/examples/counter:counter_test --seed=7 --filter='Counter.*'
#include "labs/examples/counter/counter.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/world.h"

namespace auroralab::examples::counter {
namespace {

NodeId AddServer(World& world) {
  return world.AddNode("server", /*az=*/0, [](NodeContext& ctx) {
    return std::make_unique<CounterServer>(ctx);
  });
}

NodeId AddClient(World& world, NodeId server, int i) {
  return world.AddNode(absl::StrCat("client", i), /*az=*/1, [server](NodeContext& ctx) {
    return std::make_unique<CounterClient>(ctx, server);
  });
}

// Starts an Add; `*result` is set when it completes.
void StartAdd(World& world, NodeId client, std::optional<absl::StatusOr<int64_t>>* result) {
  world.node<CounterClient>(client).Add(1, [result](absl::StatusOr<int64_t> r) { *result = r; });
}

// One Add, run to completion in virtual time.
absl::StatusOr<int64_t> Add(World& world, NodeId client) {
  std::optional<absl::StatusOr<int64_t>> result;
  StartAdd(world, client, &result);
  if (!world.RunUntil([&] { return result.has_value(); }, kAddTimeout + Seconds(1))) {
    return absl::InternalError("the Add never completed");
  }
  return *result;
}

TEST(Counter, AddsFromTwoClientsAddUp) {
  RunSeeds([](World& world) {
    const NodeId server = AddServer(world);
    const NodeId clients[] = {AddClient(world, server, 0), AddClient(world, server, 1)};
    for (int i = 1; i <= 10; ++i) {
      absl::StatusOr<int64_t> value = Add(world, clients[i % 2]);
      ASSERT_TRUE(value.ok()) << value.status();
      EXPECT_EQ(*value, i);
    }
  });
}

TEST(Counter, AcknowledgedAddsSurviveServerCrashes) {
  RunSeeds([](World& world) {
    const NodeId server = AddServer(world);
    const NodeId client = AddClient(world, server, 0);
    for (int i = 1; i <= 20; ++i) {
      // Crash the server at a random point of the i-th add: before the
      // request arrives, between append and sync, or after the reply.
      std::optional<absl::StatusOr<int64_t>> result;
      StartAdd(world, client, &result);
      world.RunFor(world.sim().rng().UniformInt(0, Millis(2)));
      const bool acknowledged = result.has_value();
      world.Crash(server);
      world.Restart(server);
      if (acknowledged) {
        EXPECT_EQ(world.node<CounterServer>(server).value(), i) << "an acknowledged add was lost";
      }
      // The client retries; the add counts exactly once.
      ASSERT_TRUE(world.RunUntil([&] { return result.has_value(); }, Seconds(3)));
      ASSERT_TRUE(result->ok()) << result->status();
      EXPECT_EQ(**result, i);
    }
  });
}

TEST(Counter, CountsEachAddOnceOnAnUnreliableNetwork) {
  WorldOptions options;
  options.network = NetworkConfig::Unreliable();  // loss, duplicates, reordering
  RunSeeds(options, [](World& world) {
    const NodeId server = AddServer(world);
    const NodeId client = AddClient(world, server, 0);
    for (int i = 1; i <= 20; ++i) {
      absl::StatusOr<int64_t> value = Add(world, client);
      ASSERT_TRUE(value.ok()) << value.status();
      EXPECT_EQ(*value, i);
    }
    const NetworkStats& stats = world.network().stats();
    EXPECT_GE(stats.by_method.at("Counter.Add").messages, 40u);  // a request and a reply each
  });
}

// Adds in a loop while a script breaks things; returns how many succeeded.
int AddThroughScriptedFaults(World& world) {
  const NodeId server = AddServer(world);
  const NodeId client = AddClient(world, server, 0);
  Network& net = world.network();
  world.At(Millis(20), "cut the server off", [&net, server] { net.Isolate(server); });
  world.At(Millis(70), "heal", [&net] { net.Heal(); });
  world.At(Millis(100), "crash the server", [&world, server] { world.Crash(server); });
  world.At(Millis(180), "restart the server", [&world, server] { world.Restart(server); });
  world.At(Millis(250), "slow server", [&net, server] { net.SetSlow(server, 20); });
  world.At(Millis(350), "normal server", [&net, server] { net.SetSlow(server, 1); });
  int acknowledged = 0;
  while (world.Now() < Millis(500)) {
    absl::StatusOr<int64_t> value = Add(world, client);
    EXPECT_TRUE(value.ok()) << value.status();  // every outage is shorter than kAddTimeout
    if (!value.ok()) break;
    EXPECT_EQ(*value, ++acknowledged);
  }
  return acknowledged;
}

TEST(Counter, RidesOutAScriptedFaultSchedule) {
  RunSeeds([](World& world) { EXPECT_GT(AddThroughScriptedFaults(world), 10); });
}

TEST(Counter, TheSameSeedGivesTheSameRun) {
  WorldOptions options;
  options.network = NetworkConfig::Unreliable();
  RunSeeds(options, [&options](World& world) {
    AddThroughScriptedFaults(world);
    WorldOptions same = options;
    same.seed = world.seed();
    World replay(same);
    AddThroughScriptedFaults(replay);
    EXPECT_EQ(replay.trace().digest(), world.trace().digest());
    EXPECT_EQ(replay.trace().event_count(), world.trace().event_count());

    WorldOptions other = options;
    other.seed = world.seed() + 1000;
    World different(other);
    AddThroughScriptedFaults(different);
    EXPECT_NE(different.trace().digest(), world.trace().digest());
  });
}

}  // namespace
}  // namespace auroralab::examples::counter
