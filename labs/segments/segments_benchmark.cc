// Lab 2 benchmark: what log shipping costs, in virtual time and on the wire.
//
// Each run builds one PG (six segments + the writer, harness.h) with the
// reference or the student's code (./lab bench uses the --impl default),
// runs closed-loop clients that each commit a two-key PutAll, then the next,
// and reports as counters:
//   messages_per_txn, bytes_per_txn  every message on the network (appends,
//       acknowledgements, gossip, page reads, resends) per committed
//       transaction;
//   commit_p50_ms, commit_p90_ms, commit_p99_ms  commit latency in virtual
//       time, from PutAll to its acknowledgement.
// Arguments: clients, and how many segments are 100x slow (0 or 2: with 2
// slow, commits still wait only for the 4th fastest segment).
// Later labs compare these numbers with a page-shipping baseline.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "labs/framework/world.h"
#include "labs/segments/harness.h"

namespace auroralab::segments {
namespace {

constexpr int kTransactions = 400;

double Percentile(std::vector<Duration> sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return static_cast<double>(sorted[at]) / kMillisecond;
}

void BM_Commits(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0));
  const int slow = static_cast<int>(state.range(1));
  double messages_per_txn = 0;
  double bytes_per_txn = 0;
  std::vector<Duration> latencies;
  uint64_t seed = 1;
  for (auto _ : state) {
    WorldOptions options;
    options.seed = seed++;
    options.keep_trace = false;
    World world(options);
    SegmentsCluster cluster(world);
    for (int i = 0; i < slow; ++i) cluster.SlowSegment(1 + 3 * i, 100);  // s1, s4: AZs 1 and 1
    int started = 0;
    int committed = 0;
    latencies.clear();
    std::function<void(int)> next = [&](int client) {
      if (started == kTransactions) return;
      ++started;
      const Time begin = world.Now();
      const int a = static_cast<int>(world.sim().rng().Uniform(16));
      const int b = (a + 1 + static_cast<int>(world.sim().rng().Uniform(15))) % 16;
      cluster.StartPutAll({{absl::StrCat("k", a), absl::StrCat(started)},
                           {absl::StrCat("k", b), absl::StrCat(started)}},
                          [&, begin, client](absl::StatusOr<Lsn> lsn) {
                            if (lsn.ok()) {
                              ++committed;
                              latencies.push_back(world.Now() - begin);
                            }
                            next(client);
                          });
    };
    world.network().ResetStats();
    for (int c = 0; c < clients; ++c) next(c);
    world.RunUntil(
        [&] {
          return committed + (started - committed) >= kTransactions &&
                 cluster.engine().commits_awaiting_durability() == 0 &&
                 cluster.engine().active_transactions() == 0;
        },
        Seconds(600));
    if (committed == 0) {
      state.SkipWithError("no transaction committed (is the lab implemented?)");
      return;
    }
    const TrafficCounter& sent = world.network().stats().total_sent;
    messages_per_txn = static_cast<double>(sent.messages) / committed;
    bytes_per_txn = static_cast<double>(sent.bytes) / committed;
    std::sort(latencies.begin(), latencies.end());
  }
  state.counters["messages_per_txn"] = messages_per_txn;
  state.counters["bytes_per_txn"] = bytes_per_txn;
  state.counters["commit_p50_ms"] = Percentile(latencies, 0.50);
  state.counters["commit_p90_ms"] = Percentile(latencies, 0.90);
  state.counters["commit_p99_ms"] = Percentile(latencies, 0.99);
}
BENCHMARK(BM_Commits)
    ->ArgNames({"clients", "slow_segments"})
    ->Args({1, 0})
    ->Args({8, 0})
    ->Args({8, 2})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace auroralab::segments
