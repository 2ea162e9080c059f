#include "labs/quorum_kv/workload.h"

#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"

namespace auroralab::quorum_kv {
namespace {

struct ClientLoop {
  KvCluster* cluster;
  const WorkloadOptions* options;
  WorkloadStats* stats;
  int client;
  int remaining;
  Rng rng;
};

void Count(WorkloadStats& stats, const absl::Status& status) {
  if (status.ok()) {
    ++stats.ok;
  } else if (absl::IsUnavailable(status)) {
    ++stats.unavailable;
  } else {
    if (stats.other_errors++ == 0) stats.first_other_error = status.ToString();
  }
}

void Next(const std::shared_ptr<ClientLoop>& loop) {
  if (loop->remaining-- <= 0) return;
  const WorkloadOptions& o = *loop->options;
  const std::string& key = o.keys[loop->rng.Uniform(o.keys.size())];
  auto again = [loop] {
    loop->cluster->world().sim().Schedule(loop->rng.UniformInt(0, loop->options->max_pause),
                                          [loop] { Next(loop); });
  };
  if (loop->rng.Bernoulli(o.put_fraction)) {
    // Unique values make the checker's job precise.
    const std::string value = absl::StrCat("c", loop->client, "-", loop->remaining);
    loop->cluster->StartPut(loop->client, key, value, [loop, again](absl::Status s) {
      Count(*loop->stats, s);
      again();
    });
  } else {
    loop->cluster->StartGet(loop->client, key, [loop, again](absl::StatusOr<GetResult> r) {
      Count(*loop->stats, r.status());
      again();
    });
  }
}

}  // namespace

WorkloadStats RunWorkload(KvCluster& cluster, const WorkloadOptions& options) {
  WorkloadStats stats;
  std::vector<std::shared_ptr<ClientLoop>> loops;
  for (int j = 0; j < cluster.options().num_clients; ++j) {
    loops.push_back(std::make_shared<ClientLoop>(ClientLoop{
        &cluster, &options, &stats, j, options.ops_per_client, cluster.world().sim().rng().Fork()}));
  }
  for (auto& loop : loops) Next(loop);
  const int total = options.ops_per_client * cluster.options().num_clients;
  const Duration limit =
      total * (cluster.options().op_timeout * 2 + options.max_pause) + Seconds(10);
  cluster.world().RunUntil(
      [&] { return stats.ok + stats.unavailable + stats.other_errors == total; }, limit);
  return stats;
}

}  // namespace auroralab::quorum_kv
