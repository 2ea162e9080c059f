// The linearizability checker's non-template parts: the search core (which
// works on interned state ids, so it needs no templates) and the result
// messages. See linearizability.h.

#include "labs/framework/linearizability.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace auroralab {

const char* VerdictName(CheckResult::Verdict verdict) {
  switch (verdict) {
    case CheckResult::kOk:
      return "OK";
    case CheckResult::kIllegal:
      return "NOT LINEARIZABLE";
    case CheckResult::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string FormatVirtualTime(int64_t t) {
  if (t == kNeverReturned) return "never";
  return absl::StrCat(t, "us");
}

namespace linearizability_internal {
namespace {

// A fixed, well-mixing 64-bit hash (SplitMix64 finalizer). Used to give each
// operation a pseudo-random key so the hash of the linearized set can be kept
// up to date with one XOR per change (Zobrist hashing).
uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Memo cache entry: "this set of operations has been linearized, ending in
// this state". Reaching the same configuration again cannot lead anywhere new.
struct CacheKey {
  uint64_t hash = 0;
  int state = 0;
  std::vector<uint64_t> linearized;  // bitset over the partition's operations
};

struct CacheKeyHash {
  size_t operator()(const CacheKey& key) const { return static_cast<size_t>(key.hash); }
};

struct CacheKeyEq {
  bool operator()(const CacheKey& a, const CacheKey& b) const {
    return a.hash == b.hash && a.state == b.state && a.linearized == b.linearized;
  }
};

// The backtracking search for one partition.
//
// Calls and returns are kept in a doubly linked list sorted by time (calls
// before returns at equal times). Walking the list from the front, any call
// seen before the first return is a candidate to linearize next; linearizing
// it "lifts" its call and return out of the list. Reaching a return means
// the operation owning it must have been linearized already, so we backtrack:
// undo the most recent linearization and try the next candidate after it.
// Lifting and restoring are O(1) (dancing links) because they happen in
// stack order. Read-only operations get a shortcut, see Loop().
class Search {
 public:
  Search(const std::vector<SearchOp>& ops, int initial_state, StepFn step)
      : ops_(ops), n_(static_cast<int>(ops.size())), step_(step), state_(initial_state) {
    BuildList();
    op_keys_.resize(n_);
    for (int i = 0; i < n_; ++i) op_keys_[i] = Mix64(static_cast<uint64_t>(i));
    linearized_.assign((n_ + 63) / 64, 0);
    longest_len_.assign(n_, 0);
    longest_path_.assign(n_, -1);
  }

  SearchOutcome Run(int64_t max_steps, int max_linearizations) {
    SearchOutcome outcome;
    outcome.verdict = Loop(max_steps, outcome.steps);
    if (outcome.verdict == CheckResult::kOk) {
      std::vector<int> order;
      for (const Frame& frame : stack_) order.push_back(frame.op);
      outcome.linearizations.push_back(std::move(order));
      outcome.longest_for_op.assign(n_, 0);
      return outcome;
    }
    // Unwind whatever is left (budget exhausted) so every operation's
    // "longest partial linearization" record is final.
    while (!stack_.empty()) PopFrame();
    CollectPartials(max_linearizations, outcome);
    return outcome;
  }

 private:
  struct Frame {
    int op;
    int saved_state;  // state before this op was linearized
    bool cut;         // read-only and state unchanged: see Loop()
    int path;         // node in paths_ for the stack up to and including op
    // The deepest stack reached while this frame was on it, and that stack.
    // Propagated downwards when the frame is popped, so recording the longest
    // partial linearization per operation costs O(1) per step.
    int best_len;
    int best_path;
  };
  struct PathNode {
    int op;
    int parent;  // -1 at the bottom of the stack
  };

  // Nodes 1..2n hold events, node 0 is the list head; -1 terminates.
  void BuildList() {
    struct Event {
      int64_t time;
      bool is_return;
      int op;
    };
    std::vector<Event> events;
    events.reserve(2 * n_);
    for (int i = 0; i < n_; ++i) {
      events.push_back({ops_[i].call, false, i});
      events.push_back({ops_[i].ret, true, i});
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return std::tie(a.time, a.is_return, a.op) < std::tie(b.time, b.is_return, b.op);
    });
    const int nodes = 2 * n_ + 1;
    next_.assign(nodes, -1);
    prev_.assign(nodes, -1);
    node_op_.assign(nodes, -1);
    node_is_return_.assign(nodes, false);
    call_node_.assign(n_, -1);
    ret_node_.assign(n_, -1);
    for (int e = 0; e < 2 * n_; ++e) {
      const int node = e + 1;
      node_op_[node] = events[e].op;
      node_is_return_[node] = events[e].is_return;
      (events[e].is_return ? ret_node_ : call_node_)[events[e].op] = node;
      prev_[node] = node - 1;
      next_[node - 1] = node;
    }
  }

  void Unlink(int node) {
    next_[prev_[node]] = next_[node];
    if (next_[node] != -1) prev_[next_[node]] = prev_[node];
  }
  void Relink(int node) {
    next_[prev_[node]] = node;
    if (next_[node] != -1) prev_[next_[node]] = node;
  }
  void Lift(int op) {
    Unlink(call_node_[op]);
    Unlink(ret_node_[op]);
  }
  void Unlift(int op) {  // exact reverse of Lift
    Relink(ret_node_[op]);
    Relink(call_node_[op]);
  }

  void Flip(int op) {
    linearized_[op / 64] ^= uint64_t{1} << (op % 64);
    set_hash_ ^= op_keys_[op];
  }

  // Tries to linearize `op` next. On success it is on the stack and lifted.
  bool TryLinearize(int op) {
    const auto [legal, next_state] = step_(state_, op);
    if (!legal) return false;
    Flip(op);
    CacheKey key{Mix64(set_hash_ ^ Mix64(static_cast<uint64_t>(next_state))), next_state,
                 linearized_};
    if (!cache_.insert(std::move(key)).second) {
      Flip(op);  // this configuration was explored before and led nowhere
      return false;
    }
    PushFrame(op, /*cut=*/ops_[op].read_only && next_state == state_);
    state_ = next_state;
    Lift(op);
    return true;
  }

  CheckResult::Verdict Loop(int64_t max_steps, int64_t& steps) {
    bool has_read_only = false;
    for (const SearchOp& op : ops_) has_read_only = has_read_only || op.read_only;
    int entry = next_[0];
    // Set when a new configuration is reached. Then a legal read-only
    // candidate, if any, is tried first, and it is the only one tried: if the
    // rest can be linearized from here at all, it can be linearized starting
    // with that operation (it changes nothing, and as a candidate it waits for
    // nothing). So when it fails, this whole configuration fails ("cut").
    bool fresh = true;
    while (next_[0] != -1) {
      if (fresh) {
        fresh = false;
        entry = next_[0];
        for (int node = next_[0]; has_read_only && !node_is_return_[node]; node = next_[node]) {
          const int op = node_op_[node];
          if (!ops_[op].read_only) continue;
          if (steps >= max_steps) return CheckResult::kUnknown;
          ++steps;
          if (TryLinearize(op)) {
            fresh = true;
            break;
          }
        }
        continue;
      }
      if (steps >= max_steps) return CheckResult::kUnknown;
      ++steps;
      if (!node_is_return_[entry]) {
        if (TryLinearize(node_op_[entry])) {
          fresh = true;
          entry = next_[0];
        } else {
          entry = next_[entry];
        }
        continue;
      }
      // A return: its operation must already be linearized, but is not.
      if (stack_.empty()) return CheckResult::kIllegal;
      const Frame frame = PopFrame();
      state_ = frame.saved_state;
      Flip(frame.op);
      Unlift(frame.op);
      // After a cut frame fails, the configuration below it has failed too:
      // restart at the frame's own return, which backtracks once more.
      entry = frame.cut ? ret_node_[frame.op] : next_[call_node_[frame.op]];
    }
    return CheckResult::kOk;
  }

  void PushFrame(int op, bool cut) {
    const int path = static_cast<int>(paths_.size());
    paths_.push_back({op, stack_.empty() ? -1 : stack_.back().path});
    const int depth = static_cast<int>(stack_.size()) + 1;
    stack_.push_back({op, state_, cut, path, depth, path});
  }

  Frame PopFrame() {
    const Frame frame = stack_.back();
    stack_.pop_back();
    // Strict comparisons keep the first-found sequence on ties (determinism).
    if (frame.best_len > longest_len_[frame.op]) {
      longest_len_[frame.op] = frame.best_len;
      longest_path_[frame.op] = frame.best_path;
    }
    if (!stack_.empty() && frame.best_len > stack_.back().best_len) {
      stack_.back().best_len = frame.best_len;
      stack_.back().best_path = frame.best_path;
    }
    return frame;
  }

  std::vector<int> PathOps(int path) const {
    std::vector<int> ops;
    for (; path != -1; path = paths_[path].parent) ops.push_back(paths_[path].op);
    std::reverse(ops.begin(), ops.end());
    return ops;
  }

  void CollectPartials(int max_linearizations, SearchOutcome& outcome) const {
    // Distinct path nodes are distinct sequences: the memo cache never lets
    // the same (set, state) -- hence the same sequence -- be pushed twice.
    std::vector<std::pair<int, int>> candidates;  // (-length, path)
    for (int i = 0; i < n_; ++i) {
      if (longest_path_[i] != -1) candidates.push_back({-longest_len_[i], longest_path_[i]});
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    if (static_cast<int>(candidates.size()) > max_linearizations) {
      candidates.resize(std::max(0, max_linearizations));
    }
    std::map<int, int> index_of_path;
    for (const auto& [neg_len, path] : candidates) {
      index_of_path[path] = static_cast<int>(outcome.linearizations.size());
      outcome.linearizations.push_back(PathOps(path));
    }
    outcome.longest_for_op.assign(n_, -1);
    for (int i = 0; i < n_; ++i) {
      auto it = index_of_path.find(longest_path_[i]);
      if (it != index_of_path.end()) outcome.longest_for_op[i] = it->second;
    }
  }

  const std::vector<SearchOp>& ops_;
  const int n_;
  StepFn step_;

  std::vector<int> next_, prev_, node_op_, call_node_, ret_node_;
  std::vector<bool> node_is_return_;

  int state_;
  std::vector<uint64_t> linearized_;
  std::vector<uint64_t> op_keys_;
  uint64_t set_hash_ = 0;
  // Lookup only; never iterated, so its order cannot leak into results.
  absl::flat_hash_set<CacheKey, CacheKeyHash, CacheKeyEq> cache_;

  std::vector<Frame> stack_;
  std::vector<PathNode> paths_;  // append-only; persistent stacks for snapshots
  std::vector<int> longest_len_;
  std::vector<int> longest_path_;
};

}  // namespace

SearchOutcome SearchPartition(const std::vector<SearchOp>& ops, int initial_state, StepFn step,
                              int64_t max_steps, int max_linearizations) {
  Search search(ops, initial_state, step);
  return search.Run(max_steps, max_linearizations);
}

std::vector<int> NextCandidates(const std::vector<SearchOp>& ops, const std::vector<int>& prefix) {
  std::vector<bool> done(ops.size(), false);
  for (int index : prefix) done[index] = true;
  int64_t earliest_return = kNeverReturned;
  bool any_left = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (done[i]) continue;
    any_left = true;
    earliest_return = std::min(earliest_return, ops[i].ret);
  }
  std::vector<int> candidates;
  if (!any_left) return candidates;
  for (size_t i = 0; i < ops.size(); ++i) {
    // Calls sort before returns at equal times, hence <=.
    if (!done[i] && ops[i].call <= earliest_return) candidates.push_back(static_cast<int>(i));
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](int a, int b) { return ops[a].call < ops[b].call; });
  return candidates;
}

std::string ValidateIntervals(const std::vector<SearchOp>& ops) {
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].ret < ops[i].call) {
      return absl::StrCat("operation ", i, " returns at ", FormatVirtualTime(ops[i].ret),
                          " before its call at ", FormatVirtualTime(ops[i].call));
    }
  }
  return "";
}

namespace {

constexpr int kMaxNamesInMessage = 10;
constexpr size_t kMaxStepsInMessage = 12;

std::string JoinNames(const std::vector<std::string>& names) {
  std::vector<std::string> shown(
      names.begin(), names.begin() + std::min<size_t>(names.size(), kMaxNamesInMessage));
  std::string out = absl::StrJoin(shown, ", ");
  if (names.size() > shown.size()) absl::StrAppend(&out, ", ...");
  return out;
}

}  // namespace

void Summarize(const CheckOptions& options, const std::vector<FailureText>& failures,
               const std::string& invalid, CheckResult& result) {
  int64_t total_ops = 0;
  std::vector<std::string> illegal, unknown;
  int finished = 0;
  for (const CheckResult::Partition& p : result.partitions) {
    total_ops += p.num_operations;
    if (p.verdict == CheckResult::kIllegal) illegal.push_back(p.name);
    if (p.verdict == CheckResult::kUnknown) unknown.push_back(p.name);
    if (p.verdict != CheckResult::kUnknown) ++finished;
  }
  const std::string budget_text =
      absl::StrCat("linearizability check did not finish within ", options.max_steps,
                   " steps; make the history smaller");
  if (!invalid.empty()) {
    // The recorder is broken; no verdict about the system would be meaningful.
    result.verdict = CheckResult::kUnknown;
    result.message = absl::StrCat("invalid history: ", invalid);
    return;
  }
  if (illegal.empty() && unknown.empty()) {
    result.verdict = CheckResult::kOk;
    result.message =
        absl::StrCat("history is linearizable (", total_ops, " operations in ",
                     result.partitions.size(), " partitions, ", result.steps, " search steps)");
    return;
  }
  if (illegal.empty()) {
    result.verdict = CheckResult::kUnknown;
    result.message = absl::StrCat(budget_text, " (ran out in ", unknown.front(), "; ", finished,
                                  " of ", result.partitions.size(), " partitions verified)");
    return;
  }
  result.verdict = CheckResult::kIllegal;
  std::string& m = result.message;
  m = absl::StrCat("history is not linearizable: ", illegal.size(), " of ",
                   result.partitions.size(), " partitions failed: ", JoinNames(illegal));
  const FailureText& f = failures.front();
  if (f.steps.empty()) {
    absl::StrAppend(&m, "\n", f.name, " (", f.num_operations,
                    " operations): no operation can be linearized first; from the initial "
                    "state ",
                    f.state_after, " none of these could go first:");
  } else {
    absl::StrAppend(&m, "\n", f.name, " (", f.num_operations,
                    " operations): the longest partial linearization found has ", f.steps.size(),
                    " of them:");
    size_t first = 0;
    if (f.steps.size() > kMaxStepsInMessage) {
      first = f.steps.size() - (kMaxStepsInMessage - 2);
      absl::StrAppend(&m, "\n  ... (", first, " earlier steps omitted)");
    }
    for (size_t i = first; i < f.steps.size(); ++i) {
      absl::StrAppend(&m, "\n  ", i + 1, ". ", f.steps[i]);
    }
    absl::StrAppend(&m, "\nthen, in state ", f.state_after,
                    ", none of these could be linearized next:");
  }
  for (const std::string& line : f.stuck) absl::StrAppend(&m, "\n  ", line);
  if (!unknown.empty()) {
    absl::StrAppend(&m, "\n(also not verified: ", JoinNames(unknown), ": ", budget_text, ")");
  }
}

}  // namespace linearizability_internal

}  // namespace auroralab
