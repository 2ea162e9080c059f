// RecoveryCluster: the lab 3 test harness. Builds the server ("s0") and the
// client ("c0") in a World, and runs operations in virtual time.
//
//   RunSeeds([](World& world) {
//     RecoveryCluster cluster(world);
//     ASSERT_OK(cluster.Put("x", "1"));
//     absl::StatusOr<GetResult> got = cluster.Get("x");
//   });
//
// Synchronous helpers (Put, Get) run the world until the operation completes;
// one that never completes is reported as an error, not a hang of the test.
#ifndef AURORALAB_LABS_RECOVERY_HARNESS_H_
#define AURORALAB_LABS_RECOVERY_HARNESS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/world.h"
#include "labs/recovery/recovery.h"

namespace auroralab::recovery {

class RecoveryCluster {
 public:
  // Adds the server and the client to `world`; status() says if that failed.
  explicit RecoveryCluster(World& world, ClientOptions options = ClientOptions());

  const absl::Status& status() const { return status_; }
  World& world() { return world_; }
  NodeId server() const { return server_; }
  NodeId client() const { return client_; }

  // Synchronous operations: run virtual time until done.
  absl::Status Put(const std::string& key, const std::string& value);
  absl::StatusOr<GetResult> Get(const std::string& key);

  // Asynchronous put: `done` runs when the client calls back.
  void StartPut(const std::string& key, const std::string& value,
                std::function<void(absl::Status)> done);

  void CrashServer() { world_.Crash(server_); }
  void RestartServer() { world_.Restart(server_); }

 private:
  Client& ClientNode() { return world_.node<Client>(client_); }
  // Longest an operation may take before it counts as a hang.
  Duration HangLimit() const { return options_.op_timeout + Seconds(5); }

  World& world_;
  ClientOptions options_;
  absl::Status status_;
  NodeId server_ = -1;
  NodeId client_ = -1;
};

}  // namespace auroralab::recovery

#endif  // AURORALAB_LABS_RECOVERY_HARNESS_H_
