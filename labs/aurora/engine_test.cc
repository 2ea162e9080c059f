// Tests of the engine against hand-driven fakes: the records and backlinks
// it produces for a given commit order, commit acknowledgement only at the
// durability signal and in LSN order, key locks, back-pressure, transfers.
#include "labs/aurora/engine.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "labs/aurora/lsn_allocator.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/world.h"

namespace auroralab::aurora {
namespace {

// A node that only lends its context to the engine under test.
class Host : public Node {
 public:
  using Node::Node;
  NodeContext& context() { return ctx(); }
};

// A RedoLogSink the test drives: it numbers MTRs, keeps them, refuses on
// demand, and signals durability only when the test says so.
class ManualLog : public RedoLogSink {
 public:
  absl::StatusOr<std::vector<RedoRecord>> Append(std::vector<RedoRecord> mtr) override {
    if (refuse) return absl::UnavailableError("refused by the test");
    allocator.Number(mtr);
    for (const RedoRecord& r : mtr) records.push_back(r);
    mtrs.push_back(mtr);
    if (lose_a_record) mtr.pop_back();  // a broken sink
    return mtr;
  }
  void SetDurableListener(DurableListener l) override { listener = std::move(l); }
  void Signal(Lsn vdl) { listener(vdl); }

  bool refuse = false;
  bool lose_a_record = false;
  LsnAllocator allocator;
  DurableListener listener;
  std::vector<RedoRecord> records;
  std::vector<std::vector<RedoRecord>> mtrs;
};

// A PageReader that answers at once from the ManualLog's records, and notes
// the read points it was asked for.
class ManualReader : public PageReader {
 public:
  explicit ManualReader(const ManualLog& log) : log_(log) {}
  void ReadPage(PageId page, Lsn read_point, PageDone done) override {
    read_points.push_back(read_point);
    if (fail) return done(absl::UnavailableError("no segment can serve the read"));
    done(MaterializePage(page, log_.records, read_point));
  }
  std::vector<Lsn> read_points;
  bool fail = false;

 private:
  const ManualLog& log_;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : world_(WorldOptions{.seed = 1}) {
    // Two keys per page, two PGs: k0,k1 on page 1 (PG 1); k2,k3 on page 2
    // (PG 0); COMMIT records on page 0 (PG 0).
    options_.layout = *VolumeLayout::Create(8, 2, 2);
    options_.history = &history_;
    const NodeId host =
        world_.AddNode("writer", 0, [](NodeContext& ctx) { return std::make_unique<Host>(ctx); });
    reader_ = std::make_unique<ManualReader>(log_);
    engine_ = std::make_unique<Engine>(world_.node<Host>(host).context(), options_, log_, *reader_);
  }

  // Runs the pending zero-delay events (lock hand-offs, retries).
  void Settle() { world_.RunFor(Millis(5)); }

  // Starts a commit whose outcome lands in `out`.
  Engine::CommitDone Into(std::optional<absl::StatusOr<Lsn>>* out) {
    return [out](absl::StatusOr<Lsn> r) { *out = std::move(r); };
  }

  World world_;
  EngineOptions options_;
  DbHistory history_;
  ManualLog log_;
  std::unique_ptr<ManualReader> reader_;
  std::unique_ptr<Engine> engine_;
};

void ExpectRecord(const RedoRecord& r, Lsn lsn, Lsn prev, PgId pg, PageId page, TxnId txn,
                  RecordKind kind, bool cpl) {
  SCOPED_TRACE(r.ShortDebugString());
  EXPECT_EQ(r.lsn(), lsn);
  EXPECT_EQ(r.prev_lsn_in_pg(), prev);
  EXPECT_EQ(r.pg(), pg);
  EXPECT_EQ(r.page(), page);
  EXPECT_EQ(r.txn(), txn);
  EXPECT_EQ(r.kind(), kind);
  EXPECT_EQ(r.cpl(), cpl);
}

TEST_F(EngineTest, ATransactionBecomesOneMtrPerPageThenACommitRecord) {
  std::optional<absl::StatusOr<Lsn>> done;
  engine_->PutAll({{"k2", "c"}, {"k0", "a"}, {"k1", "b"}}, Into(&done));
  ASSERT_EQ(log_.mtrs.size(), 3u) << "page 1, page 2, then the commit";
  ASSERT_EQ(log_.records.size(), 4u);
  const TxnId t = log_.records[0].txn();
  ExpectRecord(log_.records[0], 1, 0, 1, 1, t, PUT, false);  // k0, page 1, PG 1
  ExpectRecord(log_.records[1], 2, 1, 1, 1, t, PUT, true);   // k1 ends page 1's MTR
  ExpectRecord(log_.records[2], 3, 0, 0, 2, t, PUT, true);   // k2, page 2, PG 0
  ExpectRecord(log_.records[3], 4, 3, 0, 0, t, COMMIT, true);
  EXPECT_EQ(log_.records[0].change().key(), "k0");
  EXPECT_FALSE(log_.records[0].change().old_present());
  EXPECT_EQ(log_.records[0].change().new_value(), "a");
  EXPECT_EQ(log_.records[1].change().key(), "k1");
  EXPECT_EQ(log_.records[2].change().key(), "k2");

  log_.Signal(4);
  ASSERT_TRUE(done.has_value());
  ASSERT_OK(*done);
  EXPECT_EQ(**done, 4u);

  // The next transaction's record carries the old value and links back.
  engine_->PutAll({{"k1", "b2"}}, Into(&done));
  ASSERT_EQ(log_.records.size(), 6u);
  ExpectRecord(log_.records[4], 5, 2, 1, 1, t + 1, PUT, true);
  ExpectRecord(log_.records[5], 6, 4, 0, 0, t + 1, COMMIT, true);
  EXPECT_TRUE(log_.records[4].change().old_present());
  EXPECT_EQ(log_.records[4].change().old_value(), "b");
  EXPECT_EQ(log_.records[4].change().new_value(), "b2");
  EXPECT_EQ(reader_->read_points.back(), 4u) << "reads happen at the last acknowledged commit";
}

TEST_F(EngineTest, LsnsFollowTheCommitOrderNotTheBeginOrder) {
  const TxnId first = engine_->Begin();
  const TxnId second = engine_->Begin();
  absl::Status put1, put2;
  engine_->Put(first, "k0", "from-first", [&](absl::Status s) { put1 = s; });
  engine_->Put(second, "k2", "from-second", [&](absl::Status s) { put2 = s; });
  ASSERT_OK(put1);
  ASSERT_OK(put2);
  std::optional<absl::StatusOr<Lsn>> done1, done2;
  engine_->Commit(second, Into(&done2));
  engine_->Commit(first, Into(&done1));
  ASSERT_EQ(log_.records.size(), 4u);
  ExpectRecord(log_.records[0], 1, 0, 0, 2, second, PUT, true);
  ExpectRecord(log_.records[1], 2, 1, 0, 0, second, COMMIT, true);
  ExpectRecord(log_.records[2], 3, 0, 1, 1, first, PUT, true);
  ExpectRecord(log_.records[3], 4, 2, 0, 0, first, COMMIT, true);
}

TEST_F(EngineTest, ACommitIsAcknowledgedOnlyWhenVdlReachesItsCommitRecord) {
  std::optional<absl::StatusOr<Lsn>> done;
  engine_->PutAll({{"k0", "a"}, {"k2", "b"}}, Into(&done));
  ASSERT_EQ(log_.records.size(), 3u);
  EXPECT_FALSE(done.has_value()) << "acknowledged before any durability signal";
  log_.Signal(1);
  log_.Signal(2);
  EXPECT_FALSE(done.has_value()) << "acknowledged at VDL 2, below its commit record (LSN 3)";
  EXPECT_EQ(engine_->commits_awaiting_durability(), 1);
  log_.Signal(3);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(**done, 3u);
  EXPECT_EQ(engine_->read_point(), 3u);
  ASSERT_EQ(history_.acked.size(), 1u);
  EXPECT_EQ(history_.acked[0].commit_lsn, 3u);
}

TEST_F(EngineTest, AcknowledgementsGoOutInLsnOrderAsVdlAdvances) {
  std::vector<Lsn> acked;
  auto record = [&](absl::StatusOr<Lsn> r) {
    ASSERT_OK(r);
    acked.push_back(*r);
  };
  engine_->PutAll({{"k0", "a"}}, record);  // LSNs 1, 2
  engine_->PutAll({{"k2", "b"}}, record);  // LSNs 3, 4
  engine_->PutAll({{"k4", "c"}}, record);  // LSNs 5, 6
  log_.Signal(5);                          // one signal covers the first two commits
  EXPECT_EQ(acked, (std::vector<Lsn>{2, 4}));
  log_.Signal(3);  // a stale signal changes nothing
  EXPECT_EQ(acked, (std::vector<Lsn>{2, 4}));
  EXPECT_EQ(engine_->durable_lsn(), 5u);
  log_.Signal(6);
  EXPECT_EQ(acked, (std::vector<Lsn>{2, 4, 6}));
}

TEST_F(EngineTest, ATransactionWaitsForTheKeyLockUntilTheHolderIsAcknowledged) {
  std::optional<absl::StatusOr<Lsn>> writer;
  engine_->PutAll({{"k0", "a"}}, Into(&writer));
  const TxnId reader = engine_->Begin();
  std::optional<absl::StatusOr<std::optional<std::string>>> got;
  engine_->Get(reader, "k0", [&](absl::StatusOr<std::optional<std::string>> v) { got = v; });
  Settle();
  EXPECT_FALSE(got.has_value()) << "read a key locked by a transaction not yet acknowledged";
  log_.Signal(2);
  Settle();
  ASSERT_TRUE(got.has_value());
  ASSERT_OK(*got);
  EXPECT_EQ(**got, "a");
  EXPECT_EQ(reader_->read_points.back(), 2u);
}

TEST_F(EngineTest, AbortShipsNothingAndFreesTheLocks) {
  const TxnId t = engine_->Begin();
  absl::Status put;
  engine_->Put(t, "k0", "never", [&](absl::Status s) { put = s; });
  ASSERT_OK(put);
  ASSERT_OK(engine_->Abort(t));
  EXPECT_TRUE(log_.records.empty());
  EXPECT_EQ(engine_->active_transactions(), 0);
  std::optional<absl::StatusOr<Lsn>> done;
  engine_->PutAll({{"k0", "a"}}, Into(&done));
  EXPECT_EQ(log_.records.size(), 2u) << "the aborted transaction kept its lock";
  EXPECT_FALSE(log_.records[0].change().old_present()) << "the aborted write leaked";
  EXPECT_EQ(engine_->Abort(12345).code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, AReadOnlyTransactionCommitsAtOnceAtTheReadPoint) {
  const TxnId t = engine_->Begin();
  std::optional<absl::StatusOr<std::optional<std::string>>> got;
  engine_->Get(t, "k3", [&](absl::StatusOr<std::optional<std::string>> v) { got = v; });
  ASSERT_TRUE(got.has_value());
  ASSERT_OK(*got);
  EXPECT_EQ(**got, std::nullopt);
  std::optional<absl::StatusOr<Lsn>> done;
  engine_->Commit(t, Into(&done));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(**done, kNoLsn);
  EXPECT_TRUE(log_.records.empty());
}

TEST_F(EngineTest, RefusedMtrsWaitAndAreOfferedAgainInOrder) {
  log_.refuse = true;
  std::optional<absl::StatusOr<Lsn>> first, second;
  engine_->PutAll({{"k0", "a"}, {"k2", "b"}}, Into(&first));
  engine_->PutAll({{"k4", "c"}}, Into(&second));
  Settle();
  EXPECT_TRUE(log_.records.empty());
  EXPECT_EQ(engine_->queued_mtrs(), 5);
  log_.refuse = false;
  Settle();  // the retry timer offers them again
  ASSERT_EQ(log_.records.size(), 5u);
  EXPECT_EQ(engine_->queued_mtrs(), 0);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(log_.records[i].txn(), log_.records[0].txn());
  log_.Signal(5);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(**first, 3u);
  EXPECT_EQ(**second, 5u);
}

TEST_F(EngineTest, TransferMovesMoneyOrDeclines) {
  std::optional<absl::StatusOr<Lsn>> setup;
  engine_->PutAll({{"k0", "10"}, {"k2", "5"}}, Into(&setup));
  log_.Signal(3);
  ASSERT_TRUE(setup.has_value());

  std::optional<absl::StatusOr<Lsn>> too_much;
  engine_->Transfer("k0", "k2", 11, Into(&too_much));
  Settle();
  ASSERT_TRUE(too_much.has_value());
  EXPECT_EQ(too_much->status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(log_.records.size(), 3u) << "a declined transfer shipped records";

  std::optional<absl::StatusOr<Lsn>> moved;
  engine_->Transfer("k2", "k0", 5, Into(&moved));
  Settle();
  ASSERT_EQ(log_.records.size(), 6u);
  EXPECT_EQ(log_.records[3].change().key(), "k0");
  EXPECT_EQ(log_.records[3].change().old_value(), "10");
  EXPECT_EQ(log_.records[3].change().new_value(), "15");
  EXPECT_EQ(log_.records[4].change().key(), "k2");
  EXPECT_EQ(log_.records[4].change().new_value(), "0");
  log_.Signal(6);
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(**moved, 6u);

  std::optional<absl::StatusOr<Lsn>> bad;
  engine_->Transfer("k0", "nope", 1, Into(&bad));
  EXPECT_EQ(bad->status().code(), absl::StatusCode::kInvalidArgument);
  engine_->Transfer("k0", "k0", 1, Into(&bad));
  EXPECT_EQ(bad->status().code(), absl::StatusCode::kInvalidArgument);
  engine_->PutAll({{"k1", "x"}, {"k99", "y"}}, Into(&bad));
  EXPECT_EQ(bad->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->active_transactions(), 0);
}

TEST_F(EngineTest, ATransactionAbortedWhileWaitingForALockPassesItOn) {
  std::optional<absl::StatusOr<Lsn>> holder;
  engine_->PutAll({{"k0", "a"}}, Into(&holder));
  const TxnId waiter = engine_->Begin();
  std::optional<absl::StatusOr<std::optional<std::string>>> got;
  engine_->Get(waiter, "k0", [&](absl::StatusOr<std::optional<std::string>> v) { got = v; });
  ASSERT_OK(engine_->Abort(waiter));
  std::optional<absl::StatusOr<Lsn>> next;
  engine_->PutAll({{"k0", "b"}}, Into(&next));
  log_.Signal(2);
  Settle();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status().code(), absl::StatusCode::kAborted);
  ASSERT_EQ(log_.records.size(), 4u) << "the lock stayed with the aborted transaction";
  log_.Signal(4);
  ASSERT_TRUE(next.has_value());
  EXPECT_OK(*next);
  EXPECT_EQ(engine_->active_transactions(), 0);
}

TEST_F(EngineTest, AFailedPageReadFailsTheTransactionAndFreesItsLocks) {
  reader_->fail = true;
  std::optional<absl::StatusOr<Lsn>> transfer;
  engine_->Transfer("k0", "k2", 1, Into(&transfer));
  ASSERT_TRUE(transfer.has_value());
  EXPECT_EQ(transfer->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(engine_->active_transactions(), 0);
  reader_->fail = false;
  std::optional<absl::StatusOr<Lsn>> put;
  engine_->PutAll({{"k0", "a"}, {"k2", "b"}}, Into(&put));
  EXPECT_EQ(log_.records.size(), 3u) << "the failed transfer kept a lock";
}

TEST_F(EngineTest, ACommitWhileAPutIsStillWaitingIsRefused) {
  std::optional<absl::StatusOr<Lsn>> holder;
  engine_->PutAll({{"k0", "a"}}, Into(&holder));
  const TxnId t = engine_->Begin();
  std::optional<absl::Status> put;
  engine_->Put(t, "k0", "b", [&](absl::Status s) { put = s; });  // waits for the lock
  std::optional<absl::StatusOr<Lsn>> early;
  engine_->Commit(t, Into(&early));
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->status().code(), absl::StatusCode::kFailedPrecondition);
  log_.Signal(2);
  Settle();
  ASSERT_TRUE(put.has_value());
  ASSERT_OK(*put);
  std::optional<absl::StatusOr<Lsn>> commit;
  engine_->Commit(t, Into(&commit));
  log_.Signal(4);
  ASSERT_TRUE(commit.has_value());
  EXPECT_EQ(**commit, 4u);
  EXPECT_EQ(log_.records[2].change().new_value(), "b");
}

TEST_F(EngineTest, ASinkThatLosesRecordsFailsTheCommitLoudly) {
  log_.lose_a_record = true;
  std::optional<absl::StatusOr<Lsn>> done;
  engine_->PutAll({{"k0", "a"}}, Into(&done));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(engine_->active_transactions(), 0);
  EXPECT_EQ(engine_->queued_mtrs(), 0);
}

TEST_F(EngineTest, GetAndPutOnAFinishedTransactionFail) {
  std::optional<absl::StatusOr<std::optional<std::string>>> got;
  engine_->Get(999, "k0", [&](absl::StatusOr<std::optional<std::string>> v) { got = v; });
  EXPECT_EQ(got->status().code(), absl::StatusCode::kFailedPrecondition);
  absl::Status put;
  engine_->Put(999, "k0", "v", [&](absl::Status s) { put = s; });
  EXPECT_EQ(put.code(), absl::StatusCode::kFailedPrecondition);
}


// Lab 3's undo: UNDO records per page, then an ABORT; the keys are locked
// from the call on, so a transaction started after it waits for the undo.
TEST_F(EngineTest, UndoLocksTheKeysAtOnceThenShipsUndoRecordsAndAnAbort) {
  Change k0;
  k0.set_key("k0");
  k0.set_old_present(true);
  k0.set_old_value("in-doubt");
  k0.set_new_present(true);
  k0.set_new_value("before");
  Change k2;
  k2.set_key("k2");
  k2.set_old_present(true);
  k2.set_old_value("in-doubt");
  k2.set_new_present(false);
  std::optional<absl::StatusOr<Lsn>> undone;
  std::optional<absl::StatusOr<Lsn>> later;
  engine_->Undo(77, {k2, k0}, Into(&undone));
  engine_->PutAll({{"k0", "new"}}, Into(&later));
  Settle();
  ASSERT_EQ(log_.records.size(), 3u) << "the PutAll waits for k0's lock";
  ExpectRecord(log_.records[0], 1, 0, 1, 1, 77, UNDO, true);  // k0, page 1
  ExpectRecord(log_.records[1], 2, 0, 0, 2, 77, UNDO, true);  // k2, page 2
  ExpectRecord(log_.records[2], 3, 2, 0, 0, 77, ABORT, true);
  EXPECT_EQ(log_.records[0].change().new_value(), "before");
  EXPECT_FALSE(log_.records[1].change().new_present());
  log_.Signal(3);
  Settle();
  ASSERT_TRUE(undone.has_value());
  ASSERT_OK(*undone);
  EXPECT_EQ(**undone, 3u);
  EXPECT_TRUE(history_.acked.empty()) << "an ABORT is not an acknowledged commit";
  ASSERT_EQ(log_.records.size(), 5u) << "k0 is free again: the PutAll ships";
  EXPECT_EQ(log_.records[3].change().old_value(), "before")
      << "the next transaction reads the undone value";
}

TEST_F(EngineTest, UndoRefusesAnOpenTransactionAndAnEmptyUndo) {
  std::optional<absl::StatusOr<Lsn>> done;
  const TxnId open = engine_->Begin();
  engine_->Undo(open, {Change()}, Into(&done));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status().code(), absl::StatusCode::kFailedPrecondition);
  done.reset();
  engine_->Undo(99, {}, Into(&done));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(log_.records.empty());
}


// A lock-free snapshot (an audit) must not see an in-doubt transaction half
// undone: it waits until every running undo is durable.
TEST_F(EngineTest, ASnapshotWaitsUntilTheUndoIsDurable) {
  Change k0;
  k0.set_key("k0");
  k0.set_old_present(true);
  k0.set_old_value("in-doubt");
  k0.set_new_present(true);
  k0.set_new_value("before");
  std::optional<absl::StatusOr<Lsn>> undone;
  engine_->Undo(5, {k0}, Into(&undone));
  std::optional<absl::StatusOr<std::vector<PageImage>>> snapshot;
  engine_->ReadSnapshot({1}, [&](absl::StatusOr<std::vector<PageImage>> pages) {
    snapshot = std::move(pages);
  });
  Settle();
  EXPECT_FALSE(snapshot.has_value()) << "the snapshot ran while the undo was not durable";
  EXPECT_TRUE(reader_->read_points.empty());
  log_.Signal(log_.records.back().lsn());
  Settle();
  ASSERT_TRUE(undone.has_value());
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_OK(*snapshot);
  EXPECT_EQ(reader_->read_points.back(), log_.records.back().lsn())
      << "the snapshot reads at a point that includes the whole undo";
}

}  // namespace
}  // namespace auroralab::aurora
