// Lab 3 benchmark: how long a new writer takes to recover, in virtual
// time, against the write rate when the old writer crashed.
//
// Each run builds one PG (six fenced segments, two writers; harness.h) with
// the reference or the student's code (./lab bench uses the --impl
// default), lets w0 run closed-loop clients that each commit a two-key
// PutAll after another for 300 ms of virtual time (GC on, as in
// production), crashes it, and has w1 take over. Counters:
//   writes_per_s   redo records w0 shipped per second of virtual time
//                  over its last 100 ms (the write rate at the crash);
//   recovery_ms    virtual time from the takeover to the open database
//                  (epoch bump, state reads, log read, truncation);
//   undo_ms        from the takeover until every in-doubt transaction is
//                  undone;
//   in_doubt       in-doubt transactions the recovery found.
// The argument is the number of clients, which sets the write rate. The
// paper's claim (recovery under 10 s even at 100,000 writes/s) rests on
// recovery reading segment states, not replaying the log: recovery_ms
// should stay flat as writes_per_s grows.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "labs/framework/world.h"
#include "labs/recovery/harness.h"

namespace auroralab::recovery {
namespace {

void BM_RecoveryTime(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0));
  double writes_per_s = 0;
  double recovery_ms = 0;
  double undo_ms = 0;
  double in_doubt = 0;
  uint64_t seed = 1;
  for (auto _ : state) {
    WorldOptions world_options;
    world_options.seed = seed++;
    world_options.keep_trace = false;
    World world(world_options);
    RecoveryClusterOptions options;
    options.num_keys = 1024;
    options.keys_per_page = 8;
    options.lal = 1000;
    options.gc_interval = Millis(5);
    options.workload = aurora::WorkloadOptions{.kind = aurora::WorkloadKind::kKvPuts,
                                               .clients = clients,
                                               .transactions = 1000000,
                                               .think_time = 0};
    RecoveryCluster cluster(world, options);
    if (!cluster.status().ok()) {
      state.SkipWithError(std::string(cluster.status().message()).c_str());
      return;
    }
    if (absl::Status open = cluster.AwaitOpen(0); !open.ok()) {
      state.SkipWithError(absl::StrCat("the first writer did not open: ", open.message()).c_str());
      return;
    }
    world.RunFor(Millis(200));
    const size_t shipped_before = cluster.history().records.size();
    world.RunFor(Millis(100));
    writes_per_s = static_cast<double>(cluster.history().records.size() - shipped_before) * 10;
    cluster.CrashWriter(0);
    const Time takeover = world.Now();
    cluster.TakeOver(1);
    if (absl::Status open = cluster.AwaitOpen(1, Seconds(60)); !open.ok()) {
      state.SkipWithError(absl::StrCat("the new writer did not open: ", open.message()).c_str());
      return;
    }
    recovery_ms = static_cast<double>(cluster.writer_node(1).opened_at() - takeover) / kMillisecond;
    in_doubt = static_cast<double>(cluster.recovered(1).undo.size());
    if (!cluster.AwaitUndo(1, Seconds(60)).ok()) {
      state.SkipWithError("the new writer's undo did not finish");
      return;
    }
    undo_ms = static_cast<double>(world.Now() - takeover) / kMillisecond;
  }
  state.counters["writes_per_s"] = writes_per_s;
  state.counters["recovery_ms"] = recovery_ms;
  state.counters["undo_ms"] = undo_ms;
  state.counters["in_doubt"] = in_doubt;
}
BENCHMARK(BM_RecoveryTime)
    ->ArgName("clients")
    ->Arg(1)
    ->Arg(8)
    ->Arg(32)
    ->Arg(128)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace auroralab::recovery
