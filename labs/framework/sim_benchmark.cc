// Benchmarks of the simulation layer, run by `./lab bench`.
//
// BM_RpcRoundTrips: six nodes each keep one RPC outstanding to a random peer
// with a ~100-byte protobuf payload; reports simulated round trips per
// wall-clock second (target: >= 1,000,000 on one core).
// BM_Events: bare simulator events per second.
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "labs/framework/bench.pb.h"
#include "labs/framework/rpc.h"
#include "labs/framework/world.h"

namespace auroralab {
namespace {

inline constexpr Method<bench::PingRequest, bench::PingReply> kPing{"Bench.Ping"};

class PingNode : public Node {
 public:
  PingNode(NodeContext& ctx, int num_nodes, uint64_t* round_trips)
      : Node(ctx), num_nodes_(num_nodes), round_trips_(round_trips) {}

  void Start() override {
    // The reply message is reused, as protobuf's performance advice says:
    // a cleared message keeps its buffers for the next one.
    ctx().rpc().Handle(kPing, [this](const bench::PingRequest& req,
                                     Responder<bench::PingReply> out) {
      reply_.set_sequence(req.sequence());
      reply_.set_payload(req.payload());
      out.Reply(reply_);
    });
    request_.set_payload(std::string(100, 'x'));
    SendOne();
  }

 private:
  void SendOne() {
    NodeId peer = static_cast<NodeId>(ctx().rng().Uniform(num_nodes_ - 1));
    if (peer >= ctx().id()) ++peer;
    request_.set_sequence(request_.sequence() + 1);
    ctx().rpc().Call(peer, kPing, request_, Millis(100),
                     [this](absl::StatusOr<bench::PingReply> reply) {
                       if (reply.ok()) ++*round_trips_;
                       SendOne();
                     });
  }

  int num_nodes_;
  uint64_t* round_trips_;
  bench::PingRequest request_;
  bench::PingReply reply_;
};

void BM_RpcRoundTrips(benchmark::State& state) {
  const int kNodes = 6;
  WorldOptions options;
  options.seed = 42;
  options.keep_trace = false;  // the digest is still computed
  World world(options);
  uint64_t round_trips = 0;
  for (int i = 0; i < kNodes; ++i) {
    world.AddNode("n" + std::to_string(i), i % 3, [&round_trips, kNodes](NodeContext& ctx) {
      return std::make_unique<PingNode>(ctx, kNodes, &round_trips);
    });
  }
  for (auto _ : state) {
    world.sim().RunUntilIdle(10000);
  }
  state.counters["round_trips_per_sec"] =
      benchmark::Counter(static_cast<double>(round_trips), benchmark::Counter::kIsRate);
  state.counters["round_trips"] = static_cast<double>(round_trips);
}
BENCHMARK(BM_RpcRoundTrips)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Events(benchmark::State& state) {
  Simulator sim(1);
  uint64_t fired = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) sim.Schedule(i % 17, [&fired] { ++fired; });
    sim.RunUntilIdle();
  }
  state.counters["events_per_sec"] =
      benchmark::Counter(static_cast<double>(fired), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Events)->MinTime(1.0);

}  // namespace
}  // namespace auroralab
