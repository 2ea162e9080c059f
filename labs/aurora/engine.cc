// The provided database engine; see engine.h for the contract.
#include "labs/aurora/engine.h"

#include <charconv>

#include "absl/strings/str_cat.h"

namespace auroralab::aurora {
namespace {

// A bank balance: a missing key is 0; anything else must be a decimal integer.
absl::StatusOr<int64_t> ParseBalance(const std::string& key,
                                     const std::optional<std::string>& value) {
  if (!value.has_value()) return 0;
  int64_t amount = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, amount);
  if (value->empty() || ec != std::errc() || ptr != end) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ", key, " holds \"", *value, "\", not a balance"));
  }
  return amount;
}

}  // namespace

Engine::Engine(NodeContext& ctx, EngineOptions options, RedoLogSink& log, PageReader& reader)
    : ctx_(ctx),
      options_(std::move(options)),
      log_(log),
      reader_(reader),
      next_txn_(options_.first_txn_id),
      durable_lsn_(options_.initial_durable_lsn),
      read_point_(options_.initial_durable_lsn) {
  log_.SetDurableListener([this](Lsn vdl) { OnDurable(vdl); });
}

TxnId Engine::Begin() {
  const TxnId txn = next_txn_++;
  txns_[txn];
  return txn;
}

int Engine::queued_mtrs() const {
  int n = 0;
  for (const Shipment& s : to_ship_) n += static_cast<int>(s.mtrs.size() - s.next);
  return n;
}

void Engine::AcquireLock(TxnId txn, const std::string& key, std::function<void()> then) {
  KeyLock& lock = locks_[key];
  if (lock.holder == 0 || lock.holder == txn) {
    lock.holder = txn;
    then();
    return;
  }
  lock.waiters.emplace_back(txn, std::move(then));
}

void Engine::PassLock(TxnId txn, const std::string& key) {
  auto lock = locks_.find(key);
  if (lock == locks_.end() || lock->second.holder != txn) return;
  if (lock->second.waiters.empty()) {
    locks_.erase(lock);
    return;
  }
  auto [next, then] = std::move(lock->second.waiters.front());
  lock->second.waiters.pop_front();
  lock->second.holder = next;
  // The new holder continues on an event of its own, not inside the releaser.
  ctx_.SetTimer(0, std::move(then));
}

void Engine::ReleaseLocks(TxnId txn) {
  auto it = txns_.find(txn);
  if (it == txns_.end()) return;
  std::vector<std::string> keys;
  for (const auto& [key, state] : it->second.keys) keys.push_back(key);
  txns_.erase(it);
  for (const std::string& key : keys) PassLock(txn, key);
}

void Engine::ReadPageAt(PageId page, Lsn read_point, PageReader::PageDone done) {
  const Time started = ctx_.Now();
  reader_.ReadPage(
      page, read_point, [this, page, read_point, started, done](absl::StatusOr<PageImage> image) {
        if (image.ok() && image->page() != page) {
          image = absl::InternalError(
              absl::StrCat("asked for page ", page, ", the reader returned page ", image->page()));
        }
        if (image.ok() && options_.history != nullptr) {
          options_.history->reads.push_back({started, read_point, *image});
        }
        done(std::move(image));
      });
}

void Engine::LoadKey(TxnId txn, const std::string& key, std::function<void(absl::Status)> then) {
  absl::StatusOr<PageId> page = options_.layout.PageOf(key);
  if (!page.ok()) return then(page.status());
  AcquireLock(txn, key, [this, txn, key, page = *page, then] {
    auto it = txns_.find(txn);
    if (it == txns_.end()) {
      // Aborted while it waited: hand the lock on.
      PassLock(txn, key);
      return then(absl::AbortedError("the transaction was aborted"));
    }
    if (it->second.keys[key].before_known) return then(absl::OkStatus());
    ReadPageAt(page, read_point_, [this, txn, key, then](absl::StatusOr<PageImage> image) {
      auto it = txns_.find(txn);
      if (it == txns_.end()) return then(absl::AbortedError("the transaction was aborted"));
      if (!image.ok()) return then(image.status());
      KeyState& state = it->second.keys[key];
      if (!state.before_known) {
        state.before_known = true;
        state.before = FindValue(*image, key);
        if (!state.written) state.current = state.before;
      }
      then(absl::OkStatus());
    });
  });
}

void Engine::Get(TxnId txn, const std::string& key, ValueDone done) {
  auto it = txns_.find(txn);
  if (it == txns_.end() || it->second.committing) {
    return done(absl::FailedPreconditionError(absl::StrCat("no open transaction ", txn)));
  }
  ++it->second.pending_ops;
  LoadKey(txn, key, [this, txn, key, done](absl::Status loaded) {
    auto it = txns_.find(txn);
    if (it != txns_.end()) --it->second.pending_ops;
    if (!loaded.ok()) return done(loaded);
    done(it->second.keys.at(key).current);
  });
}

void Engine::Put(TxnId txn, const std::string& key, const std::string& value, StatusDone done) {
  auto it = txns_.find(txn);
  if (it == txns_.end() || it->second.committing) {
    return done(absl::FailedPreconditionError(absl::StrCat("no open transaction ", txn)));
  }
  ++it->second.pending_ops;
  LoadKey(txn, key, [this, txn, key, value, done](absl::Status loaded) {
    auto it = txns_.find(txn);
    if (it != txns_.end()) --it->second.pending_ops;
    if (!loaded.ok()) return done(loaded);
    KeyState& state = it->second.keys.at(key);
    state.written = true;
    state.current = value;
    done(absl::OkStatus());
  });
}

absl::Status Engine::Abort(TxnId txn) {
  auto it = txns_.find(txn);
  if (it == txns_.end()) return absl::NotFoundError(absl::StrCat("no transaction ", txn));
  if (it->second.committing) {
    return absl::FailedPreconditionError(
        absl::StrCat("transaction ", txn, " is committing; it can no longer abort"));
  }
  ReleaseLocks(txn);
  return absl::OkStatus();
}

void Engine::Commit(TxnId txn, CommitDone done) {
  auto it = txns_.find(txn);
  if (it == txns_.end() || it->second.committing) {
    return done(absl::FailedPreconditionError(absl::StrCat("no open transaction ", txn)));
  }
  Txn& t = it->second;
  if (t.pending_ops > 0) {
    return done(absl::FailedPreconditionError(absl::StrCat(
        "transaction ", txn, " still has a Get or Put running; commit once they finish")));
  }
  t.committing = true;
  // Group the changes by page; std::map keeps pages and keys in order.
  std::map<PageId, std::vector<RedoRecord>> by_page;
  for (const auto& [key, state] : t.keys) {
    if (!state.written) continue;
    const PageId page = *options_.layout.PageOf(key);  // checked in LoadKey
    RedoRecord record;
    record.set_pg(options_.layout.PgOf(page));
    record.set_page(page);
    record.set_txn(txn);
    record.set_kind(PUT);
    record.set_volume_epoch(options_.volume_epoch);
    Change* change = record.mutable_change();
    change->set_key(key);
    change->set_old_present(state.before.has_value());
    change->set_old_value(state.before.value_or(""));
    change->set_new_present(state.current.has_value());
    change->set_new_value(state.current.value_or(""));
    by_page[page].push_back(std::move(record));
  }
  if (by_page.empty()) {
    const Lsn at = read_point_;
    ReleaseLocks(txn);
    return done(at);
  }
  Shipment shipment;
  shipment.txn = txn;
  shipment.done = std::move(done);
  for (auto& [page, records] : by_page) shipment.mtrs.push_back(std::move(records));
  RedoRecord commit;
  commit.set_pg(options_.layout.PgOf(kTxnTablePage));
  commit.set_page(kTxnTablePage);
  commit.set_txn(txn);
  commit.set_kind(COMMIT);
  commit.set_volume_epoch(options_.volume_epoch);
  shipment.mtrs.push_back({std::move(commit)});
  to_ship_.push_back(std::move(shipment));
  Pump();
}

void Engine::Undo(TxnId txn, std::vector<Change> undo, CommitDone done) {
  if (txns_.contains(txn)) {
    return done(absl::FailedPreconditionError(
        absl::StrCat("transaction ", txn, " is open here; only a crashed writer's can be undone")));
  }
  if (undo.empty()) {
    return done(absl::InvalidArgumentError(absl::StrCat("nothing to undo for transaction ", txn)));
  }
  std::map<PageId, std::vector<RedoRecord>> by_page;
  for (Change& change : undo) {
    absl::StatusOr<PageId> page = options_.layout.PageOf(change.key());
    if (!page.ok()) return done(page.status());
    RedoRecord record;
    record.set_pg(options_.layout.PgOf(*page));
    record.set_page(*page);
    record.set_txn(txn);
    record.set_kind(UNDO);
    record.set_volume_epoch(options_.volume_epoch);
    *record.mutable_change() = std::move(change);
    by_page[*page].push_back(std::move(record));
  }
  Txn& t = txns_[txn];
  t.committing = true;  // no Get, Put or Abort of it from here on
  ++undos_running_;
  done = [this, done = std::move(done)](absl::StatusOr<Lsn> undone) {
    if (--undos_running_ == 0) {
      std::vector<std::function<void()>> waiting = std::move(snapshots_after_undo_);
      snapshots_after_undo_.clear();
      for (auto& snapshot : waiting) ctx_.SetTimer(0, std::move(snapshot));
    }
    done(std::move(undone));
  };
  Shipment shipment;
  shipment.txn = txn;
  shipment.is_commit = false;
  shipment.done = std::move(done);
  for (auto& [page, records] : by_page) {
    for (const RedoRecord& record : records) t.keys[record.change().key()];
    shipment.mtrs.push_back(std::move(records));
  }
  RedoRecord abort;
  abort.set_pg(options_.layout.PgOf(kTxnTablePage));
  abort.set_page(kTxnTablePage);
  abort.set_txn(txn);
  abort.set_kind(ABORT);
  abort.set_volume_epoch(options_.volume_epoch);
  shipment.mtrs.push_back({std::move(abort)});
  // Take every lock now (queued behind a holder, if any); ship once all are
  // held, so nothing reads a key between its undo and the lock.
  auto waiting = std::make_shared<size_t>(t.keys.size());
  auto ship = std::make_shared<Shipment>(std::move(shipment));
  for (const auto& [key, state] : t.keys) {
    AcquireLock(txn, key, [this, waiting, ship] {
      if (--*waiting > 0) return;
      to_ship_.push_back(std::move(*ship));
      Pump();
    });
  }
}

void Engine::Pump() {
  if (pumping_) return;  // the sink called back into us from Append
  pumping_ = true;
  while (!to_ship_.empty()) {
    Shipment& shipment = to_ship_.front();
    absl::StatusOr<std::vector<RedoRecord>> numbered = log_.Append(shipment.mtrs[shipment.next]);
    if (!numbered.ok()) {
      if (!retry_scheduled_) {
        retry_scheduled_ = true;
        ctx_.SetTimer(options_.retry_interval, [this] {
          retry_scheduled_ = false;
          Pump();
        });
      }
      break;
    }
    if (numbered->size() != shipment.mtrs[shipment.next].size()) {
      // A broken sink: fail this commit loudly rather than guess.
      const size_t offered = shipment.mtrs[shipment.next].size();
      CommitDone done = std::move(shipment.done);
      const TxnId txn = shipment.txn;
      to_ship_.pop_front();
      txns_.at(txn).committing = false;
      ReleaseLocks(txn);
      done(absl::InternalError(absl::StrCat("the RedoLogSink returned ", numbered->size(),
                                            " records for an MTR of ", offered)));
      continue;
    }
    if (options_.history != nullptr) {
      for (const RedoRecord& r : *numbered) options_.history->records.push_back(r);
    }
    if (++shipment.next < shipment.mtrs.size()) continue;
    const Lsn commit_lsn = numbered->back().lsn();
    awaiting_ack_[commit_lsn] = {shipment.txn, std::move(shipment.done), shipment.is_commit};
    to_ship_.pop_front();
  }
  pumping_ = false;
  // A durability signal that arrived during Append may already cover these.
  OnDurable(durable_lsn_);
}

void Engine::OnDurable(Lsn vdl) {
  if (vdl < durable_lsn_) return;  // stale or repeated signal: VDL never goes back
  durable_lsn_ = vdl;
  // Collect first, then call back: callers start new transactions from
  // their callbacks.
  std::vector<std::pair<Lsn, AwaitingAck>> acked;
  while (!awaiting_ack_.empty() && awaiting_ack_.begin()->first <= vdl) {
    acked.emplace_back(awaiting_ack_.begin()->first, std::move(awaiting_ack_.begin()->second));
    awaiting_ack_.erase(awaiting_ack_.begin());
  }
  if (!acked.empty()) read_point_ = acked.back().first;
  for (auto& [lsn, waiting] : acked) {
    if (options_.history != nullptr && waiting.is_commit) {
      options_.history->acked.push_back({waiting.txn, lsn, ctx_.Now()});
    }
    ReleaseLocks(waiting.txn);
  }
  for (auto& [lsn, waiting] : acked) waiting.done(lsn);
  if (!acked.empty() && !to_ship_.empty() && !pumping_) Pump();
}

void Engine::Transfer(const std::string& from, const std::string& to, int64_t amount,
                      CommitDone done) {
  if (from == to) return done(absl::InvalidArgumentError("a transfer needs two different keys"));
  if (amount < 0) return done(absl::InvalidArgumentError("a transfer amount must be >= 0"));
  for (const std::string* key : {&from, &to}) {
    if (absl::StatusOr<PageId> page = options_.layout.PageOf(*key); !page.ok()) {
      return done(page.status());
    }
  }
  const TxnId txn = Begin();
  // Lock in key order so two transfers cannot deadlock.
  const std::string& first = std::min(from, to);
  const std::string& second = std::max(from, to);
  LoadKey(txn, first, [this, txn, from, to, amount, second, done](absl::Status s) {
    if (!s.ok()) {
      Abort(txn).IgnoreError();
      return done(s);
    }
    LoadKey(txn, second, [this, txn, from, to, amount, done](absl::Status s) {
      if (!s.ok()) {
        Abort(txn).IgnoreError();
        return done(s);
      }
      TransferLocked(txn, from, to, amount, done);
    });
  });
}

void Engine::TransferLocked(TxnId txn, std::string from, std::string to, int64_t amount,
                            CommitDone done) {
  Txn& t = txns_.at(txn);
  absl::StatusOr<int64_t> from_balance = ParseBalance(from, t.keys.at(from).current);
  absl::StatusOr<int64_t> to_balance = ParseBalance(to, t.keys.at(to).current);
  absl::Status bad = !from_balance.ok() ? from_balance.status() : to_balance.status();
  if (bad.ok() && *from_balance < amount) {
    bad = absl::FailedPreconditionError(
        absl::StrCat(from, " holds ", *from_balance, ", less than ", amount));
  }
  if (!bad.ok()) {
    Abort(txn).IgnoreError();
    return done(bad);
  }
  for (auto& [key, balance] :
       {std::pair{from, *from_balance - amount}, std::pair{to, *to_balance + amount}}) {
    KeyState& state = t.keys.at(key);
    state.written = true;
    state.current = absl::StrCat(balance);
  }
  Commit(txn, std::move(done));
}

void Engine::PutAll(std::vector<std::pair<std::string, std::string>> writes, CommitDone done) {
  std::map<std::string, std::string> sorted;  // lock order; a repeated key keeps its last value
  for (auto& [key, value] : writes) {
    if (absl::StatusOr<PageId> page = options_.layout.PageOf(key); !page.ok()) {
      return done(page.status());
    }
    sorted[key] = value;
  }
  const TxnId txn = Begin();
  auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(sorted));
  PutAllFrom(txn, shared, shared->begin(), std::move(done));
}

void Engine::PutAllFrom(TxnId txn, std::shared_ptr<const std::map<std::string, std::string>> writes,
                        std::map<std::string, std::string>::const_iterator next, CommitDone done) {
  if (next == writes->end()) return Commit(txn, std::move(done));
  Put(txn, next->first, next->second, [this, txn, writes, next, done](absl::Status s) {
    if (!s.ok()) {
      Abort(txn).IgnoreError();
      return done(s);
    }
    PutAllFrom(txn, writes, std::next(next), done);
  });
}

void Engine::ReadSnapshot(std::vector<PageId> pages,
                          std::function<void(absl::StatusOr<std::vector<PageImage>>)> done) {
  struct Gather {
    std::vector<PageImage> images;
    int missing = 0;
    absl::Status error;
    std::function<void(absl::StatusOr<std::vector<PageImage>>)> done;
  };
  if (undos_running_ > 0) {
    snapshots_after_undo_.push_back([this, pages = std::move(pages), done = std::move(done)] {
      ReadSnapshot(pages, done);
    });
    return;
  }
  auto gather = std::make_shared<Gather>();
  gather->images.resize(pages.size());
  gather->missing = static_cast<int>(pages.size());
  gather->done = std::move(done);
  if (pages.empty()) return gather->done(gather->images);
  const Lsn at = read_point_;
  for (size_t i = 0; i < pages.size(); ++i) {
    ReadPageAt(pages[i], at, [gather, i](absl::StatusOr<PageImage> image) {
      if (image.ok()) {
        gather->images[i] = *std::move(image);
      } else if (gather->error.ok()) {
        gather->error = image.status();
      }
      if (--gather->missing > 0) return;
      if (!gather->error.ok()) return gather->done(gather->error);
      gather->done(std::move(gather->images));
    });
  }
}

}  // namespace auroralab::aurora
