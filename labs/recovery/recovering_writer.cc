// The provided recovering writer (recovering_writer.h has the contract).
#include "labs/recovery/recovering_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace auroralab::recovery {

absl::Status ValidateRecoveringWriterOptions(const RecoveringWriterOptions& options) {
  if (absl::Status s = segments::ValidateWriterOptions(options.writer); !s.ok()) return s;
  if (absl::Status s = ValidateRecoveryOptions(options.recovery); !s.ok()) return s;
  if (options.writer.shipper.lal != options.recovery.lal) {
    return absl::InvalidArgumentError(absl::StrCat("RecoveringWriterOptions: the shipper's lal (",
                                                   options.writer.shipper.lal,
                                                   ") and the recovery's (", options.recovery.lal,
                                                   ") differ: recovery bounds what an old "
                                                   "writer allocated by the same limit"));
  }
  if (options.writer.shipper.placement.pgs != options.recovery.placement.pgs) {
    return absl::InvalidArgumentError(
        "RecoveringWriterOptions: the writer's and the recovery's placements differ");
  }
  return absl::OkStatus();
}

absl::StatusOr<NodeFactory> RecoveringWriterFactory(RecoveringWriterOptions options) {
  if (absl::Status valid = ValidateRecoveringWriterOptions(options); !valid.ok()) return valid;
  return NodeFactory([options = std::move(options)](NodeContext& ctx) -> std::unique_ptr<Node> {
    return std::make_unique<RecoveringWriter>(ctx, options);
  });
}

RecoveringWriter::RecoveringWriter(NodeContext& ctx, RecoveringWriterOptions options)
    : WriterNode(ctx, options.writer), options_(std::move(options)) {}

void RecoveringWriter::Start() {
  if (!options_.standby) BeginRecovery();
}

void RecoveringWriter::TakeOver() {
  if (phase_ == Phase::kStandby) BeginRecovery();
}

void RecoveringWriter::BeginRecovery() {
  phase_ = Phase::kRecovering;
  started_at_ = ctx().Now();
  recovery_ = NewRecovery(ctx(), options_.recovery);
  recovery_->Run(
      [this](absl::StatusOr<RecoveredVolume> result) { OnRecovered(std::move(result)); });
}

absl::Status RecoveringWriter::CheckResult(const RecoveredVolume& volume) const {
  segments::LogShipperOptions shipper = options_.writer.shipper;
  shipper.start = volume.start;
  if (absl::Status s = segments::ValidateLogShipperOptions(shipper); !s.ok()) return s;
  if (volume.epoch == 0 || volume.truncations.epoch() != volume.epoch) {
    return absl::InvalidArgumentError(absl::StrCat("the epoch ", volume.epoch,
                                                   " is zero or not the truncation set's (",
                                                   volume.truncations.epoch(), ")"));
  }
  for (const auto& [txn, changes] : volume.undo) {
    if (changes.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("nothing to undo for transaction ", txn));
    }
    for (const aurora::Change& change : changes) {
      if (!options_.writer.engine.layout.PageOf(change.key()).ok()) {
        return absl::InvalidArgumentError(absl::StrCat("an undo of transaction ", txn,
                                                       " names key \"", change.key(),
                                                       "\", which the layout does not have"));
      }
    }
  }
  return absl::OkStatus();
}

void RecoveringWriter::OnRecovered(absl::StatusOr<RecoveredVolume> result) {
  if (phase_ != Phase::kRecovering) return;  // a second call: ignored
  if (!result.ok()) {
    phase_ = Phase::kFailed;
    recovery_status_ = result.status();
    return;
  }
  if (absl::Status checked = CheckResult(*result); !checked.ok()) {
    phase_ = Phase::kFailed;
    recovery_status_ = absl::InternalError(
        absl::StrCat("recovery returned a volume the writer cannot open: ", checked.message()));
    return;
  }
  recovered_ = *std::move(result);
  const RecoveredVolume& volume = *recovered_;
  aurora::EngineOptions engine = options_.writer.engine;
  engine.initial_durable_lsn = volume.vdl;
  engine.volume_epoch = volume.epoch;
  engine.first_txn_id = (volume.epoch << 32) + 1;  // above every older writer's ids
  if (aurora::DbHistory* history = engine.history; history != nullptr) {
    for (const TruncationRange& range : volume.truncations.ranges()) {
      bool known = false;
      for (const aurora::Truncation& t : history->truncations) {
        known = known ||
                (t.first == range.first() && t.last == range.last() && t.epoch == range.epoch());
      }
      if (!known) {
        history->truncations.push_back({range.first(), range.last(), range.epoch(), ctx().Now()});
      }
    }
  }
  undos_pending_ = static_cast<int>(volume.undo.size());
  // An undo needs its transaction's records until it is durable.
  if (undos_pending_ > 0) set_gc_limit(aurora::kNoLsn);
  phase_ = Phase::kOpen;
  opened_at_ = ctx().Now();
  Open(volume.start, engine);
}

void RecoveringWriter::BeforeWorkload() {
  if (!recovered_.has_value()) return;
  for (const auto& [txn, changes] : recovered_->undo) {
    engine().Undo(txn, changes, [this](absl::StatusOr<Lsn> undone) {
      if (!undone.ok() && undo_status_.ok()) undo_status_ = undone.status();
      if (--undos_pending_ == 0) set_gc_limit(~Lsn{0});
    });
  }
}

}  // namespace auroralab::recovery
