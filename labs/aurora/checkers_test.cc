// Tests of the checkers: a correct history passes, and each kind of bad
// history is rejected with a message that names the problem: a lost
// acknowledged commit, a lost committed write, an uncommitted value, half a
// mini-transaction, an acknowledgement without a commit record, a broken
// bank total.
#include "labs/aurora/checkers.h"

#include <map>
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
// on page 1, one MTR per call, then a COMMIT MTR.
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
  Lsn Commit(TxnId txn) {
    RedoRecord r;
    r.set_page(kTxnTablePage);
    r.set_txn(txn);
    r.set_kind(COMMIT);
    return Ship({r});
  }
  // The page as storage would materialize it at `read_point`.
  PageImage PageAt(Lsn read_point) { return *MaterializePage(1, history_.records, read_point); }
  void Read(Time started, Lsn read_point, PageImage page) {
    history_.reads.push_back({started, read_point, std::move(page)});
  }

 private:
  Lsn Ship(std::vector<RedoRecord> mtr) {
    allocator_.Number(mtr);
    for (const RedoRecord& r : mtr) history_.records.push_back(r);
    return mtr.back().lsn();
  }
  DbHistory& history_;
  LsnAllocator allocator_;
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
