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

// One change of a key, as the log says.
struct Version {
  Lsn lsn = kNoLsn;
  TxnId txn = 0;
  Lsn mtr_end = kNoLsn;  // the CPL of the MTR it belongs to
  bool undo = false;
  bool present = false;
  std::string value;
};

std::string Show(const std::optional<std::string>& value) {
  return value.has_value() ? absl::StrCat("\"", *value, "\"") : "nothing";
}

bool Shows(const Version& v, const std::optional<std::string>& observed) {
  return v.present == observed.has_value() && (!v.present || v.value == *observed);
}

std::string DescribeRead(const PageRead& read) {
  return absl::StrCat("the read of page ", read.page.page(), " at read point ", read.read_point,
                      " (started ", FormatTime(read.started_at), ")");
}

}  // namespace

absl::Status CheckDurability(const DbHistory& history) {
  // The log, by LSN.
  std::map<Lsn, const RedoRecord*> log;
  for (const RedoRecord& r : history.records) {
    auto [it, added] = log.emplace(r.lsn(), &r);
    if (!added && it->second->SerializeAsString() != r.SerializeAsString()) {
      return absl::FailedPreconditionError(
          absl::StrCat("two different records carry LSN ", r.lsn()));
    }
  }
  // MTRs: consecutive records up to a CPL. Commit LSNs per transaction.
  std::map<TxnId, Lsn> commit_lsn;
  std::map<std::pair<PageId, std::string>, std::vector<Version>> versions;  // in LSN order
  {
    std::vector<const RedoRecord*> open_mtr;
    auto close = [&](Lsn end) {
      for (const RedoRecord* r : open_mtr) {
        if (r->kind() != PUT && r->kind() != UNDO) continue;
        versions[{r->page(), r->change().key()}].push_back(
            {r->lsn(), r->txn(), end, r->kind() == UNDO, r->change().new_present(),
             r->change().new_value()});
      }
      open_mtr.clear();
    };
    for (const auto& [lsn, r] : log) {
      if (r->kind() == COMMIT) commit_lsn.emplace(r->txn(), lsn);
      open_mtr.push_back(r);
      if (r->cpl()) close(lsn);
    }
    // An unfinished MTR at the end of the log is never visible at a CPL;
    // keep its changes so a read that shows them is caught.
    close(std::numeric_limits<Lsn>::max());
  }
  auto visible_at = [&](const Version& v, Lsn read_point) {
    if (v.lsn > read_point) return false;
    if (v.undo) return true;
    auto c = commit_lsn.find(v.txn);
    return c != commit_lsn.end() && c->second <= read_point;
  };

  for (const AckedCommit& ack : history.acked) {
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
            c == commit_lsn.end() ? std::string("never committed")
                                  : absl::StrCat("committed only at LSN ", c->second),
            ": an uncommitted value is visible"));
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
