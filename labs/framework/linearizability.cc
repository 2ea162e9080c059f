// Non-template parts of the linearizability checker: the search core (which
// works on interned state ids, so it needs no templates), result messages,
// the KV model and recorder, and the HTML writer. See linearizability.h.

#include "labs/framework/linearizability.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
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

// ---------------------------------------------------------------------------
// KV model.

namespace {

// Quotes and C-escapes a value; long values are shortened so boxes and
// messages stay readable.
std::string Quote(const std::string& s) {
  constexpr size_t kMaxShown = 40;
  if (s.size() <= kMaxShown) return absl::StrCat("\"", absl::CHexEscape(s), "\"");
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMaxShown)), "\"...(", s.size(),
                      " bytes)");
}

std::string DescribeKvOperation(const KvInput& input, const KvOutput& output) {
  if (input.kind == KvInput::kPut) {
    std::string text = absl::StrCat("Put(", Quote(input.key), ", ", Quote(input.value), ")");
    if (output.unknown) absl::StrAppend(&text, " -> ? (outcome unknown)");
    return text;
  }
  std::string text = absl::StrCat("Get(", Quote(input.key), ") -> ");
  if (output.unknown) return text + "? (outcome unknown)";
  return text + (output.found ? Quote(output.value) : std::string("<not found>"));
}

std::string DescribeKvState(const KvState& state) {
  return state.found ? Quote(state.value) : std::string("<not found>");
}

}  // namespace

KvModelType KvModel() {
  KvModelType model;
  model.init = [] { return KvState(); };
  model.step = [](const KvState& state, const KvInput& input,
                  const KvOutput& output) -> std::pair<bool, KvState> {
    if (input.kind == KvInput::kPut) return {true, KvState{true, input.value}};
    if (output.unknown) return {true, state};  // an unobserved read constrains nothing
    const bool legal =
        output.found == state.found && (!output.found || output.value == state.value);
    return {legal, state};
  };
  model.partition = [](const std::vector<KvOperation>& history) {
    // Values some completed Get actually returned, per key.
    std::set<std::pair<std::string, std::string>> read;
    for (const KvOperation& op : history) {
      if (op.input.kind == KvInput::kGet && !op.output.unknown && op.output.found) {
        read.insert({op.input.key, op.output.value});
      }
    }
    // std::map: partitions come out sorted by key, independent of hashing.
    std::map<std::string, std::vector<KvOperation>> by_key;
    for (const KvOperation& op : history) {
      // Unknown-outcome operations nobody observed cannot change the verdict
      // (see KvModel() in the header); leaving them out keeps the search from
      // trying them at every point in time, which is exponential.
      if (op.output.unknown &&
          (op.input.kind == KvInput::kGet || !read.contains({op.input.key, op.input.value}))) {
        continue;
      }
      by_key[op.input.key].push_back(op);
    }
    std::vector<std::vector<KvOperation>> partitions;
    partitions.reserve(by_key.size());
    for (auto& [key, ops] : by_key) partitions.push_back(std::move(ops));
    return partitions;
  };
  model.describe_partition = [](const std::vector<KvOperation>& ops) {
    return ops.empty() ? std::string("(empty)") : absl::StrCat("key ", Quote(ops[0].input.key));
  };
  // Gets never change the state (unknown-outcome ones included).
  model.read_only = [](const KvInput& input, const KvOutput&) {
    return input.kind == KvInput::kGet;
  };
  model.describe_operation = DescribeKvOperation;
  model.describe_state = DescribeKvState;
  return model;
}

CheckResult CheckKvOperations(const std::vector<KvOperation>& history,
                              const CheckOptions& options) {
  return CheckOperations(KvModel(), history, options);
}

absl::Status WriteKvLinearizabilityHtml(const std::string& path,
                                        const std::vector<KvOperation>& history,
                                        const CheckResult& result) {
  return WriteLinearizabilityHtml(path, KvModel(), history, result);
}

// ---------------------------------------------------------------------------
// KvHistory.

int64_t KvHistory::BeginGet(int client_id, std::string key, int64_t now) {
  Record& r = records_.emplace_back();
  r.op.client_id = client_id;
  r.op.input.kind = KvInput::kGet;
  r.op.input.key = std::move(key);
  r.op.call = now;
  return static_cast<int64_t>(records_.size()) - 1;
}

int64_t KvHistory::BeginPut(int client_id, std::string key, std::string value, int64_t now) {
  Record& r = records_.emplace_back();
  r.op.client_id = client_id;
  r.op.input.kind = KvInput::kPut;
  r.op.input.key = std::move(key);
  r.op.input.value = std::move(value);
  r.op.call = now;
  return static_cast<int64_t>(records_.size()) - 1;
}

KvHistory::Record& KvHistory::Pending(int64_t index, const char* caller) {
  // Misuse is a bug in the test itself; fail loudly rather than record a
  // history that silently checks something else.
  if (index < 0 || index >= size() || records_[index].status != Status::kPending) {
    std::fprintf(stderr, "KvHistory::%s: operation %lld does not exist or already ended\n", caller,
                 static_cast<long long>(index));
    std::abort();
  }
  return records_[index];
}

void KvHistory::EndGet(int64_t index, bool found, std::string value, int64_t now) {
  Record& r = Pending(index, "EndGet");
  if (r.op.input.kind != KvInput::kGet) {
    std::fprintf(stderr, "KvHistory::EndGet: operation %lld is a Put\n",
                 static_cast<long long>(index));
    std::abort();
  }
  r.op.output.found = found;
  r.op.output.value = found ? std::move(value) : std::string();
  r.op.ret = now;
  r.status = Status::kDone;
}

void KvHistory::EndPut(int64_t index, int64_t now) {
  Record& r = Pending(index, "EndPut");
  if (r.op.input.kind != KvInput::kPut) {
    std::fprintf(stderr, "KvHistory::EndPut: operation %lld is a Get\n",
                 static_cast<long long>(index));
    std::abort();
  }
  r.op.ret = now;
  r.status = Status::kDone;
}

void KvHistory::EndUnknown(int64_t index) {
  Pending(index, "EndUnknown").status = Status::kUnknown;
}

void KvHistory::Discard(int64_t index) { Pending(index, "Discard").status = Status::kDiscarded; }

std::vector<KvOperation> KvHistory::ops() const {
  std::vector<KvOperation> out;
  out.reserve(records_.size());
  for (const Record& r : records_) {
    if (r.status == Status::kDiscarded) continue;
    KvOperation op = r.op;
    if (r.status != Status::kDone) {
      op.output = KvOutput();
      op.output.unknown = true;
      op.ret = kNeverReturned;
    }
    out.push_back(std::move(op));
  }
  return out;
}

// ---------------------------------------------------------------------------
// HTML writer.

namespace linearizability_internal {
namespace {

std::string Esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlTime(int64_t t) {
  return t == kNeverReturned ? std::string("never") : absl::StrCat(t, "&nbsp;&micro;s");
}

const char* VerdictClass(CheckResult::Verdict v) {
  switch (v) {
    case CheckResult::kOk:
      return "ok";
    case CheckResult::kIllegal:
      return "bad";
    case CheckResult::kUnknown:
      return "unk";
  }
  return "unk";
}

constexpr char kStyle[] = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:20px;color:#222;
  background:#fafafa}
h1{font-size:22px}h2{font-size:18px;margin:4px 0 8px}
.badge{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff;font-weight:600}
.badge.ok{background:#2e7d32}.badge.bad{background:#c62828}.badge.unk{background:#ef6c00}
pre.msg{background:#fff;border:1px solid #ddd;padding:10px;white-space:pre-wrap;font-size:12px}
.help{max-width:70em;font-size:14px;line-height:1.4}
table.index,table.steps{border-collapse:collapse;font-size:13px;margin:6px 0}
table.index td,table.index th,table.steps td,table.steps th{border:1px solid #ddd;
  padding:2px 8px;text-align:left;vertical-align:top}
table.steps{font-family:monospace;font-size:12px}
table.steps tr:hover td{background:#e3f2fd}
tr.stuck td{background:#ffebee}
section.part{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;
  margin:16px 0}
section.part>details>summary{cursor:pointer;font-size:16px;font-weight:600}
.tl{display:flex;border:1px solid #ccc;margin:8px 0}
.labels{flex:none;width:100px;border-right:1px solid #ccc;background:#f3f3f3}
.labels div{box-sizing:border-box;padding:6px;font-size:12px;border-bottom:1px solid #ddd}
.scroll{overflow-x:auto;flex:auto}
.canvas{position:relative}
.lane{position:absolute;left:0;right:0;border-bottom:1px solid #ddd}
.tick{position:absolute;top:0;bottom:0;border-left:1px dotted #e0e0e0}
.tlabel{position:absolute;top:2px;font-size:10px;color:#777;white-space:nowrap}
.op{position:absolute;box-sizing:border-box;height:24px;border:1px solid #78909c;
  border-radius:3px;background:#eceff1;font:12px monospace;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis;padding:4px 4px;cursor:pointer}
.op.lin{background:#c8e6c9;border-color:#2e7d32}
.op.blocked{background:#ffcdd2;border:2px solid #c62828;font-weight:bold}
.op.rest{background:#f5f5f5;color:#888;border-style:dotted}
.op.open{border-right:3px dashed #546e7a;
  background-image:linear-gradient(to right,rgba(255,255,255,0) 60%,rgba(255,255,255,.95))}
.op .n{display:inline-block;min-width:14px;padding:0 3px;margin-right:4px;border-radius:7px;
  background:#2e7d32;color:#fff;font-size:10px;text-align:center}
.op .x{color:#c62828;margin-right:3px}
.op.hl{outline:3px solid #1565c0;z-index:2}
.linbtn{margin:2px;font-size:12px}.linbtn.cur{font-weight:bold;background:#bbdefb}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend i{display:inline-block;width:22px;height:12px;margin-right:4px;vertical-align:middle;
  border:1px solid #78909c}
)css";

// Click an operation to show the longest partial linearization containing it;
// hover a table row to highlight its operation. Without JS the page still
// shows the longest partial linearization.
constexpr char kScript[] = R"js(
var D = {};
function sel(p, k) {
  var d = D[p]; if (!d) return;
  var pos = {}, blk = {};
  (d.l[k] || []).forEach(function (o, i) { pos[o] = i + 1; });
  (d.b[k] || []).forEach(function (o) { blk[o] = 1; });
  var s = document.getElementById('p' + p);
  s.querySelectorAll('.op').forEach(function (e) {
    var o = +e.dataset.op, n = e.querySelector('.n'), x = e.querySelector('.x');
    e.classList.remove('lin', 'blocked', 'rest');
    if (pos[o]) { e.classList.add('lin'); n.textContent = pos[o]; n.style.display = ''; }
    else { e.classList.add(blk[o] ? 'blocked' : 'rest'); n.style.display = 'none'; }
    x.style.display = blk[o] ? '' : 'none';
  });
  s.querySelectorAll('.linview').forEach(function (e) { e.hidden = +e.dataset.k !== k; });
  s.querySelectorAll('.linbtn').forEach(function (e) {
    e.classList.toggle('cur', +e.dataset.k === k);
  });
}
document.addEventListener('click', function (ev) {
  var b = ev.target.closest('.op'); if (!b) return;
  var s = b.closest('section'), d = D[+s.dataset.p]; if (!d) return;
  var k = d.f[+b.dataset.op]; if (k >= 0) sel(+s.dataset.p, k);
});
function hl(ev, on) {
  var r = ev.target.closest('tr[data-op]'); if (!r) return;
  var b = r.closest('section').querySelector('.op[data-op="' + r.dataset.op + '"]');
  if (b) b.classList.toggle('hl', on);
}
document.addEventListener('mouseover', function (ev) { hl(ev, true); });
document.addEventListener('mouseout', function (ev) { hl(ev, false); });
)js";

constexpr int kAxisHeight = 18;
constexpr int kLaneHeight = 30;
constexpr int kPad = 8;

// Geometry of one partition's timeline. Time is compressed: every call and
// return gets its own slot in the order the checker sorts them, so the
// concurrency the checker sees is exactly what is drawn.
struct Layout {
  int slot = 0;
  int width = 0;
  std::vector<int> call_x, ret_x;  // ret_x = -1 for unknown outcomes
  std::vector<int64_t> slot_time;  // time of each slot
  std::vector<int> clients;        // sorted client ids
  std::map<int, int> client_lanes;
  std::vector<int> lane_of_op;  // global lane index
  int lanes = 0;
};

Layout ComputeLayout(const RenderPartition& part) {
  Layout layout;
  const int n = static_cast<int>(part.ops.size());
  struct Event {
    int64_t time;
    bool is_return;
    int op;
  };
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    events.push_back({part.ops[i].call, false, i});
    // Unknown outcomes get no slot: they are drawn open-ended instead.
    if (part.ops[i].ret != kNeverReturned) events.push_back({part.ops[i].ret, true, i});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.time, a.is_return, a.op) < std::tie(b.time, b.is_return, b.op);
  });
  const int slots = static_cast<int>(events.size());
  layout.slot = std::clamp(1400 / std::max(1, slots), 12, 90);
  layout.width = 2 * kPad + std::max(1, slots) * layout.slot + 60;
  layout.call_x.assign(n, 0);
  layout.ret_x.assign(n, -1);
  std::vector<int> call_slot(n, 0), ret_slot(n, slots + 1);
  for (int e = 0; e < slots; ++e) {
    const int x = kPad + e * layout.slot;
    layout.slot_time.push_back(events[e].time);
    if (events[e].is_return) {
      layout.ret_x[events[e].op] = x;
      ret_slot[events[e].op] = e;
    } else {
      layout.call_x[events[e].op] = x;
      call_slot[events[e].op] = e;
    }
  }
  // Lanes: a client normally has one operation at a time, but unknown-outcome
  // operations stay open forever, so give overlapping ones extra lanes.
  std::map<int, std::vector<int>> ops_of_client;  // ordered: deterministic rows
  for (int i = 0; i < n; ++i) ops_of_client[part.ops[i].client_id].push_back(i);
  layout.lane_of_op.assign(n, 0);
  for (auto& [client, ops] : ops_of_client) {
    std::sort(ops.begin(), ops.end(), [&](int a, int b) { return call_slot[a] < call_slot[b]; });
    std::vector<int> lane_end;  // last occupied slot per lane
    for (int op : ops) {
      size_t lane = 0;
      while (lane < lane_end.size() && lane_end[lane] >= call_slot[op]) ++lane;
      if (lane == lane_end.size()) lane_end.push_back(0);
      lane_end[lane] = ret_slot[op];
      layout.lane_of_op[op] = layout.lanes + static_cast<int>(lane);
    }
    layout.clients.push_back(client);
    layout.client_lanes[client] = static_cast<int>(lane_end.size());
    layout.lanes += static_cast<int>(lane_end.size());
  }
  return layout;
}

std::string IntList(const std::vector<int>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

void AppendTimeline(const RenderPartition& part, const Layout& layout, std::string& html) {
  const bool failing = part.verdict != CheckResult::kOk;
  const RenderLinearization* shown =
      part.linearizations.empty() ? nullptr : &part.linearizations[0];
  std::vector<int> position(part.ops.size(), 0);
  std::vector<bool> stuck(part.ops.size(), false);
  if (shown != nullptr) {
    for (size_t i = 0; i < shown->ops.size(); ++i) position[shown->ops[i]] = i + 1;
    for (const RenderStuck& s : shown->stuck) stuck[s.op] = true;
  }
  const int height = kAxisHeight + std::max(1, layout.lanes) * kLaneHeight;

  html += "<div class=\"tl\"><div class=\"labels\">";
  absl::StrAppend(&html, "<div style=\"height:", kAxisHeight, "px;padding:0\"></div>");
  for (int client : layout.clients) {
    absl::StrAppend(&html, "<div style=\"height:", layout.client_lanes.at(client) * kLaneHeight,
                    "px\">client ", client, "</div>");
  }
  absl::StrAppend(&html,
                  "</div><div class=\"scroll\"><div class=\"canvas\" style=\"width:", layout.width,
                  "px;height:", height, "px\">");
  // Row backgrounds, one per client.
  int first_lane = 0;
  for (int client : layout.clients) {
    const int lanes = layout.client_lanes.at(client);
    absl::StrAppend(&html,
                    "<div class=\"lane\" style=\"top:", kAxisHeight + first_lane * kLaneHeight,
                    "px;height:", lanes * kLaneHeight - 1, "px\"></div>");
    first_lane += lanes;
  }
  // Time axis: a tick per slot, a label where there is room.
  int last_label_x = -1000;
  for (size_t s = 0; s < layout.slot_time.size(); ++s) {
    const int x = kPad + static_cast<int>(s) * layout.slot;
    absl::StrAppend(&html, "<div class=\"tick\" style=\"left:", x, "px\"></div>");
    if (x - last_label_x >= 70) {
      absl::StrAppend(&html, "<div class=\"tlabel\" style=\"left:", x + 2, "px\">",
                      HtmlTime(layout.slot_time[s]), "</div>");
      last_label_x = x;
    }
  }
  for (size_t i = 0; i < part.ops.size(); ++i) {
    const RenderOp& op = part.ops[i];
    const bool open = op.ret == kNeverReturned;
    const int left = layout.call_x[i];
    const int right = open ? layout.width - 4 : layout.ret_x[i];
    std::string cls = "op";
    if (open) cls += " open";
    if (!failing || position[i] > 0) {
      cls += " lin";
    } else {
      cls += stuck[i] ? " blocked" : " rest";
    }
    const std::string title = absl::StrCat(
        "client ", op.client_id, " | ", op.text, " | call ", FormatVirtualTime(op.call),
        " | return ", open ? "never (outcome unknown)" : FormatVirtualTime(op.ret));
    absl::StrAppend(&html, "<div class=\"", cls, "\" data-op=\"", i, "\" style=\"left:", left,
                    "px;width:", std::max(8, right - left),
                    "px;top:", kAxisHeight + layout.lane_of_op[i] * kLaneHeight + 3,
                    "px\" title=\"", Esc(title), "\">");
    absl::StrAppend(&html, "<span class=\"n\"", position[i] > 0 ? "" : " style=\"display:none\"",
                    ">", position[i], "</span>");
    absl::StrAppend(&html, "<span class=\"x\"", stuck[i] ? "" : " style=\"display:none\"",
                    ">&#10007;</span>", Esc(op.text), open ? " &hellip;" : "", "</div>");
  }
  html += "</div></div></div>\n";
}

void AppendOpCells(const RenderOp& op, std::string& html) {
  absl::StrAppend(&html, "<td>client ", op.client_id, "</td><td>", Esc(op.text), "</td><td>",
                  HtmlTime(op.call), "</td><td>", HtmlTime(op.ret), "</td>");
}

void AppendLinearizationTable(const RenderPartition& part, size_t k, std::string& html) {
  const RenderLinearization& lin = part.linearizations[k];
  html +=
      "<table class=\"steps\"><tr><th>step</th><th>client</th><th>operation</th>"
      "<th>call</th><th>return</th><th>state after</th></tr>";
  absl::StrAppend(&html, "<tr><td>0</td><td colspan=\"4\">(initial state)</td><td>",
                  Esc(part.initial_state), "</td></tr>");
  for (size_t i = 0; i < lin.ops.size(); ++i) {
    absl::StrAppend(&html, "<tr data-op=\"", lin.ops[i], "\"><td>", i + 1, "</td>");
    AppendOpCells(part.ops[lin.ops[i]], html);
    absl::StrAppend(&html, "<td>", Esc(lin.states_after[i]), "</td></tr>");
  }
  html += "</table>\n";
}

void AppendFailureViews(const RenderPartition& part, int p, std::string& html) {
  const size_t count = part.linearizations.size();
  const bool illegal = part.verdict == CheckResult::kIllegal;
  if (count > 1) {
    html += "<div>Partial linearizations (longest first): ";
    for (size_t k = 0; k < count; ++k) {
      absl::StrAppend(&html, "<button class=\"linbtn", k == 0 ? " cur" : "", "\" data-k=\"", k,
                      "\" onclick=\"sel(", p, ",", k, ")\">#", k + 1, " (",
                      part.linearizations[k].ops.size(), " ops)</button>");
    }
    html += "</div>\n";
  }
  if (count == 0) {
    html +=
        "<p>The search stopped (out of steps, or an invalid history) before it linearized any "
        "operation of this partition.</p>";
  }
  for (size_t k = 0; k < count; ++k) {
    const RenderLinearization& lin = part.linearizations[k];
    absl::StrAppend(&html, "<div class=\"linview\" data-k=\"", k, "\"", k == 0 ? "" : " hidden",
                    "><p>Partial linearization #", k + 1, ": ", lin.ops.size(), " of ",
                    part.ops.size(), " operations.</p>");
    AppendLinearizationTable(part, k, html);
    if (illegal) {
      const std::string state =
          lin.states_after.empty() ? part.initial_state : lin.states_after.back();
      absl::StrAppend(&html, "<p><b>Then stuck:</b> in state <code>", Esc(state),
                      "</code> none of these operations could be linearized next. (The next "
                      "operation has to be one of them: every other remaining operation was "
                      "called after one of these had already returned.)</p>");
      html +=
          "<table class=\"steps\"><tr><th>client</th><th>operation</th><th>call</th>"
          "<th>return</th><th>why</th></tr>";
      for (const RenderStuck& s : lin.stuck) {
        absl::StrAppend(&html, "<tr class=\"stuck\" data-op=\"", s.op, "\">");
        AppendOpCells(part.ops[s.op], html);
        absl::StrAppend(&html, "<td>",
                        s.legal_step ? "legal here, but every order of the remaining "
                                       "operations gets stuck after it"
                                     : "illegal in this state",
                        "</td></tr>");
      }
      html += "</table>";
    } else {
      html +=
          "<p>The search ran out of steps before finishing this partition; the operations "
          "not shown above were simply not reached.</p>";
    }
    html += "</div>\n";
  }
}

void AppendPartition(const RenderPartition& part, int p, std::string& html) {
  const bool ok = part.verdict == CheckResult::kOk;
  absl::StrAppend(&html, "<section class=\"part\" id=\"p", p, "\" data-p=\"", p, "\">");
  const std::string heading =
      absl::StrCat(Esc(part.name), " <span class=\"badge ", VerdictClass(part.verdict), "\">",
                   VerdictName(part.verdict), "</span> <small>", part.ops.size(), " operations, ",
                   part.steps, " search steps</small>");
  if (ok) {
    absl::StrAppend(&html, "<details><summary>", heading, "</summary>");
  } else {
    absl::StrAppend(&html, "<h2>", heading, "</h2>");
    html +=
        "<div class=\"legend\"><span><i style=\"background:#c8e6c9\"></i>linearized "
        "(numbered in order)</span><span><i style=\"background:#ffcdd2;border:2px solid "
        "#c62828\"></i>could not be linearized next</span><span><i style=\"background:"
        "#f5f5f5;border-style:dotted\"></i>not reached</span><span><i style=\"border-right:"
        "3px dashed #546e7a\"></i>outcome unknown (open-ended)</span></div>";
  }
  const Layout layout = ComputeLayout(part);
  AppendTimeline(part, layout, html);
  if (ok) {
    if (!part.linearizations.empty()) {
      html += "<p>A valid linearization (numbered on the boxes):</p>";
      AppendLinearizationTable(part, 0, html);
    }
    html += "</details>";
  } else {
    AppendFailureViews(part, p, html);
    // Data for the click handler: linearizations, stuck ops, longest per op.
    std::vector<std::string> lins, stuck;
    for (const RenderLinearization& lin : part.linearizations) {
      lins.push_back(IntList(lin.ops));
      std::vector<int> ops;
      for (const RenderStuck& s : lin.stuck) ops.push_back(s.op);
      stuck.push_back(IntList(ops));
    }
    absl::StrAppend(&html, "<script>D[", p, "]={l:[", absl::StrJoin(lins, ","), "],b:[",
                    absl::StrJoin(stuck, ","), "],f:", IntList(part.longest_for_op), "};</script>");
  }
  html += "</section>\n";
}

}  // namespace

absl::Status WriteHtmlFile(const std::string& path, const CheckResult& result,
                           const std::vector<RenderPartition>& partitions) {
  std::string html;
  absl::StrAppend(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>",
                  "Linearizability: ", VerdictName(result.verdict), "</title><style>", kStyle,
                  "</style><script>", kScript, "</script></head><body>\n");
  absl::StrAppend(&html, "<h1>Linearizability check <span class=\"badge ",
                  VerdictClass(result.verdict), "\">", VerdictName(result.verdict),
                  "</span></h1>\n<pre class=\"msg\">", Esc(result.message), "</pre>\n");
  html +=
      "<p class=\"help\">Each partition (key) is checked on its own. In the timelines every "
      "row is one client and every box one operation, stretching from its call to its "
      "return; time is compressed (each call or return gets one slot, in order, so boxes "
      "overlap exactly when the operations were concurrent). A linearization must place "
      "each operation at one instant inside its box. For a failing partition the green, "
      "numbered boxes are the longest prefix the checker could order legally, and the red "
      "boxes (&#10007;) are the operations that could not come next; the tables below show "
      "the model state after each step. Click a box to see the longest partial "
      "linearization that contains that operation.</p>\n";
  // Index: failing partitions first, then unknown, then OK, each in partition order.
  std::vector<int> order;
  for (CheckResult::Verdict v : {CheckResult::kIllegal, CheckResult::kUnknown, CheckResult::kOk}) {
    for (size_t p = 0; p < partitions.size(); ++p) {
      if (partitions[p].verdict == v) order.push_back(static_cast<int>(p));
    }
  }
  html +=
      "<table class=\"index\"><tr><th>partition</th><th>verdict</th><th>operations</th>"
      "<th>search steps</th></tr>";
  for (int p : order) {
    const RenderPartition& part = partitions[p];
    absl::StrAppend(&html, "<tr><td><a href=\"#p", p, "\">", Esc(part.name),
                    "</a></td><td><span class=\"badge ", VerdictClass(part.verdict), "\">",
                    VerdictName(part.verdict), "</span></td><td>", part.ops.size(), "</td><td>",
                    part.steps, "</td></tr>");
  }
  html += "</table>\n";
  for (int p : order) AppendPartition(partitions[p], p, html);
  html += "</body></html>\n";

  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  const size_t written = std::fwrite(html.data(), 1, html.size(), file);
  const bool closed = std::fclose(file) == 0;
  if (written != html.size() || !closed) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace linearizability_internal
}  // namespace auroralab
