// Tests of the checkers: a correct history passes, and each kind of bad
// history is rejected with a message that names the problem: a lost
// acknowledged commit, a lost committed write, an uncommitted value, half a
// mini-transaction, an acknowledgement without a commit record, a broken
// bank total; and lab 3's histories with writer crashes: truncated records
// that reappear or were acknowledged, in-doubt transactions and their undo.
#include "labs/aurora/checkers.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "labs/aurora/lsn_allocator.h"
#include "labs/aurora/page.h"
#include "labs/framework/sim_test.h"

namespace auroralab::aurora {
namespace {

using ::testing::HasSubstr;

// Builds a log the way the engine does: transactions of (key, value) writes
// on page 1, one MTR per call, then a COMMIT MTR. NewWriter starts lab 3's
// next writer: a new epoch, LSNs from a given point.
class LogBuilder {
 public:
  explicit LogBuilder(DbHistory& history) : history_(history) {}

  // One MTR of PUTs on page 1 for `txn`; returns the LSN of its CPL.
  Lsn Mtr(TxnId txn, std::vector<std::pair<std::string, std::string>> writes) {
    std::vector<RedoRecord> mtr;
    for (auto& [key, value] : writes) {
      RedoRecord r;
      r.set_page(1);
      r.set_txn(txn);
      r.set_kind(PUT);
      r.mutable_change()->set_key(key);
      auto old = current_.find(key);
      r.mutable_change()->set_old_present(old != current_.end());
      if (old != current_.end()) r.mutable_change()->set_old_value(old->second);
      r.mutable_change()->set_new_present(true);
      r.mutable_change()->set_new_value(value);
      current_[key] = value;
      mtr.push_back(r);
    }
    return Ship(std::move(mtr));
  }
  Lsn Commit(TxnId txn) { return Marker(txn, COMMIT); }
  Lsn Abort(TxnId txn) { return Marker(txn, ABORT); }
  // One MTR of an UNDO record for `txn` that sets `key` to `value`
  // (nullopt: no value).
  Lsn Undo(TxnId txn, const std::string& key, std::optional<std::string> value) {
    RedoRecord r;
    r.set_page(1);
    r.set_txn(txn);
    r.set_kind(UNDO);
    r.mutable_change()->set_key(key);
    r.mutable_change()->set_new_present(value.has_value());
    if (value.has_value()) r.mutable_change()->set_new_value(*value);
    if (value.has_value()) current_[key] = *value;
    return Ship({r});
  }
  // Lab 3: records from now on come from a new writer of `epoch`, numbered
  // from `next_lsn`; `current` is what it reads as the keys' values.
  void NewWriter(uint64_t epoch, Lsn next_lsn, std::map<std::string, std::string> current) {
    epoch_ = epoch;
    allocator_ = LsnAllocator(next_lsn);
    current_ = std::move(current);
  }
  // The page as storage would materialize it at `read_point`, from every
  // record but those in `skip` (annulled ones, say).
  PageImage PageAt(Lsn read_point, std::set<Lsn> skip = {}) {
    std::vector<RedoRecord> records;
    for (const RedoRecord& r : history_.records) {
      if (!skip.count(r.lsn())) records.push_back(r);
    }
    return *MaterializePage(1, records, read_point);
  }
  void Read(Time started, Lsn read_point, PageImage page) {
    history_.reads.push_back({started, read_point, std::move(page)});
  }

 private:
  Lsn Marker(TxnId txn, RecordKind kind) {
    RedoRecord r;
    r.set_page(kTxnTablePage);
    r.set_txn(txn);
    r.set_kind(kind);
    return Ship({r});
  }
  Lsn Ship(std::vector<RedoRecord> mtr) {
    for (RedoRecord& r : mtr) r.set_volume_epoch(epoch_);
    allocator_.Number(mtr);
    for (const RedoRecord& r : mtr) history_.records.push_back(r);
    return mtr.back().lsn();
  }
  DbHistory& history_;
  LsnAllocator allocator_;
  uint64_t epoch_ = 0;
  std::map<std::string, std::string> current_;
};

void SetSlot(PageImage& page, const std::string& key, const std::string& value) {
  for (Slot& s : *page.mutable_slots()) {
    if (s.key() == key) {
      s.set_value(value);
      return;
    }
  }
  FAIL() << "no slot " << key;
}

// txn 1 writes k0=a, k1=b in one MTR (LSNs 1, 2) and commits (3), acked at
// t=10; txn 2 writes k0=c (4) and commits (5), acked at t=20.
class CheckerTest : public ::testing::Test {
 protected:
  CheckerTest() : log_(history_) {
    log_.Mtr(1, {{"k0", "a"}, {"k1", "b"}});
    history_.acked.push_back({1, log_.Commit(1), Micros(10)});
    log_.Mtr(2, {{"k0", "c"}});
    history_.acked.push_back({2, log_.Commit(2), Micros(20)});
  }
  DbHistory history_;
  LogBuilder log_;
};

TEST_F(CheckerTest, AcceptsReadsOfTheCommittedStateAtTheirReadPoints) {
  log_.Read(Micros(5), 0, EmptyPage(1));
  log_.Read(Micros(15), 3, log_.PageAt(3));
  log_.Read(Micros(15), 4, log_.PageAt(3));  // 4 is txn 2's data, not yet committed at 4
  log_.Read(Micros(25), 5, log_.PageAt(5));
  EXPECT_OK(CheckDurability(history_));
}

TEST_F(CheckerTest, RejectsAReadPointBelowAnAcknowledgedCommit) {
  log_.Read(Micros(25), 3, log_.PageAt(3));  // txn 2 was acknowledged at 20
  absl::Status s = CheckDurability(history_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("transaction 2"));
  EXPECT_THAT(s.message(), HasSubstr("an acknowledged commit was lost"));
}

TEST_F(CheckerTest, RejectsAPageThatLostACommittedWrite) {
  PageImage stale = log_.PageAt(3);  // k0 = a, but txn 2 (k0 = c) committed at 5
  log_.Read(Micros(25), 5, stale);
  absl::Status s = CheckDurability(history_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("a committed write was lost"));
  EXPECT_THAT(s.message(), HasSubstr("transaction 2"));
}

TEST_F(CheckerTest, RejectsAnUncommittedValue) {
  log_.Mtr(3, {{"k1", "never-committed"}});  // LSN 6, no commit
  log_.Read(Micros(25), 6, log_.PageAt(6));
  absl::Status s = CheckDurability(history_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("an uncommitted value is visible"));
  EXPECT_THAT(s.message(), HasSubstr("never committed"));
}

TEST_F(CheckerTest, RejectsAValueOfATransactionThatCommitsAfterTheReadPoint) {
  // Read point 4: txn 2's write (LSN 4) exists, its commit (5) does not yet.
  log_.Read(Micros(15), 4, log_.PageAt(4));
  absl::Status s = CheckDurability(history_);
  EXPECT_THAT(s.message(), HasSubstr("an uncommitted value is visible"));
  EXPECT_THAT(s.message(), HasSubstr("committed only at LSN 5"));
}

TEST_F(CheckerTest, RejectsHalfAMiniTransaction) {
  // Txn 1's MTR wrote k0 and k1; show its k1 with k0 missing.
  PageImage half = EmptyPage(1);
  Slot* slot = half.add_slots();
  slot->set_key("k1");
  slot->set_value("b");
  half.set_applied_lsn(3);
  log_.Read(Micros(15), 3, half);
  absl::Status s = CheckDurability(history_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("half of the mini-transaction ending at LSN 2"));
}

TEST_F(CheckerTest, RejectsAValueNobodyWrote) {
  PageImage page = log_.PageAt(5);
  SetSlot(page, "k1", "invented");
  log_.Read(Micros(25), 5, page);
  EXPECT_THAT(CheckDurability(history_).message(), HasSubstr("a value no record"));
}

TEST_F(CheckerTest, RejectsAnAcknowledgementWithoutItsCommitRecord) {
  history_.acked.push_back({7, 4, Micros(30)});  // LSN 4 is a PUT of txn 2
  absl::Status s = CheckDurability(history_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("no COMMIT record"));
}

TEST_F(CheckerTest, RejectsTwoDifferentRecordsWithOneLsn) {
  RedoRecord clash = history_.records[0];
  clash.mutable_change()->set_new_value("other");
  history_.records.push_back(clash);
  EXPECT_THAT(CheckDurability(history_).message(), HasSubstr("two different records"));
}

// Lab 3. The lecture's shape: txn 1 commits (LSNs 1-3, acknowledged); txn 2
// writes k0 = c (4) and its COMMIT (5) is lost; txn 3 writes k1 = d (6).
// Recovery finds VDL 4 and annuls [5, 1004] with epoch 1, so txn 2 is in
// doubt and txn 3 never happened. The new writer undoes txn 2 from 1005.
class RecoveryCheckerTest : public ::testing::Test {
 protected:
  RecoveryCheckerTest() : log_(history_) {
    log_.Mtr(1, {{"k0", "a"}, {"k1", "b"}});
    history_.acked.push_back({1, log_.Commit(1), Micros(10)});
    log_.Mtr(2, {{"k0", "c"}});
    log_.Commit(2);
    log_.Mtr(3, {{"k1", "d"}});
    log_.Read(Micros(15), 3, log_.PageAt(3));  // the old writer's read
    history_.truncations.push_back({5, 1004, 1, Micros(30)});
    log_.NewWriter(1, 1005, {{"k0", "c"}, {"k1", "b"}});
  }
  // The undo recovery owes: k0 back to "a", then ABORT.
  void UndoTxn2() {
    log_.Undo(2, "k0", "a");  // 1005
    log_.Abort(2);            // 1006
  }
  PageImage Surviving(Lsn read_point) { return log_.PageAt(read_point, {5, 6}); }

  DbHistory history_;
  LogBuilder log_;
};

TEST_F(RecoveryCheckerTest, AcceptsAnInDoubtChangeUntilItIsUndone) {
  log_.Read(Micros(40), 4, Surviving(4));  // k0 = c: in doubt, not undone yet
  UndoTxn2();
  log_.Read(Micros(50), 1006, Surviving(1006));  // k0 = a again
  EXPECT_OK(CheckDurability(history_));
  EXPECT_OK(CheckUndoComplete(history_));
}

TEST_F(RecoveryCheckerTest, RejectsATruncatedRecordThatReappears) {
  UndoTxn2();
  log_.Read(Micros(50), 1006, log_.PageAt(1006, {5}));  // record 6 applied: k1 = d
  absl::Status s = CheckDurability(history_);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("written at LSN 6 by transaction 3"));
  EXPECT_THAT(s.message(), HasSubstr("the truncation range [5, 1004] of epoch 1"));
  EXPECT_THAT(s.message(), HasSubstr("a truncated record reappeared"));
}

TEST_F(RecoveryCheckerTest, RejectsTruncatingAnAcknowledgedCommit) {
  history_.acked.push_back({2, 5, Micros(20)});
  EXPECT_THAT(CheckDurability(history_).message(),
              HasSubstr("recovery truncated an acknowledged commit"));
}

TEST_F(RecoveryCheckerTest, RejectsANewRecordInsideItsOwnTruncationRange) {
  log_.NewWriter(1, 7, {{"k0", "c"}, {"k1", "b"}});
  log_.Undo(2, "k0", "a");  // LSN 7, epoch 1: inside [5, 1004]
  EXPECT_THAT(CheckDurability(history_).message(),
              HasSubstr("a new writer must allocate above its truncation range"));
}

TEST_F(RecoveryCheckerTest, RejectsAnUndoThatDoesNotRestoreTheOldValue) {
  log_.Undo(2, "k0", "c");  // puts back its own value, not what it found
  EXPECT_THAT(CheckDurability(history_).message(),
              HasSubstr("undo must restore the old value the record carries"));
}

TEST_F(RecoveryCheckerTest, RejectsUndoingACommittedTransaction) {
  log_.Undo(1, "k1", std::nullopt);
  EXPECT_THAT(CheckDurability(history_).message(),
              HasSubstr("undoes a transaction that committed at LSN 3"));
}

TEST_F(RecoveryCheckerTest, RejectsAnUndoThatOverwritesALaterWrite) {
  log_.Mtr(4, {{"k0", "e"}});  // 1005: the new writer wrote k0 before undoing txn 2
  log_.Commit(4);              // 1006
  log_.Undo(2, "k0", "a");     // 1007
  EXPECT_THAT(CheckDurability(history_).message(),
              HasSubstr("an undo must not overwrite a later transaction's write"));
}

TEST_F(RecoveryCheckerTest, RejectsAnUndoneChangeStillVisible) {
  UndoTxn2();
  PageImage stale = Surviving(1006);
  SetSlot(stale, "k0", "c");
  log_.Read(Micros(50), 1006, stale);
  EXPECT_THAT(CheckDurability(history_).message(), HasSubstr("an undone change is still visible"));
}

TEST_F(RecoveryCheckerTest, UndoCompleteNamesASkippedUndoAndAMissingAbort) {
  EXPECT_OK(CheckDurability(history_));  // nothing read yet: not wrong so far
  absl::Status skipped = CheckUndoComplete(history_);
  EXPECT_EQ(skipped.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(skipped.message(), HasSubstr("transaction 2 never committed"));
  EXPECT_THAT(skipped.message(), HasSubstr("was never undone"));
  log_.Undo(2, "k0", "a");
  EXPECT_THAT(CheckUndoComplete(history_).message(), HasSubstr("has no ABORT record"));
  log_.Abort(2);
  EXPECT_OK(CheckUndoComplete(history_));
}

TEST(RecoveryChecker, RejectsHalfAnMtrLeftByTruncatingAboveTheLastCpl) {
  DbHistory history;
  LogBuilder log(history);
  log.Mtr(1, {{"k0", "a"}});                                // 1
  history.acked.push_back({1, log.Commit(1), Micros(10)});  // 2
  log.Mtr(2, {{"k1", "b"}, {"k2", "c"}});                   // 3, 4 (CPL)
  // Truncating from 4 (above VCL 3, not VDL 2) keeps half of txn 2's MTR.
  history.truncations.push_back({4, 1003, 1, Micros(20)});
  log.NewWriter(1, 1004, {{"k0", "a"}, {"k1", "b"}});
  log.Mtr(3, {{"k0", "z"}});
  history.acked.push_back({3, log.Commit(3), Micros(30)});  // 1005
  log.Read(Micros(40), 1005, log.PageAt(1005, {4}));
  absl::Status s = CheckDurability(history);
  EXPECT_THAT(s.message(), HasSubstr("k1 = \"b\", written at LSN 3 by transaction 2"));
  EXPECT_THAT(s.message(), HasSubstr("a mini-transaction not finished at the read point"));
}

TEST(RecoveryChecker, RejectsABackwardsTruncationRange) {
  DbHistory history;
  history.truncations.push_back({10, 5, 1, 0});
  EXPECT_EQ(CheckDurability(history).code(), absl::StatusCode::kInvalidArgument);
}

TEST(BankTotal, HoldsOrNamesTheWrongTotal) {
  PageImage p1 = EmptyPage(1), p2 = EmptyPage(2);
  for (auto [page, key, value] :
       {std::tuple{&p1, "k0", "60"}, std::tuple{&p1, "k1", "-10"}, std::tuple{&p2, "k2", "50"}}) {
    Slot* s = page->add_slots();
    s->set_key(key);
    s->set_value(value);
  }
  EXPECT_OK(CheckBankTotal({p1, p2}, 100));
  absl::Status wrong = CheckBankTotal({p1, p2}, 120);
  EXPECT_EQ(wrong.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.message(), HasSubstr("add up to 100, not 120"));
  EXPECT_FALSE(CheckBankTotal({p1}, 100).ok()) << "a missing page loses money";
  p2.mutable_slots(0)->set_value("5O");
  EXPECT_THAT(CheckBankTotal({p1, p2}, 100).message(), HasSubstr("not a balance"));
}

}  // namespace
}  // namespace auroralab::aurora
