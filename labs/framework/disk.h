// Disk: a node's simulated local disk, with the failure modes that matter.
//
// A disk holds named files. Writes (Append, Write) change what the node
// reads at once, as an OS page cache would, but they are durable only after
// a Sync completes: a crash keeps exactly what completed syncs covered, and
// nothing written after a sync was issued becomes durable through it (an
// overwrite issued after the Sync call, or a file removed and re-created
// while the sync was pending, is lost at a crash unless a later sync covers
// it). The one exception: the unsynced tail of a file that was only
// appended to may survive in part (a torn write). Remove is durable at once.
// Sync takes virtual time and may be made to fail.
//
// Contract for nodes: acknowledge nothing as durable before the Sync that
// covers it has completed with OK. Sync callbacks of a node that crashed in
// the meantime never run, and a crashed incarnation's disk refuses every
// later call (its code may still be running if it crashed itself).
//
// Part of the student-facing API (//labs/framework:api). The engine's disk
// (sim_disk.h: latency, torn writes, injected faults) implements it; tests
// inject faults through World::FailNextSyncs / FailNextWrites.
#ifndef AURORALAB_LABS_FRAMEWORK_DISK_H_
#define AURORALAB_LABS_FRAMEWORK_DISK_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace auroralab {

// A node's disk: ctx().disk().
class Disk {
 public:
  Disk(const Disk&) = delete;
  Disk& operator=(const Disk&) = delete;
  virtual ~Disk() = default;

  virtual bool Exists(std::string_view file) const = 0;
  // The file's current contents, or NotFound.
  virtual absl::StatusOr<std::string> Read(std::string_view file) const = 0;
  // File names in sorted order.
  virtual std::vector<std::string> List() const = 0;

  // Appends to `file`, creating it if needed.
  virtual absl::Status Append(std::string_view file, std::string_view data) = 0;
  // Replaces the whole contents of `file`, creating it if needed.
  virtual absl::Status Write(std::string_view file, std::string_view data) = 0;
  // Removes `file`; unlike writes, durable at once.
  virtual absl::Status Remove(std::string_view file) = 0;

  // Makes every write issued so far durable, then calls `done` (after the
  // sync latency, in issue order). On a failure `done` gets an error and
  // those writes stay unsynced.
  virtual void Sync(std::function<void(absl::Status)> done) = 0;

 protected:
  Disk() = default;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_DISK_H_
