// Lab 2: the provided part of the interface: option checks and file names.
#include "labs/segments/segments.h"

#include "absl/strings/str_cat.h"

namespace auroralab::segments {

absl::Status ValidatePlacement(const Placement& placement) {
  if (placement.pgs.empty()) return absl::InvalidArgumentError("Placement: no PG");
  for (size_t pg = 0; pg < placement.pgs.size(); ++pg) {
    if (placement.pgs[pg].size() != kSegmentsPerPg) {
      return absl::InvalidArgumentError(absl::StrCat("Placement: PG ", pg, " has ",
                                                     placement.pgs[pg].size(), " segments, need ",
                                                     kSegmentsPerPg));
    }
    for (NodeId node : placement.pgs[pg]) {
      if (node < 0) {
        return absl::InvalidArgumentError(absl::StrCat("Placement: PG ", pg, " names node ", node));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSegmentOptions(const SegmentOptions& options) {
  if (options.index < 0 || options.index >= kSegmentsPerPg) {
    return absl::InvalidArgumentError(absl::StrCat("SegmentOptions.index ", options.index,
                                                   " is not in [0, ", kSegmentsPerPg, ")"));
  }
  if (options.peers.size() != kSegmentsPerPg) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SegmentOptions.peers has ", options.peers.size(), " nodes, need ", kSegmentsPerPg));
  }
  for (NodeId peer : options.peers) {
    if (peer < 0) return absl::InvalidArgumentError("SegmentOptions.peers names a node < 0");
  }
  if (options.gossip_interval <= 0) {
    return absl::InvalidArgumentError("SegmentOptions.gossip_interval must be > 0");
  }
  if (options.gossip_timeout <= 0) {
    return absl::InvalidArgumentError("SegmentOptions.gossip_timeout must be > 0");
  }
  if (options.max_records_per_gossip <= 0) {
    return absl::InvalidArgumentError("SegmentOptions.max_records_per_gossip must be > 0");
  }
  return absl::OkStatus();
}

std::string SegmentFilePrefix(PgId pg, int index) {
  return absl::StrCat("pg", pg, ".seg", index, ".");
}

absl::Status ValidateLogShipperOptions(const LogShipperOptions& options) {
  if (absl::Status placement = ValidatePlacement(options.placement); !placement.ok()) {
    return placement;
  }
  if (options.lal < 1) return absl::InvalidArgumentError("LogShipperOptions.lal must be >= 1");
  if (options.resend_interval <= 0) {
    return absl::InvalidArgumentError("LogShipperOptions.resend_interval must be > 0");
  }
  const LogStart& start = options.start;
  if (start.next_lsn <= start.durable_lsn) {
    return absl::InvalidArgumentError(absl::StrCat("LogShipperOptions.start: next_lsn ",
                                                   start.next_lsn, " must be above durable_lsn ",
                                                   start.durable_lsn));
  }
  for (const auto& [pg, last] : start.last_lsn_in_pg) {
    if (pg >= options.placement.pgs.size() || last >= start.next_lsn) {
      return absl::InvalidArgumentError(
          absl::StrCat("LogShipperOptions.start.last_lsn_in_pg: PG ", pg, " -> ", last,
                       " (needs a PG of the placement and an LSN below next_lsn ",
                       start.next_lsn, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePageReaderOptions(const PageReaderOptions& options) {
  if (absl::Status placement = ValidatePlacement(options.placement); !placement.ok()) {
    return placement;
  }
  if (options.attempt_timeout <= 0 || options.attempt_timeout > options.read_deadline) {
    return absl::InvalidArgumentError(
        "PageReaderOptions: need 0 < attempt_timeout <= read_deadline");
  }
  return absl::OkStatus();
}

}  // namespace auroralab::segments
