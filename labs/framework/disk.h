// Disk: a node's simulated local disk, with the failure modes that matter.
//
// A disk holds named files. Writes (Append, Write) change what the node
// reads at once, as an OS page cache would, but they are durable only after
// a Sync completes: a crash keeps exactly what was synced, except that the
// unsynced tail of a file that was only appended to may survive in part
// (a torn write). Sync takes virtual time and may be made to fail.
//
// Modelled on LevelDB's Env plus its FaultInjectionTestEnv: the node sees a
// small interface; the world keeps the DiskState, which outlives crashes.
//
// Contract for nodes: acknowledge nothing as durable before the Sync that
// covers it has completed with OK. Sync callbacks of a node that crashed in
// the meantime never run.
#ifndef AURORALAB_LABS_FRAMEWORK_DISK_H_
#define AURORALAB_LABS_FRAMEWORK_DISK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
  };

  std::map<std::string, File>& files() { return files_; }
  const std::map<std::string, File>& files() const { return files_; }
  // Bumped at every crash; pending syncs from an older epoch are void.
  uint64_t epoch() const { return epoch_; }

  // Applies a crash: each file goes back to its durable contents, except an
  // appended tail may be torn. Returns a description for the trace.
  std::string Crash(Rng& rng, double torn_write_probability);

  // Test hooks (FaultInjectionTestEnv style).
  int fail_next_syncs = 0;
  int fail_next_writes = 0;
  Time completed_syncs_until = 0;  // syncs complete in FIFO order

 private:
  std::map<std::string, File> files_;
  uint64_t epoch_ = 0;
};

class Disk {
 public:
  // `trace_node` names the node in the trace.
  Disk(Simulator& sim, DiskState& state, const DiskConfig& config, Rng& rng, int trace_node);

  bool Exists(std::string_view file) const;
  // The file's current contents, or NotFound.
  absl::StatusOr<std::string> Read(std::string_view file) const;
  // File names in sorted order.
  std::vector<std::string> List() const;

  // Appends to `file`, creating it if needed.
  absl::Status Append(std::string_view file, std::string_view data);
  // Replaces the whole contents of `file`, creating it if needed.
  absl::Status Write(std::string_view file, std::string_view data);
  // Removes `file`; unlike writes, durable at once.
  absl::Status Remove(std::string_view file);

  // Makes every write issued so far durable, then calls `done` (after the
  // sync latency, in issue order). On an injected failure `done` gets an
  // error and those writes stay unsynced.
  void Sync(std::function<void(absl::Status)> done);

 private:
  absl::Status CheckWrite(std::string_view file);

  Simulator& sim_;
  DiskState& state_;
  const DiskConfig& config_;
  Rng& rng_;
  int trace_node_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_DISK_H_
