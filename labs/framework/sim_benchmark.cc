// Benchmarks of the simulation layer, run by `./lab bench`.
//
// BM_RpcRoundTrips: six nodes each keep one RPC outstanding to a random peer
// with a ~100-byte protobuf payload; reports simulated round trips per
// wall-clock second (target: >= 1,000,000 on one core).
// BM_Fleet: the scale of lab 4's storage fleet: builds a 1,000-node world
// (the time to add the nodes is reported on its own), then runs 10 million
// events of the same ping traffic, once with the digest only (trace:0) and
// once with a bounded trace of the last 10,000 events (trace:1); reports the
// time, events per second and the process's peak resident memory.
// BM_Events: bare simulator events per second.
#include <sys/resource.h>

#include <chrono>
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

// The process's peak resident set so far, in MiB.
double PeakRssMiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
}

void BM_Fleet(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const uint64_t events = static_cast<uint64_t>(state.range(1));
  double build_seconds = 0;
  uint64_t round_trips = 0;
  for (auto _ : state) {
    // The wall clock measures the benchmark; nothing inside the world sees it.
    const auto start = std::chrono::steady_clock::now();
    WorldOptions options;
    options.seed = 42;
    // Trace mode 1: a bounded trace (the last 10,000 events), as long runs
    // should use; mode 0: digest only, like the round-trip benchmark.
    options.keep_trace = state.range(2) != 0;
    options.trace_keep_last = 10000;
    World world(options);
    for (int i = 0; i < nodes; ++i) {
      world.AddNode("n" + std::to_string(i), i % 3, [&round_trips, nodes](NodeContext& ctx) {
        return std::make_unique<PingNode>(ctx, nodes, &round_trips);
      });
    }
    build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const uint64_t ran = world.sim().RunUntilIdle(events);
    if (ran != events) state.SkipWithError("the fleet went idle early");
  }
  state.counters["nodes"] = nodes;
  state.counters["build_seconds"] = build_seconds;
  state.counters["events_per_sec"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["round_trips"] = static_cast<double>(round_trips);
  state.counters["peak_rss_MiB"] = PeakRssMiB();
}
BENCHMARK(BM_Fleet)
    ->ArgNames({"nodes", "events", "trace"})
    ->Args({1000, 10 * 1000 * 1000, 0})
    ->Args({1000, 10 * 1000 * 1000, 1})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

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
