#include "labs/quorum_kv/workload.h"

#include <functional>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"

namespace auroralab::quorum_kv {
namespace {

// What the client loops share. Owned by the loops, not by RunWorkload's
// frame: after a hang, operations still in flight may complete later.
struct Shared {
  KvCluster* cluster;
  WorkloadOptions options;
  WorkloadStats stats;
};

struct ClientLoop {
  std::shared_ptr<Shared> shared;
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
  Shared& shared = *loop->shared;
  const WorkloadOptions& o = shared.options;
  const std::string& key = o.keys[loop->rng.Uniform(o.keys.size())];
  auto again = [loop] {
    loop->shared->cluster->world().sim().Schedule(
        loop->rng.UniformInt(0, loop->shared->options.max_pause), [loop] { Next(loop); });
  };
  if (loop->rng.Bernoulli(o.put_fraction)) {
    // Unique values make the checker's job precise.
    const std::string value = absl::StrCat("c", loop->client, "-", loop->remaining);
    shared.cluster->StartPut(loop->client, key, value, [loop, again](absl::Status s) {
      Count(loop->shared->stats, s);
      again();
    });
  } else {
    shared.cluster->StartGet(loop->client, key, [loop, again](absl::StatusOr<GetResult> r) {
      Count(loop->shared->stats, r.status());
      again();
    });
  }
}

}  // namespace

WorkloadStats RunWorkload(KvCluster& cluster, const WorkloadOptions& options) {
  if (options.keys.empty()) {
    WorkloadStats invalid;
    Count(invalid, absl::InvalidArgumentError("the workload needs at least one key"));
    return invalid;
  }
  auto shared = std::make_shared<Shared>(Shared{&cluster, options, WorkloadStats()});
  const int clients = cluster.options().num_clients;
  std::vector<std::shared_ptr<ClientLoop>> loops;
  for (int j = 0; j < clients; ++j) {
    loops.push_back(std::make_shared<ClientLoop>(
        ClientLoop{shared, j, options.ops_per_client, cluster.world().sim().rng().Fork()}));
  }
  for (const auto& loop : loops) Next(loop);
  const WorkloadStats& stats = shared->stats;
  const int total = options.ops_per_client * clients;
  const Duration limit =
      total * (cluster.options().op_timeout * 2 + options.max_pause) + Seconds(10);
  cluster.world().RunUntil(
      [&] { return stats.ok + stats.unavailable + stats.other_errors == total; }, limit);
  return stats;  // a copy: the loops may still add to theirs
}

}  // namespace auroralab::quorum_kv
