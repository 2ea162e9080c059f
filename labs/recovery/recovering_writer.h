// RecoveringWriter: the provided writer-node shell of lab 3. Lab 2's writer
// shell (engine over the student's log shipper and page reader) that,
// before it opens, runs the student's Recovery and then opens where the
// recovery says: LSNs above the truncation range, the engine's read point at
// the recovered VDL, records stamped with the new epoch, transaction ids
// above any an older writer used. Right after the engine exists (before the
// workload starts) it calls Engine::Undo for every in-doubt transaction the
// recovery planned, so the undo holds those keys' locks first; garbage
// collection waits until every undo is durable.
//
// Contract:
//  * Every start (a new incarnation, or TakeOver on a standby) is a
//    takeover: the node sees only the storage fleet.
//  * A recovery that fails (fenced by a newer writer) or returns a result
//    the shell cannot open with leaves the node without an engine;
//    recovery_status() says why. The shell never trusts the result blindly:
//    it checks the log start (lab 2's ValidateLogShipperOptions), that the
//    epoch is the set's, and that the undo changes name keys of the layout.
//  * The truncation ranges of the set the writer opened with go into the
//    engine's history (for the checkers), each once.
#ifndef AURORALAB_LABS_RECOVERY_RECOVERING_WRITER_H_
#define AURORALAB_LABS_RECOVERY_RECOVERING_WRITER_H_

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/node.h"
#include "labs/recovery/recovery.h"
#include "labs/segments/writer_node.h"

namespace auroralab::recovery {

struct RecoveringWriterOptions {
  // Lab 2's writer options. writer.shipper.lal must equal recovery.lal, and
  // both placements must be the same.
  segments::WriterOptions writer;
  RecoveryOptions recovery;
  // A standby: Start() waits for TakeOver() (a second writer in a test).
  bool standby = false;
};

absl::Status ValidateRecoveringWriterOptions(const RecoveringWriterOptions& options);

class RecoveringWriter : public segments::WriterNode {
 public:
  enum class Phase { kStandby, kRecovering, kOpen, kFailed };

  RecoveringWriter(NodeContext& ctx, RecoveringWriterOptions options);

  void Start() override;
  // Starts the takeover on a standby (no-op otherwise).
  void TakeOver();

  Phase phase() const { return phase_; }
  const absl::Status& recovery_status() const { return recovery_status_; }
  // What the recovery returned (set once open).
  const std::optional<RecoveredVolume>& recovered() const { return recovered_; }
  Time recovery_started_at() const { return started_at_; }
  Time opened_at() const { return opened_at_; }
  // Undos still running; an undo that failed is in undo_status().
  int undos_pending() const { return undos_pending_; }
  const absl::Status& undo_status() const { return undo_status_; }

 protected:
  void BeforeWorkload() override;

 private:
  void BeginRecovery();
  void OnRecovered(absl::StatusOr<RecoveredVolume> result);
  absl::Status CheckResult(const RecoveredVolume& volume) const;

  RecoveringWriterOptions options_;
  Phase phase_ = Phase::kStandby;
  std::unique_ptr<Recovery> recovery_;
  absl::Status recovery_status_;
  std::optional<RecoveredVolume> recovered_;
  Time started_at_ = 0;
  Time opened_at_ = 0;
  int undos_pending_ = 0;
  absl::Status undo_status_;
};

absl::StatusOr<NodeFactory> RecoveringWriterFactory(RecoveringWriterOptions options);

}  // namespace auroralab::recovery

#endif  // AURORALAB_LABS_RECOVERY_RECOVERING_WRITER_H_
