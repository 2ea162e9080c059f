// DbHistory: what a run of the database tier did, recorded for the checkers
// (checkers.h). Tests own it, so it outlives writer crashes; every engine
// (the old writer and, in lab 3, the new one) appends to the same history.
#ifndef AURORALAB_LABS_AURORA_HISTORY_H_
#define AURORALAB_LABS_AURORA_HISTORY_H_

#include <cstdint>
#include <vector>

#include "labs/aurora/page.h"
#include "labs/aurora/redo.pb.h"
#include "labs/framework/time.h"

namespace auroralab::aurora {

// A commit the engine acknowledged to its caller.
struct AckedCommit {
  TxnId txn = 0;
  Lsn commit_lsn = kNoLsn;
  Time acked_at = 0;
};

// Lab 3: a truncation range made durable by a new writer during recovery.
// Records of an older volume epoch with LSN in [first, last] are annulled:
// as if never written. The new writer allocates above `last`.
struct Truncation {
  Lsn first = kNoLsn;
  Lsn last = kNoLsn;
  uint64_t epoch = 0;
  Time at = 0;
};

// A page read through the PageReader: the page as seen at `read_point`.
struct PageRead {
  Time started_at = 0;
  Lsn read_point = kNoLsn;
  PageImage page;
};

struct DbHistory {
  // Every record handed to the storage tier (numbered), in shipping order.
  std::vector<RedoRecord> records;
  std::vector<AckedCommit> acked;
  std::vector<PageRead> reads;
  // Lab 3: every truncation range recovery established, in any order.
  std::vector<Truncation> truncations;
};

}  // namespace auroralab::aurora

#endif  // AURORALAB_LABS_AURORA_HISTORY_H_
