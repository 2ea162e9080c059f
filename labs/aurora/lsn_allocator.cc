// LsnAllocator; see lsn_allocator.h.
#include "labs/aurora/lsn_allocator.h"

namespace auroralab::aurora {

void LsnAllocator::Number(std::vector<RedoRecord>& mtr) {
  for (size_t i = 0; i < mtr.size(); ++i) {
    RedoRecord& record = mtr[i];
    record.set_lsn(next_lsn_++);
    Lsn& last = last_lsn_in_pg_[record.pg()];
    record.set_prev_lsn_in_pg(last);
    last = record.lsn();
    record.set_cpl(i + 1 == mtr.size());
  }
}

Lsn LsnAllocator::last_lsn_in_pg(PgId pg) const {
  auto it = last_lsn_in_pg_.find(pg);
  return it == last_lsn_in_pg_.end() ? kNoLsn : it->second;
}

}  // namespace auroralab::aurora
