// LsnAllocator: numbers mini-transactions the way Aurora's single writer
// does. A helper for whatever implements RedoLogSink (the fake in
// fake_storage.h, a lab's log shipper).
//
// Contract: LSNs are handed out consecutively from `next_lsn`, one per
// record, in the order MTRs are numbered; each record's prev_lsn_in_pg is
// the LSN of the previous record numbered for the same PG (or the last LSN
// of that PG given at construction, lab 3's recovered state); only the last
// record of an MTR gets cpl = true.
#ifndef AURORALAB_LABS_AURORA_LSN_ALLOCATOR_H_
#define AURORALAB_LABS_AURORA_LSN_ALLOCATOR_H_

#include <map>
#include <vector>

#include "labs/aurora/page.h"
#include "labs/aurora/redo.pb.h"

namespace auroralab::aurora {

class LsnAllocator {
 public:
  explicit LsnAllocator(Lsn next_lsn = 1, std::map<PgId, Lsn> last_lsn_in_pg = {})
      : next_lsn_(next_lsn), last_lsn_in_pg_(std::move(last_lsn_in_pg)) {}

  // Sets lsn, prev_lsn_in_pg and cpl on every record of `mtr`, in order.
  void Number(std::vector<RedoRecord>& mtr);

  // The LSN the next record will get.
  Lsn next_lsn() const { return next_lsn_; }
  // The last LSN numbered in `pg` (kNoLsn if none).
  Lsn last_lsn_in_pg(PgId pg) const;

 private:
  Lsn next_lsn_;
  std::map<PgId, Lsn> last_lsn_in_pg_;
};

}  // namespace auroralab::aurora

#endif  // AURORALAB_LABS_AURORA_LSN_ALLOCATOR_H_
