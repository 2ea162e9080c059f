// KvCluster: the lab 1 test harness. Builds N replicas spread over three AZs
// plus client nodes in a World, runs operations in virtual time and records
// every operation's history for the linearizability checker.
//
//   RunSeeds([](World& world) {
//     KvCluster cluster(world, {.mode = ClientMode::kSingleWriter});
//     ASSERT_OK(cluster.Put(0, "x", "1"));
//     world.network().IsolateAz(0);
//     absl::StatusOr<GetResult> got = cluster.Get(0, "x");  // R = 3 of 4 still up
//     EXPECT_TRUE(got.ok() && got->found && got->value == "1");
//   });
//
// Replica i is "r<i>" in AZ i % 3 (so N = 6 gives two per AZ); client j is
// "c<j>". Synchronous helpers (Put, Get) run the world until the operation
// completes; an operation that never completes is reported as a hang.
#ifndef AURORALAB_LABS_QUORUM_KV_CLUSTER_H_
#define AURORALAB_LABS_QUORUM_KV_CLUSTER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/linearizability_kv.h"
#include "labs/framework/world.h"
#include "labs/quorum_kv/quorum_kv.h"

namespace auroralab::quorum_kv {

struct ClusterOptions {
  QuorumConfig quorum;
  int num_clients = 1;
  ClientMode mode = ClientMode::kLinearizable;
  Duration op_timeout = Millis(1000);
  Duration retry_interval = Millis(25);
};

class KvCluster {
 public:
  // Adds the replicas and clients to `world`. Invalid options (for example a
  // quorum config that breaks R + W > N) are reported by status().
  KvCluster(World& world, ClusterOptions options = ClusterOptions());

  // OK if the cluster was built; otherwise why not.
  const absl::Status& status() const { return status_; }

  World& world() { return world_; }
  Network& network() { return world_.network(); }
  const ClusterOptions& options() const { return options_; }
  const std::vector<NodeId>& replicas() const { return replicas_; }
  NodeId replica(int i) const { return replicas_.at(i); }
  NodeId client(int j) const { return clients_.at(j); }

  // Synchronous operations from client `j`: run virtual time until done.
  absl::Status Put(int j, const std::string& key, const std::string& value);
  absl::StatusOr<GetResult> Get(int j, const std::string& key);

  // Asynchronous operations, recorded in history(); `done` is optional. On a
  // cluster that could not be built, `done` gets status() at once.
  //
  // The data must live on the replicas and travel over the network: every
  // successful Put costs its client at least W messages and every successful
  // Get at least R (a correct client sends to all N in each round). An
  // operation that reports success while its client has sent fewer messages
  // in total than that (a client that answers from memory it shares with
  // other nodes, say) completes with an Internal error instead.
  void StartPut(int j, const std::string& key, const std::string& value,
                std::function<void(absl::Status)> done = nullptr);
  void StartGet(int j, const std::string& key,
                std::function<void(absl::StatusOr<GetResult>)> done = nullptr);
  // Operations started and not yet completed.
  int in_flight() const { return in_flight_; }
  // Runs until every started operation has completed (false on a hang).
  bool RunUntilQuiet();

  // Every operation started through this cluster.
  const KvHistory& history() const { return history_; }
  // Checks the history; on a violation writes an HTML page of it (path in the
  // returned error) next to the trace.
  absl::Status CheckLinearizable();

  // Faults by replica index.
  void CrashReplica(int i) { world_.Crash(replica(i)); }
  void RestartReplica(int i) { world_.Restart(replica(i)); }
  // The replicas in one AZ, as indices.
  std::vector<int> ReplicasInAz(int az) const;
  // Cuts client `j` off from every replica whose index is not in
  // `reachable` (both directions). Network::Heal() undoes it.
  void ReachOnly(int j, const std::vector<int>& reachable);

  // A disk oracle: how many replicas hold the bytes `needle` in a file on
  // disk right now in a form that survives a crash (DiskState's durable
  // contents, not what the replica has in memory or has written unsynced).
  // Tests use a distinctive value as the needle to check that an
  // acknowledged write really is on W disks.
  int ReplicasDurablyHolding(const std::string& needle);

 private:
  KvClient& ClientNode(int j) { return world_.node<KvClient>(client(j)); }
  // Longest an operation may take before it counts as a hang.
  Duration HangLimit() const { return options_.op_timeout + Seconds(5); }

  World& world_;
  ClusterOptions options_;
  absl::Status status_;
  std::vector<NodeId> replicas_;
  std::vector<NodeId> clients_;
  // Checks the rule above for client `j` after a successful operation that
  // needed `messages` more sends; returns why not, or OK.
  absl::Status CheckClientUsedTheNetwork(int j, int messages, const char* op);

  KvHistory history_;
  int in_flight_ = 0;
  std::vector<int64_t> required_sends_;  // by client index
};

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_LABS_QUORUM_KV_CLUSTER_H_
