// The engine's side of the simulated disk (disk.h): its configuration, the
// state that outlives crashes, and SimDisk, the Disk a node gets.
//
// The world owns one DiskState per node (what persists across crashes) and
// hands each incarnation a SimDisk over it; a crash closes that SimDisk and
// applies DiskState::Crash. Modelled on LevelDB's Env plus its
// FaultInjectionTestEnv. Fault injection goes through World's
// FailNextSyncs / FailNextWrites; tests of a bare SimDisk use DiskState's
// TEST_ methods.
//
// Part of the engine (//labs/framework:engine): tests and harnesses only.
#ifndef AURORALAB_LABS_FRAMEWORK_SIM_DISK_H_
#define AURORALAB_LABS_FRAMEWORK_SIM_DISK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/disk.h"
#include "labs/framework/random.h"
#include "labs/framework/time.h"

namespace auroralab {

class Simulator;

struct DiskConfig {
  // Sync latency = base + uniform [0, jitter].
  Duration sync_latency = Micros(500);
  Duration sync_jitter = Micros(200);
  // At a crash, the probability that an appended-but-unsynced tail survives
  // in part (a torn write) rather than vanishing.
  double torn_write_probability = 0.5;
  // Probability that a Sync fails (its writes stay unsynced).
  double sync_failure_probability = 0;
};

// OK, or InvalidArgument naming the first bad field.
absl::Status ValidateDiskConfig(const DiskConfig& config);

// What persists for one node across crashes. Owned by the world.
class DiskState {
 public:
  struct File {
    std::string current;  // what reads see
    std::string durable;  // what survives a crash
    bool durable_exists = false;
    // Bumped by every overwrite. While durable_generation == generation,
    // `durable` is a prefix of `current` (only appends happened since), so a
    // sync copies just the new bytes instead of the whole file.
    uint64_t generation = 0;
    uint64_t durable_generation = 0;
    // Which creation of this name: a sync issued before a Remove never
    // applies to a file re-created under the same name.
    uint64_t id = 0;
  };

  std::map<std::string, File>& files() { return files_; }
  const std::map<std::string, File>& files() const { return files_; }
  // Bumped at every crash; pending syncs from an older epoch are void.
  uint64_t epoch() const { return epoch_; }

  // Applies a crash: each file goes back to its durable contents, except an
  // appended tail may be torn. Returns a description for the trace.
  std::string Crash(Rng& rng, double torn_write_probability);

  // For tests of a bare Disk (tests with a World use its FailNextSyncs /
  // FailNextWrites): the next `n` syncs or writes fail.
  void TEST_FailNextSyncs(int n) { fail_next_syncs_ = n; }
  void TEST_FailNextWrites(int n) { fail_next_writes_ = n; }
  int TEST_syncs_left_to_fail() const { return fail_next_syncs_; }
  int TEST_writes_left_to_fail() const { return fail_next_writes_; }

 private:
  friend class SimDisk;
  friend class World;
  // The file named `name`, created (with a fresh id) if missing.
  File& Open(const std::string& name);

  std::map<std::string, File> files_;
  uint64_t epoch_ = 0;
  uint64_t next_file_id_ = 1;
  int fail_next_syncs_ = 0;
  int fail_next_writes_ = 0;
  Time completed_syncs_until_ = 0;  // syncs complete in FIFO order
};

// The Disk of one node incarnation, over the node's DiskState.
class SimDisk final : public Disk {
 public:
  // `trace_node` names the node in the trace.
  SimDisk(Simulator& sim, DiskState& state, const DiskConfig& config, Rng& rng, int trace_node);

  bool Exists(std::string_view file) const override;
  absl::StatusOr<std::string> Read(std::string_view file) const override;
  std::vector<std::string> List() const override;
  absl::Status Append(std::string_view file, std::string_view data) override;
  absl::Status Write(std::string_view file, std::string_view data) override;
  absl::Status Remove(std::string_view file) override;
  void Sync(std::function<void(absl::Status)> done) override;

  // Called by the world when this disk's node crashes: every later call is
  // refused, and pending Sync callbacks never run.
  void Close() { closed_ = true; }

 private:
  absl::Status CheckWrite(std::string_view file);

  Simulator& sim_;
  DiskState& state_;
  const DiskConfig& config_;
  Rng& rng_;
  int trace_node_;
  bool closed_ = false;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_SIM_DISK_H_
