// A random concurrent workload for the quorum KV tests: each client runs a
// sequence of Gets and Puts on a few keys, one at a time, with short random
// pauses, all drawn from the world's seed. Every operation lands in the
// cluster's history for the linearizability checker.
#ifndef AURORALAB_LABS_QUORUM_KV_WORKLOAD_H_
#define AURORALAB_LABS_QUORUM_KV_WORKLOAD_H_

#include <string>
#include <vector>

#include "labs/quorum_kv/cluster.h"

namespace auroralab::quorum_kv {

struct WorkloadOptions {
  int ops_per_client = 20;
  std::vector<std::string> keys = {"x", "y"};
  double put_fraction = 0.5;
  Duration max_pause = Millis(5);
};

struct WorkloadStats {
  int ok = 0;
  int unavailable = 0;
  int other_errors = 0;
  std::string first_other_error;
};

// Runs the workload on every client of `cluster` until all operations have
// completed (or a hang is detected: then the returned stats are partial and
// cluster.in_flight() > 0).
WorkloadStats RunWorkload(KvCluster& cluster, const WorkloadOptions& options);

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_LABS_QUORUM_KV_WORKLOAD_H_
