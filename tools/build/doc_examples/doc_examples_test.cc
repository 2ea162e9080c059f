// Compiles the examples in header comments (extracted by extract_example.sh,
// see BUILD) and, where an example can run on its own, runs it and checks
// what it promises. Each example is included into the smallest context that
// supplies the names it assumes; those names are declared right above it.
//
// Not covered: linearizability.h, whose top comment documents the search
// before its example (the extractor takes the first indented run); its
// example is the register model that linearizability_test.cc exercises.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "labs/framework/linearizability_html.h"
#include "labs/framework/linearizability_kv.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/testing.pb.h"
#include "labs/framework/world.h"
#include "labs/quorum_kv/cluster.h"

namespace auroralab::doc_examples {
namespace {

// ---------------------------------------------------------------------------
// node.h: a node class and World::AddNode. Assumes a method kIncrement and a
// World named `world`.
using IncRequest = testing::EchoRequest;
using IncReply = testing::EchoReply;
inline constexpr Method<IncRequest, IncReply> kIncrement{"Doc.Increment"};

TEST(DocExamples, NodeH) {
  World world(WorldOptions{.seed = 1});
#include "tools/build/doc_examples/node_h_example_1.inc"
  // The example added and started one node.
  ASSERT_EQ(world.num_nodes(), 1);
  EXPECT_EQ(world.name(0), "c0");
  EXPECT_TRUE(world.IsUp(0));
}

// ---------------------------------------------------------------------------
// rpc.h: a Method (namespace scope), then a handler and a call. Assumes the
// message types, a NodeContext `ctx`, a peer and a request `req`.
using PingRequest = testing::EchoRequest;
using PingReply = testing::EchoReply;
#include "tools/build/doc_examples/rpc_h_example_1.inc"

void RpcHExample(NodeContext& ctx, NodeId peer, const PingRequest& req) {
#include "tools/build/doc_examples/rpc_h_example_2.inc"
}

// A node that serves kPing and calls it on itself, through the example.
class PingSelf : public Node {
 public:
  using Node::Node;
  void Start() override { RpcHExample(ctx(), ctx().id(), PingRequest()); }
};

TEST(DocExamples, RpcH) {
  World world(WorldOptions{.seed = 1});
  world.AddNode("p", /*az=*/0, [](NodeContext& ctx) { return std::make_unique<PingSelf>(ctx); });
  world.RunFor(Millis(100));
  // The call went out and was answered by the handler the example registered.
  const NetworkStats& stats = world.network().stats();
  ASSERT_EQ(stats.by_method.count("Demo.Ping"), 1u);
  EXPECT_EQ(stats.by_method.at("Demo.Ping").messages, 2u) << "a request and its reply";
}

// ---------------------------------------------------------------------------
// world.h: build a world, add a node, script a crash, run. Assumes `seed` and
// a node `factory`.
TEST(DocExamples, WorldH) {
  const uint64_t seed = 7;
  NodeFactory factory = [](NodeContext& ctx) { return std::make_unique<Node>(ctx); };
#include "tools/build/doc_examples/world_h_example_1.inc"
  // What the example promises: `a` crashed at 100 ms; the run went on to 1 s.
  EXPECT_FALSE(world.IsUp(a));
  EXPECT_EQ(world.Now(), Seconds(1));
  EXPECT_EQ(world.seed(), seed);
}

// ---------------------------------------------------------------------------
// linearizability_kv.h: record a Put and check the history. Assumes a World
// named `world`. A lone completed Put is linearizable, which the example's
// own EXPECT_TRUE checks.
TEST(DocExamples, LinearizabilityKvH) {
  World world(WorldOptions{.seed = 1});
#include "tools/build/doc_examples/linearizability_kv_h_example_1.inc"
  EXPECT_EQ(history.ops().size(), 1u);
}

// ---------------------------------------------------------------------------
// linearizability_html.h: check a history and write its page on failure.
// Assumes a KvHistory `history`. This one is linearizable (a Get of a key
// nobody wrote finds nothing), so the example writes no page into /tmp.
TEST(DocExamples, LinearizabilityHtmlH) {
  KvHistory history;
  int64_t get = history.BeginGet(/*client_id=*/1, "k", /*now=*/0);
  history.EndGet(get, /*found=*/false, "", /*now=*/10);
#include "tools/build/doc_examples/linearizability_html_h_example_1.inc"
  EXPECT_TRUE(result.ok()) << result.message;
}

}  // namespace

// ---------------------------------------------------------------------------
// sim_test.h: a whole TEST (namespace scope) whose scenario is elided; it runs
// as the test Counter.SurvivesCrashes, over the default seeds.
#include "tools/build/doc_examples/sim_test_h_example_1.inc"

// ---------------------------------------------------------------------------
// cluster.h: a lab 1 scenario. Compiled only: whether it passes depends on the
// implementation linked (the lab's own tests check that).
namespace quorum_kv_example {
using namespace ::auroralab::quorum_kv;  // the namespace cluster.h's example lives in

[[maybe_unused]] void ClusterHExample() {
#include "tools/build/doc_examples/cluster_h_example_1.inc"
}

}  // namespace quorum_kv_example
}  // namespace auroralab::doc_examples
