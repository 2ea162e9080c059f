// Lab 3's provided helpers: option checks and the epoch and file names.
#include "labs/recovery/recovery.h"

#include "absl/strings/str_cat.h"

namespace auroralab::recovery {

Epoch NextEpoch(Epoch above, NodeId writer) {
  const Epoch id = static_cast<Epoch>(writer) & 0xffff;
  Epoch round = above >> 16;
  if (((round << 16) | id) <= above) ++round;
  return (round << 16) | id;
}

std::string FenceFile(PgId pg, int index) {
  return segments::SegmentFilePrefix(pg, index) + "fence";
}

absl::Status ValidateRecoveryOptions(const RecoveryOptions& options) {
  if (absl::Status placement = segments::ValidatePlacement(options.placement); !placement.ok()) {
    return placement;
  }
  if (options.placement.pgs.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecoveryOptions.placement: lab 3 recovers one PG, not ", options.placement.pgs.size()));
  }
  if (options.lal < 1) return absl::InvalidArgumentError("RecoveryOptions.lal must be >= 1");
  if (options.retry_interval <= 0) {
    return absl::InvalidArgumentError("RecoveryOptions.retry_interval must be > 0");
  }
  if (options.max_records_per_read <= 0) {
    return absl::InvalidArgumentError("RecoveryOptions.max_records_per_read must be > 0");
  }
  return absl::OkStatus();
}

}  // namespace auroralab::recovery
