// The provided single-writer database engine of labs 2 to 5, and the two
// interfaces through which a lab's storage code plugs into it.
//
// The engine runs on the writer node. Transactions over keys (Get, Put,
// Commit; Transfer and PutAll as one-call transactions) become redo records:
// at commit, one mini-transaction (MTR) per page the transaction changed
// (one PUT record per changed key, the last one a CPL), pages in ascending
// order, then a COMMIT record as an MTR of its own on page 0. All MTRs of a
// transaction are shipped back to back, so its records take consecutive
// LSNs.
//
// Contract:
//  * Durability: the engine hands MTRs to a RedoLogSink, which numbers them
//    (LSN, backlink) and ships them. A commit is acknowledged (its callback
//    runs) only once the sink reports a durable LSN (VDL) at or above its
//    COMMIT record, and acknowledgements go out in LSN order.
//  * Back-pressure: if the sink refuses an MTR (any error, e.g. the LSN
//    allocation limit), the engine keeps it and every later one queued, and
//    retries after the next durability signal or `retry_interval`.
//  * Isolation: a transaction locks each key it reads or writes (one FIFO
//    lock queue per key, in an ordered map) and keeps its locks until its
//    commit is acknowledged or it aborts. Writes are buffered until commit.
//    Take keys in ascending order (Transfer and PutAll do) or a deadlock can
//    leave transactions waiting forever.
//  * Reads: pages come from a PageReader at the engine's read point: the
//    LSN of the last acknowledged commit (initially initial_durable_lsn),
//    which is at or below VDL and never inside a transaction's records, so a
//    read sees whole MTRs and committed transactions only.
//  * Determinism: ordered containers only; no clock but the node's.
//
// Example (inside a writer node):
//   engine_ = std::make_unique<Engine>(ctx(), EngineOptions{.layout = layout},
//                                      *log_shipper_, *page_reader_);
//   engine_->Transfer("k1", "k2", 10, [](absl::StatusOr<Lsn> commit) {...});
#ifndef AURORALAB_LABS_AURORA_ENGINE_H_
#define AURORALAB_LABS_AURORA_ENGINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/aurora/history.h"
#include "labs/aurora/page.h"
#include "labs/aurora/redo.pb.h"
#include "labs/framework/node.h"
#include "labs/framework/time.h"

namespace auroralab::aurora {

// The storage tier's write side, as the engine sees it (lab 2's log
// shipping implements it).
class RedoLogSink {
 public:
  using DurableListener = std::function<void(Lsn vdl)>;
  virtual ~RedoLogSink() = default;

  // Takes one MTR. Every record has pg, page, txn, kind, change and
  // volume_epoch set; the sink sets lsn, prev_lsn_in_pg and cpl
  // (LsnAllocator does exactly that), starts making the records durable and
  // returns them numbered. An error means "not now" (e.g. the LSN allocation
  // limit): nothing was allocated, and the engine offers the MTR again later.
  virtual absl::StatusOr<std::vector<RedoRecord>> Append(std::vector<RedoRecord> mtr) = 0;

  // The engine registers here, once. The sink calls `listener` whenever its
  // volume durable LSN (VDL: the highest CPL at or below the point up to
  // which every record is durable) advances. It may call it from inside
  // Append.
  virtual void SetDurableListener(DurableListener listener) = 0;
};

// The storage tier's read side (lab 2: "read a page at a read point").
class PageReader {
 public:
  using PageDone = std::function<void(absl::StatusOr<PageImage>)>;
  virtual ~PageReader() = default;

  // Calls `done` once with page `page` as of `read_point` (base image plus
  // every record of the page with LSN <= read_point), or an error after the
  // reader gave up. Never with an older version of the page.
  virtual void ReadPage(PageId page, Lsn read_point, PageDone done) = 0;
};

struct EngineOptions {
  VolumeLayout layout = *VolumeLayout::Create(16);
  // Where durability and reads start: 0 for a new volume, the recovered VDL
  // for lab 3's new writer. Must be a point with no uncommitted records
  // below it that are still visible (lab 3 undoes those).
  Lsn initial_durable_lsn = kNoLsn;
  // Transaction ids start here (a new writer picks ids the old one never used).
  TxnId first_txn_id = 1;
  // Stamped on every record (lab 3).
  uint64_t volume_epoch = 0;
  // How soon to offer a refused MTR again if no durability signal comes first.
  Duration retry_interval = Millis(1);
  // If set, every shipped record, acknowledged commit and page read is
  // appended here (for the checkers). Must outlive the engine.
  DbHistory* history = nullptr;
};

class Engine {
 public:
  using ValueDone = std::function<void(absl::StatusOr<std::optional<std::string>>)>;
  using StatusDone = std::function<void(absl::Status)>;
  using CommitDone = std::function<void(absl::StatusOr<Lsn>)>;

  // Registers with `log` for durability signals. `log` and `reader` must
  // not call the engine back after it is gone: all three normally belong to
  // the writer node's incarnation and die with it.
  Engine(NodeContext& ctx, EngineOptions options, RedoLogSink& log, PageReader& reader);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts a transaction and returns its id.
  TxnId Begin();
  // The value of `key` as this transaction sees it (its own writes first),
  // nullopt if it has none. Locks the key.
  void Get(TxnId txn, const std::string& key, ValueDone done);
  // Buffers `key` = `value` in the transaction. Locks the key and reads its
  // current value (the record's old value).
  void Put(TxnId txn, const std::string& key, const std::string& value, StatusDone done);
  // Ships the transaction's MTRs and its COMMIT record; `done` gets the
  // commit LSN once it is durable. FailedPrecondition while a Get or Put of
  // the transaction is still running. A transaction that wrote nothing commits
  // at once with the current read point.
  void Commit(TxnId txn, CommitDone done);
  // Drops the transaction's writes and locks. Not allowed once Commit ran
  // (FailedPrecondition).
  absl::Status Abort(TxnId txn);

  // Lab 3: undoes transaction `txn`, which a crashed writer left in doubt
  // (its changes survived recovery, its COMMIT record did not). Each entry
  // of `undo` is the change of one UNDO record: it sets `key` back to the
  // value it had before the transaction (new_* = the PUT's old_*, old_* =
  // the PUT's new_*). Takes every key's lock at once, so call it before new
  // transactions touch those keys; then ships the UNDO records (one MTR per
  // page, pages ascending) and one ABORT record, and `done` gets the ABORT's
  // LSN once it is durable. FailedPrecondition if `txn` is open here,
  // InvalidArgument for an empty `undo` or a key outside the layout.
  void Undo(TxnId txn, std::vector<Change> undo, CommitDone done);

  // One-call transactions. Transfer moves `amount` from `from` to `to`
  // (values are decimal integers, a missing key is 0); it aborts with
  // FailedPrecondition if `from` holds less than `amount`. PutAll writes
  // every pair in one transaction.
  void Transfer(const std::string& from, const std::string& to, int64_t amount, CommitDone done);
  void PutAll(std::vector<std::pair<std::string, std::string>> writes, CommitDone done);

  // Reads `pages` at the current read point without locks (an audit of the
  // whole database, for example). Fails if any page read fails. While an
  // Undo is running it waits until every undo is durable: a lock-free read
  // must not see a crashed writer's transaction half done.
  void ReadSnapshot(std::vector<PageId> pages,
                    std::function<void(absl::StatusOr<std::vector<PageImage>>)> done);

  // The highest VDL the sink reported.
  Lsn durable_lsn() const { return durable_lsn_; }
  // Where reads happen: the last acknowledged commit's LSN.
  Lsn read_point() const { return read_point_; }
  const VolumeLayout& layout() const { return options_.layout; }
  int active_transactions() const { return static_cast<int>(txns_.size()); }
  // Commits shipped and waiting for durability, and MTRs not yet accepted.
  int commits_awaiting_durability() const { return static_cast<int>(awaiting_ack_.size()); }
  int queued_mtrs() const;

 private:
  struct KeyState {
    bool before_known = false;          // `before` was read from storage
    std::optional<std::string> before;  // value before this transaction
    bool written = false;
    std::optional<std::string> current;  // value after this transaction's puts
  };
  struct Txn {
    std::map<std::string, KeyState> keys;  // locked keys
    bool committing = false;
    int pending_ops = 0;  // Gets and Puts not yet answered
  };
  struct KeyLock {
    TxnId holder = 0;
    std::deque<std::pair<TxnId, std::function<void()>>> waiters;
  };
  struct Shipment {
    TxnId txn = 0;
    bool is_commit = true;
    std::vector<std::vector<RedoRecord>> mtrs;  // data MTRs, then the COMMIT MTR
    size_t next = 0;                            // first MTR not yet accepted
    CommitDone done;
  };
  struct AwaitingAck {
    TxnId txn = 0;
    CommitDone done;
    bool is_commit = true;  // false for an undo's ABORT (not a commit)
  };

  // Runs `then` once `txn` holds `key` (at once if it already does).
  void AcquireLock(TxnId txn, const std::string& key, std::function<void()> then);
  // Gives `key`'s lock, if `txn` holds it, to the next waiter.
  void PassLock(TxnId txn, const std::string& key);
  void ReleaseLocks(TxnId txn);
  // Makes sure key's old value is known, then runs `then` (or fails `done`).
  void LoadKey(TxnId txn, const std::string& key, std::function<void(absl::Status)> then);
  void ReadPageAt(PageId page, Lsn read_point, PageReader::PageDone done);
  // Offers queued MTRs to the sink in order until it refuses one.
  void Pump();
  void OnDurable(Lsn vdl);
  // PutAll's loop: puts the pairs from `next` on, then commits.
  void PutAllFrom(TxnId txn, std::shared_ptr<const std::map<std::string, std::string>> writes,
                  std::map<std::string, std::string>::const_iterator next, CommitDone done);
  void TransferLocked(TxnId txn, std::string from, std::string to, int64_t amount, CommitDone done);

  NodeContext& ctx_;
  EngineOptions options_;
  RedoLogSink& log_;
  PageReader& reader_;
  TxnId next_txn_;
  Lsn durable_lsn_;
  Lsn read_point_;
  std::map<TxnId, Txn> txns_;
  std::map<std::string, KeyLock> locks_;
  std::deque<Shipment> to_ship_;
  std::map<Lsn, AwaitingAck> awaiting_ack_;  // by commit LSN
  bool pumping_ = false;
  bool retry_scheduled_ = false;
  // Undos not yet durable, and the snapshots waiting for them.
  int undos_running_ = 0;
  std::vector<std::function<void()>> snapshots_after_undo_;
};

}  // namespace auroralab::aurora

#endif  // AURORALAB_LABS_AURORA_ENGINE_H_
