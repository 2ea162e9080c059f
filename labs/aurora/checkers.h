// Checkers for the database tier, shared by labs 2 to 5. They judge a
// recorded DbHistory (history.h), not the implementation, so any lab that
// records one can reuse them.
//
// CheckDurability: for every page read at read point R,
//  * the read point covers every commit acknowledged at an earlier virtual
//    time than the read started (an acknowledged commit is never lost to
//    later reads; same-instant events are not ordered, so not judged);
//  * no mini-transaction is half visible: for each MTR at or below R, the
//    page shows all of its changes to that page or none;
//  * every key shows exactly the value of the last change at or below R
//    whose transaction committed at or below R (UNDO records count at once):
//    no uncommitted value, no lost committed one.
// It also checks the history itself: LSNs unique, every acknowledged commit
// backed by its COMMIT record.
//
// Lab 3 (writer crashes): records of an older epoch inside a recorded
// truncation range are annulled, as if never written: an acknowledged
// commit annulled, or an annulled value seen by a read, is an error, and so
// is a record of the range's own epoch inside it. A transaction whose
// records survive but whose COMMIT record does not is "in doubt": its
// finished MTRs are visible until its UNDO records (which count at once)
// restore the old values. Every UNDO record must restore the value its
// transaction found before its first change of the key, must not undo a
// committed transaction and must not overwrite another transaction's later
// write. MTRs never span epochs: an MTR the crashed writer did not finish is
// never visible.
//
// CheckUndoComplete (lab 3, once recovery has finished and the run is
// quiet): every in-doubt transaction has each of its changes undone and an
// ABORT record.
//
// CheckBankTotal: the balances on a set of pages read at one read point add
// up to the expected total.
//
// Each returns OK or FailedPrecondition with a message that names the
// transaction, the LSNs and the read.
#ifndef AURORALAB_LABS_AURORA_CHECKERS_H_
#define AURORALAB_LABS_AURORA_CHECKERS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "labs/aurora/history.h"
#include "labs/aurora/redo.pb.h"

namespace auroralab::aurora {

absl::Status CheckDurability(const DbHistory& history);

absl::Status CheckUndoComplete(const DbHistory& history);

// Sums every slot of `pages` (decimal integers) and compares with
// `expected_total`. A slot that is not an integer is an error too.
absl::Status CheckBankTotal(const std::vector<PageImage>& pages, int64_t expected_total);

}  // namespace auroralab::aurora

#endif  // AURORALAB_LABS_AURORA_CHECKERS_H_
