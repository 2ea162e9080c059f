// The database tier's checkers; see checkers.h for what they promise.
#include "labs/aurora/checkers.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "labs/aurora/page.h"
#include "labs/framework/time.h"

namespace auroralab::aurora {
namespace {

// The MTR end of changes whose MTR never reached its CPL.
constexpr Lsn kUnfinished = std::numeric_limits<Lsn>::max();

// One change of a key, as the log says.
struct Version {
  Lsn lsn = kNoLsn;
  TxnId txn = 0;
  Lsn mtr_end = kNoLsn;  // the CPL of the MTR it belongs to, or kUnfinished
  bool undo = false;
  bool present = false;
  std::string value;
  bool old_present = false;  // what the writer found before the change
  std::string old_value;
};

std::string Show(const std::optional<std::string>& value) {
  return value.has_value() ? absl::StrCat("\"", *value, "\"") : "nothing";
}
std::string Show(bool present, const std::string& value) {
  return Show(present ? std::optional<std::string>(value) : std::nullopt);
}

bool Shows(const Version& v, const std::optional<std::string>& observed) {
  return v.present == observed.has_value() && (!v.present || v.value == *observed);
}

std::string DescribeRead(const PageRead& read) {
  return absl::StrCat("the read of page ", read.page.page(), " at read point ", read.read_point,
                      " (started ", FormatTime(read.started_at), ")");
}

std::string Describe(const Truncation& t) {
  return absl::StrCat("the truncation range [", t.first, ", ", t.last, "] of epoch ", t.epoch);
}

// The history's log, with lab 3's truncations applied.
struct ParsedLog {
  std::map<Lsn, const RedoRecord*> surviving;  // by LSN
  // Records a truncation annulled, with the truncation.
  std::map<Lsn, std::pair<const RedoRecord*, const Truncation*>> annulled;
  std::map<TxnId, Lsn> commit_lsn;  // surviving COMMIT records
  std::set<TxnId> aborted;          // surviving ABORT records
  std::map<std::pair<PageId, std::string>, std::vector<Version>> versions;  // in LSN order
  // Lab 3: transactions a writer crash cut off before their COMMIT record
  // survived. Their finished MTRs stay visible until UNDO records restore
  // the old values.
  std::set<TxnId> in_doubt;
};

// The truncation range that holds `r`'s LSN, if any.
const Truncation* CoveringTruncation(const RedoRecord& r, const std::vector<Truncation>& all) {
  for (const Truncation& t : all) {
    if (t.first <= r.lsn() && r.lsn() <= t.last) return &t;
  }
  return nullptr;
}

absl::Status Parse(const DbHistory& history, ParsedLog& out) {
  std::map<Lsn, const RedoRecord*>& log = out.surviving;
  for (const RedoRecord& r : history.records) {
    auto [it, added] = log.emplace(r.lsn(), &r);
    if (!added && it->second->SerializeAsString() != r.SerializeAsString()) {
      return absl::FailedPreconditionError(
          absl::StrCat("two different records carry LSN ", r.lsn()));
    }
  }
  uint64_t newest_epoch = 0;
  for (const Truncation& t : history.truncations) {
    if (t.first > t.last || t.first == kNoLsn) {
      return absl::InvalidArgumentError(absl::StrCat(Describe(t), " is not a range of LSNs"));
    }
    newest_epoch = std::max(newest_epoch, t.epoch);
  }
  // Records of an older epoch inside a range are annulled; the range's own
  // epoch (or a newer one) allocating inside it is a bug of the new writer.
  for (auto it = log.begin(); it != log.end();) {
    const Truncation* by = CoveringTruncation(*it->second, history.truncations);
    if (by == nullptr) {
      ++it;
      continue;
    }
    if (it->second->volume_epoch() >= by->epoch) {
      return absl::FailedPreconditionError(absl::StrCat(
          "record ", it->first, " of epoch ", it->second->volume_epoch(), " lies inside ",
          Describe(*by), ": a new writer must allocate above its truncation range"));
    }
    out.annulled.emplace(it->first, std::pair{it->second, by});
    it = log.erase(it);
  }
  // MTRs: consecutive records of one epoch up to a CPL.
  std::map<TxnId, uint64_t> txn_epoch;
  std::vector<const RedoRecord*> open_mtr;
  auto close = [&](Lsn end) {
    for (const RedoRecord* r : open_mtr) {
      if (r->kind() != PUT && r->kind() != UNDO) continue;
      out.versions[{r->page(), r->change().key()}].push_back(
          {r->lsn(), r->txn(), end, r->kind() == UNDO, r->change().new_present(),
           r->change().new_value(), r->change().old_present(), r->change().old_value()});
    }
    open_mtr.clear();
  };
  for (const auto& [lsn, r] : log) {
    // An MTR the old writer never finished (its CPL was truncated or never
    // shipped) ends where the next writer's records begin.
    if (!open_mtr.empty() && open_mtr.back()->volume_epoch() != r->volume_epoch()) {
      close(kUnfinished);
    }
    if (r->kind() == COMMIT) out.commit_lsn.emplace(r->txn(), lsn);
    if (r->kind() == ABORT) out.aborted.insert(r->txn());
    if (r->kind() == PUT) txn_epoch.emplace(r->txn(), r->volume_epoch());
    open_mtr.push_back(r);
    if (r->cpl()) close(lsn);
  }
  // An unfinished MTR at the end of the log is never visible at a CPL;
  // keep its changes so a read that shows them is caught.
  close(kUnfinished);
  for (const auto& [txn, epoch] : txn_epoch) {
    if (epoch < newest_epoch && !out.commit_lsn.count(txn)) out.in_doubt.insert(txn);
  }
  return absl::OkStatus();
}

// Lab 3: every UNDO record puts back what its transaction found before its
// first change of the key, undoes a transaction that did not commit, and
// overwrites no other transaction's write.
absl::Status CheckUndoRecords(const ParsedLog& log) {
  for (const auto& [page_key, versions] : log.versions) {
    const std::string& key = page_key.second;
    for (size_t i = 0; i < versions.size(); ++i) {
      const Version& undo = versions[i];
      if (!undo.undo) continue;
      const std::string which =
          absl::StrCat("the undo of transaction ", undo.txn, " at LSN ", undo.lsn, " (", key, ")");
      if (auto c = log.commit_lsn.find(undo.txn); c != log.commit_lsn.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat(which, " undoes a transaction that committed at LSN ", c->second,
                         ": only transactions without a surviving COMMIT record are undone"));
      }
      // Walk back over the transaction's own changes to the one before them.
      const Version* first_change = nullptr;
      size_t j = i;
      while (j > 0 && versions[j - 1].txn == undo.txn) {
        --j;
        if (!versions[j].undo) first_change = &versions[j];
      }
      if (first_change == nullptr) {
        for (size_t k = 0; k + 1 < j; ++k) {
          if (versions[k].txn != undo.txn || versions[k].undo) continue;
          return absl::FailedPreconditionError(absl::StrCat(
              which, " comes after transaction ", versions[j - 1].txn, "'s write at LSN ",
              versions[j - 1].lsn, " to the same key: an undo must not overwrite a later ",
              "transaction's write (keep the key locked until it is undone)"));
        }
        // Nothing of this transaction survives on the key (its change was
        // truncated, say): the undo must leave the value as it is.
        const bool present = j > 0 && versions[j - 1].present;
        const std::string before = present ? versions[j - 1].value : "";
        if (undo.present != present || (present && undo.value != before)) {
          return absl::FailedPreconditionError(absl::StrCat(
              which, " sets ", Show(undo.present, undo.value), " where ", Show(present, before),
              " stands, but the transaction has no surviving change of this key to undo"));
        }
        continue;
      }
      if (undo.present != first_change->old_present ||
          (undo.present && undo.value != first_change->old_value)) {
        return absl::FailedPreconditionError(absl::StrCat(
            which, " sets ", Show(undo.present, undo.value), " but the transaction found ",
            Show(first_change->old_present, first_change->old_value), " before its change at LSN ",
            first_change->lsn, ": undo must restore the old value the record carries"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDurability(const DbHistory& history) {
  ParsedLog parsed;
  if (absl::Status s = Parse(history, parsed); !s.ok()) return s;
  if (absl::Status s = CheckUndoRecords(parsed); !s.ok()) return s;
  const std::map<Lsn, const RedoRecord*>& log = parsed.surviving;
  const std::map<TxnId, Lsn>& commit_lsn = parsed.commit_lsn;
  const auto& versions = parsed.versions;
  const auto& annulled = parsed.annulled;

  auto visible_at = [&](const Version& v, Lsn read_point) {
    if (v.lsn > read_point || v.mtr_end > read_point) return false;
    if (v.undo || parsed.in_doubt.count(v.txn)) return true;
    auto c = commit_lsn.find(v.txn);
    return c != commit_lsn.end() && c->second <= read_point;
  };

  for (const AckedCommit& ack : history.acked) {
    if (auto a = annulled.find(ack.commit_lsn); a != annulled.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "transaction ", ack.txn, " was acknowledged at commit LSN ", ack.commit_lsn, " but ",
          Describe(*a->second.second), " annulled it: recovery truncated an acknowledged commit"));
    }
    auto it = log.find(ack.commit_lsn);
    if (it == log.end() || it->second->kind() != COMMIT || it->second->txn() != ack.txn) {
      return absl::FailedPreconditionError(
          absl::StrCat("transaction ", ack.txn, " was acknowledged at commit LSN ", ack.commit_lsn,
                       " but the log has no COMMIT record of it there"));
    }
  }

  // Acknowledgements by time, with the highest commit LSN acknowledged up
  // to each, so each read finds what it must cover in O(log n).
  std::vector<std::pair<Time, const AckedCommit*>> acks_by_time;
  for (const AckedCommit& ack : history.acked) acks_by_time.push_back({ack.acked_at, &ack});
  std::stable_sort(acks_by_time.begin(), acks_by_time.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const AckedCommit*> highest_so_far;
  for (const auto& [time, ack] : acks_by_time) {
    const bool higher =
        highest_so_far.empty() || ack->commit_lsn > highest_so_far.back()->commit_lsn;
    highest_so_far.push_back(higher ? ack : highest_so_far.back());
  }

  for (const PageRead& read : history.reads) {
    // 1. Acknowledged commits before the read are covered by its read point:
    // the highest commit acknowledged strictly before the read started.
    auto before = std::lower_bound(
        acks_by_time.begin(), acks_by_time.end(), read.started_at,
        [](const std::pair<Time, const AckedCommit*>& a, Time t) { return a.first < t; });
    if (before != acks_by_time.begin()) {
      const AckedCommit& ack = *highest_so_far[before - acks_by_time.begin() - 1];
      if (ack.commit_lsn > read.read_point) {
        return absl::FailedPreconditionError(
            absl::StrCat(DescribeRead(read), " misses the commit of transaction ", ack.txn,
                         " at LSN ", ack.commit_lsn, ", acknowledged at ", FormatTime(ack.acked_at),
                         ": an acknowledged commit was lost"));
      }
    }
    const PageId page = read.page.page();
    // Keys the log or the page mention.
    std::set<std::string> keys;
    for (const Slot& s : read.page.slots()) keys.insert(s.key());
    for (auto it = versions.lower_bound({page, ""});
         it != versions.end() && it->first.first == page; ++it) {
      keys.insert(it->first.second);
    }
    // For each key: the observed value and the range of versions it can be.
    struct Seen {
      std::optional<std::string> value;
      const std::vector<Version>* versions = nullptr;
      Lsn lowest = kNoLsn;   // lowest matching version LSN (0: the base image)
      Lsn highest = kNoLsn;  // highest matching version LSN
      bool matches = false;
    };
    std::map<std::string, Seen> seen;
    static const std::vector<Version> kNone;
    for (const std::string& key : keys) {
      Seen s;
      s.value = FindValue(read.page, key);
      auto v = versions.find({page, key});
      s.versions = v == versions.end() ? &kNone : &v->second;
      if (!s.value.has_value()) {  // the empty base image matches "nothing"
        s.matches = true;
      }
      bool first = !s.matches;
      for (const Version& version : *s.versions) {
        if (version.lsn > read.read_point || !Shows(version, s.value)) continue;
        if (first) s.lowest = version.lsn;
        first = false;
        s.matches = true;
        s.highest = version.lsn;
      }
      if (!s.matches) {
        for (const auto& [lsn, by] : annulled) {
          const RedoRecord& r = *by.first;
          if (lsn > read.read_point || r.page() != page || r.change().key() != key ||
              (r.kind() != PUT && r.kind() != UNDO)) {
            continue;
          }
          if (r.change().new_present() == s.value.has_value() &&
              (!s.value.has_value() || r.change().new_value() == *s.value)) {
            return absl::FailedPreconditionError(absl::StrCat(
                DescribeRead(read), " shows ", key, " = ", Show(s.value), ", written at LSN ", lsn,
                " by transaction ", r.txn(), " and annulled by ", Describe(*by.second),
                ": a truncated record reappeared"));
          }
        }
        return absl::FailedPreconditionError(
            absl::StrCat(DescribeRead(read), " shows ", key, " = ", Show(s.value),
                         ", a value no record at or below the read point wrote"));
      }
      seen[key] = std::move(s);
    }
    // 2. Whole MTRs: a key showing an MTR's change (or a later one) while
    // another key of the same MTR shows an older value.
    std::map<Lsn, std::vector<std::pair<std::string, const Version*>>> mtrs;
    for (const auto& [key, s] : seen) {
      for (const Version& v : *s.versions) {
        if (v.mtr_end <= read.read_point) mtrs[v.mtr_end].push_back({key, &v});
      }
    }
    for (const auto& [end, changes] : mtrs) {
      const std::string* shown = nullptr;
      const std::string* missing = nullptr;
      for (const auto& [key, v] : changes) {
        const Seen& s = seen.at(key);
        if (s.lowest >= v->lsn) shown = &key;
        if (s.highest < v->lsn) missing = &key;
      }
      if (shown != nullptr && missing != nullptr) {
        return absl::FailedPreconditionError(
            absl::StrCat(DescribeRead(read), " shows half of the mini-transaction ending at LSN ",
                         end, ": ", *shown, " = ", Show(seen.at(*shown).value), " has its change, ",
                         *missing, " = ", Show(seen.at(*missing).value), " does not"));
      }
    }
    // 3. Exactly the committed state at the read point.
    for (const auto& [key, s] : seen) {
      const Version* expected = nullptr;
      for (const Version& v : *s.versions) {
        if (visible_at(v, read.read_point)) expected = &v;
      }
      const std::optional<std::string> want = expected == nullptr || !expected->present
                                                  ? std::nullopt
                                                  : std::optional<std::string>(expected->value);
      if (want == s.value) continue;
      // Explain: a newer, invisible version shown, or an older one.
      const Lsn expected_lsn = expected == nullptr ? kNoLsn : expected->lsn;
      if (s.highest > expected_lsn) {
        const Version* shown = nullptr;
        for (const Version& v : *s.versions) {
          if (v.lsn > expected_lsn && v.lsn <= read.read_point && Shows(v, s.value)) shown = &v;
        }
        auto c = commit_lsn.find(shown->txn);
        return absl::FailedPreconditionError(absl::StrCat(
            DescribeRead(read), " shows ", key, " = ", Show(s.value), ", written at LSN ",
            shown->lsn, " by transaction ", shown->txn, ", which ",
            shown->mtr_end > read.read_point
                ? std::string("belongs to a mini-transaction not finished at the read point")
            : c == commit_lsn.end() ? std::string("never committed")
                                    : absl::StrCat("committed only at LSN ", c->second),
            ": an uncommitted value is visible"));
      }
      if (expected->undo) {
        return absl::FailedPreconditionError(
            absl::StrCat(DescribeRead(read), " shows ", key, " = ", Show(s.value),
                         " but the undo of transaction ", expected->txn, " at LSN ", expected->lsn,
                         " restored ", Show(want), ": an undone change is still visible"));
      }
      if (parsed.in_doubt.count(expected->txn)) {
        return absl::FailedPreconditionError(absl::StrCat(
            DescribeRead(read), " shows ", key, " = ", Show(s.value), " but transaction ",
            expected->txn, " wrote ", Show(want), " at LSN ", expected->lsn,
            " and is not undone yet at the read point: a surviving change was lost"));
      }
      bool acknowledged = false;
      for (const AckedCommit& ack : history.acked) acknowledged |= ack.txn == expected->txn;
      return absl::FailedPreconditionError(absl::StrCat(
          DescribeRead(read), " shows ", key, " = ", Show(s.value), " but transaction ",
          expected->txn, " wrote ", Show(want), " at LSN ", expected->lsn, " and committed at LSN ",
          commit_lsn.count(expected->txn) ? commit_lsn.at(expected->txn) : kNoLsn,
          acknowledged ? " (acknowledged)" : "", ": a committed write was lost"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckUndoComplete(const DbHistory& history) {
  ParsedLog parsed;
  if (absl::Status s = Parse(history, parsed); !s.ok()) return s;
  for (TxnId txn : parsed.in_doubt) {
    for (const auto& [page_key, versions] : parsed.versions) {
      const Version* last = nullptr;  // the transaction's last finished change
      for (const Version& v : versions) {
        if (v.txn == txn && v.mtr_end != kUnfinished) last = &v;
      }
      if (last != nullptr && !last->undo) {
        return absl::FailedPreconditionError(absl::StrCat(
            "transaction ", txn, " never committed (no COMMIT record survived the crash) but its ",
            "change of ", page_key.second, " on page ", page_key.first, " at LSN ", last->lsn,
            " was never undone: recovery must undo it with the record's old value"));
      }
    }
    if (!parsed.aborted.count(txn)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "transaction ", txn, " never committed and has no ABORT record: recovery must mark ",
          "an undone transaction aborted, or the next recovery undoes it again"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckBankTotal(const std::vector<PageImage>& pages, int64_t expected_total) {
  int64_t total = 0;
  for (const PageImage& page : pages) {
    for (const Slot& slot : page.slots()) {
      int64_t amount = 0;
      const std::string& v = slot.value();
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), amount);
      if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
        return absl::FailedPreconditionError(absl::StrCat("page ", page.page(), ": ", slot.key(),
                                                          " holds \"", v, "\", not a balance"));
      }
      total += amount;
    }
  }
  if (total != expected_total) {
    return absl::FailedPreconditionError(absl::StrCat("the balances add up to ", total, ", not ",
                                                      expected_total,
                                                      ": the bank invariant is broken"));
  }
  return absl::OkStatus();
}

}  // namespace auroralab::aurora
