// Linearizability checker for recorded client histories, in the style of
// Porcupine (https://github.com/anishathalye/porcupine).
//
// What it does
// ------------
// Given a sequential specification (a Model) and a history of operations that
// clients issued concurrently against a system under test, CheckOperations
// decides whether the history is linearizable: whether there is one total
// order of all operations that
//   (a) respects real time: if a.ret < b.call then a comes before b, and
//   (b) is legal for the model when the operations are applied one by one
//       in that order, starting from model.init().
//
// The search is the Wing & Gong / Lowe "just-in-time linearization" algorithm
// with memoization of (set of linearized operations, model state), as in
// Porcupine, and P-compositionality: if the model provides `partition`, each
// sub-history (e.g. each key of a key-value store) is checked independently.
//
// This header is the checker alone. Its companions, one concern each:
//   linearizability_html.h  the HTML page that draws a history and a result;
//   linearizability_kv.h    a ready-made key-value model and history recorder
//                           (what lab tests use).
//
// Contract
// --------
// * Time. `call` and `ret` are virtual-time microseconds. Operations whose
//   intervals merely touch (a.ret == b.call) are treated as concurrent, like
//   Porcupine does. That can only make the check more permissive, never report
//   a false violation; issue the next call at least 1 us later if the order
//   matters for a test.
// * Unknown outcomes. An operation whose result the client never learned
//   (e.g. a Put that timed out, or one still in flight when the test ended)
//   must be recorded with ret = kNeverReturned. It is then concurrent with
//   everything that started after its call, so it may linearize anywhere
//   after its call -- including after every other operation, which is
//   indistinguishable from "it never took effect". The model's step function
//   must accept any output for such an operation (KvOutput::unknown does this
//   for the KV model).
// * Models. State must be copyable, comparable with ==, and hashable with
//   absl::Hash (give your own types an AbslHashValue friend; integers,
//   strings, pairs, tuples, vectors and std::map work out of the box). States
//   `step` must be a pure function. `partition` must be deterministic: the
//   HTML writer calls it again and relies on getting the same sub-histories
//   in the same order.
// * Budget. CheckOptions::max_steps bounds the total number of search steps
//   over all partitions (no wall clock: results are reproducible). If it runs
//   out, the verdict is kUnknown. Callers must treat kUnknown as a failure --
//   it means "not proven linearizable", never "pass".
// * Determinism. The same model, history and options always produce the same
//   CheckResult (including the message) and the same HTML page.
// * Cost. The search is exponential in the number of operations outstanding
//   at the same time within one partition (unknown-outcome operations stay
//   outstanding forever). A few thousand operations per partition with up to
//   ~10 concurrent clients typically take milliseconds; proving a long
//   history illegal takes more, since every alternative before the violation
//   must be ruled out. Memory is about one bitset (operations / 8 bytes) per
//   search step.
//
// Example: a register of ints, where Write(v) sets it and Read returns it.
//
//   struct RegisterInput {
//     bool write = false;
//     int value = 0;  // Write only
//   };
//   Model<int, RegisterInput, int> model;
//   model.init = [] { return 0; };
//   model.step = [](const int& state, const RegisterInput& in, const int& read) {
//     return in.write ? std::make_pair(true, in.value) : std::make_pair(read == state, state);
//   };
//   std::vector<Operation<RegisterInput, int>> history = {
//       {.client_id = 1, .input = {.write = true, .value = 5}, .call = 0, .output = 0, .ret = 10},
//       {.client_id = 2, .input = {.write = false}, .call = 5, .output = 5, .ret = 20},
//   };
//   CheckResult result = CheckOperations(model, history);
//   // result.ok(): the read overlaps the write, so it may come after it.

#ifndef AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_H_
#define AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace auroralab {

// `ret` of an operation whose outcome is unknown (see the file comment).
inline constexpr int64_t kNeverReturned = std::numeric_limits<int64_t>::max();

// One operation of a history: issued by `client_id` at virtual time `call`,
// observed `output` at virtual time `ret` (or ret == kNeverReturned).
template <typename Input, typename Output>
struct Operation {
  int client_id = 0;
  Input input;
  int64_t call = 0;
  Output output;
  int64_t ret = 0;
};

// Sequential specification of the object under test. `init` and `step` are
// required; everything else is optional.
template <typename State, typename Input, typename Output>
struct Model {
  using Op = Operation<Input, Output>;

  // The initial state.
  std::function<State()> init;
  // Applies one operation: returns {is the output legal in this state, next state}.
  std::function<std::pair<bool, State>(const State&, const Input&, const Output&)> step;
  // Splits a history into independent sub-histories (e.g. by key). Empty means
  // "check the whole history at once".
  std::function<std::vector<std::vector<Op>>(const std::vector<Op>&)> partition;
  // Human-readable name of one sub-history, e.g. `key "x"`; used in messages
  // and the HTML page. Empty => "partition <i>".
  std::function<std::string(const std::vector<Op>&)> describe_partition;
  // Human-readable text for one operation and for a state.
  std::function<std::string(const Input&, const Output&)> describe_operation;
  std::function<std::string(const State&)> describe_state;
  // Optional performance hint: true if this operation never changes the state,
  // in any state where it is legal (e.g. a read). The search then linearizes
  // such operations as soon as they are legal and never tries them anywhere
  // else, which removes most backtracking on read-heavy histories. Getting it
  // wrong (returning true for an operation that can change the state) makes
  // the checker unsound, so leave it empty when in doubt.
  std::function<bool(const Input&, const Output&)> read_only;
};

struct CheckOptions {
  // Total search steps over all partitions. One step is one attempt to
  // linearize or un-linearize an operation. The memo cache holds roughly one
  // bitset of (operations / 8) bytes per successful step, so this also bounds
  // memory use.
  int64_t max_steps = 2'000'000;
  // At most this many distinct partial linearizations are kept per failing
  // partition (longest first) for messages and the HTML page.
  int max_partial_linearizations = 32;
};

struct CheckResult {
  enum Verdict { kOk, kIllegal, kUnknown };

  // Outcome for one sub-history, in the order returned by Model::partition.
  struct Partition {
    std::string name;
    Verdict verdict = kUnknown;
    int num_operations = 0;
    int64_t steps = 0;
    // Sequences of operation indices (into this partition's operations, in
    // linearization order). kOk: exactly one, a complete linearization.
    // Otherwise: the distinct longest partial linearizations found -- for
    // every operation the longest prefix that included it -- longest first,
    // at most CheckOptions::max_partial_linearizations of them. Empty if no
    // operation could be linearized at all (or the search never got here).
    std::vector<std::vector<int>> linearizations;
    // For each operation: index into `linearizations` of the longest one
    // that contains it, or -1 if none does.
    std::vector<int> longest_for_op;
  };

  Verdict verdict = kUnknown;
  // Human-readable explanation; for kIllegal it shows the longest partial
  // linearization of the first failing partition and what could not follow it.
  std::string message;
  int64_t steps = 0;
  std::vector<Partition> partitions;

  bool ok() const { return verdict == kOk; }
};

// "OK", "NOT LINEARIZABLE" or "UNKNOWN".
const char* VerdictName(CheckResult::Verdict verdict);

// Formats a virtual time for messages: "123us", or "never" for kNeverReturned.
std::string FormatVirtualTime(int64_t t);

// ---------------------------------------------------------------------------
// Implementation details shared by the templates below and the .cc file.
namespace linearizability_internal {

// The part of an operation the search needs besides the model.
struct SearchOp {
  int64_t call = 0;
  int64_t ret = 0;
  bool read_only = false;  // Model::read_only
};

struct SearchOutcome {
  CheckResult::Verdict verdict = CheckResult::kUnknown;
  int64_t steps = 0;
  std::vector<std::vector<int>> linearizations;
  std::vector<int> longest_for_op;
};

// step(state_id, op_index) -> {legal, next_state_id}. States are interned ids.
using StepFn = absl::FunctionRef<std::pair<bool, int>(int, int)>;

// Runs the memoized backtracking search on one partition.
SearchOutcome SearchPartition(const std::vector<SearchOp>& ops, int initial_state, StepFn step,
                              int64_t max_steps, int max_linearizations);

// Operations that could be linearized right after `prefix`: those not in it
// whose call precedes the earliest return among the operations not in it.
// Sorted by (call, index).
std::vector<int> NextCandidates(const std::vector<SearchOp>& ops, const std::vector<int>& prefix);

// Returns "" if every op has call <= ret, else a description of the first bad one.
std::string ValidateIntervals(const std::vector<SearchOp>& ops);

// One failing partition, already rendered to text, for the message.
struct FailureText {
  std::string name;
  int num_operations = 0;
  // Steps of the longest partial linearization: "client 1: Put(...) [..] -> state".
  std::vector<std::string> steps;
  // The operations that could not follow it, with the reason.
  std::vector<std::string> stuck;
  std::string state_after;  // state at the end of the partial linearization
};

// Fills result.verdict and result.message from result.partitions.
void Summarize(const CheckOptions& options, const std::vector<FailureText>& failures,
               const std::string& invalid, CheckResult& result);

// Interns states so the search core can work on small integer ids.
template <typename State>
class StateTable {
 public:
  int Intern(State state) {
    auto [it, inserted] = ids_.try_emplace(std::move(state), static_cast<int>(states_.size()));
    if (inserted) states_.push_back(&it->first);
    return it->second;
  }
  const State& Get(int id) const { return *states_[id]; }

 private:
  // Lookup only, never iterated; node map so `states_` pointers stay valid.
  absl::node_hash_map<State, int> ids_;
  std::vector<const State*> states_;
};

template <typename State, typename Input, typename Output>
std::vector<std::vector<Operation<Input, Output>>> Partition(
    const Model<State, Input, Output>& model,
    const std::vector<Operation<Input, Output>>& history) {
  if (model.partition) return model.partition(history);
  return {history};
}

template <typename State, typename Input, typename Output>
std::vector<SearchOp> ToSearchOps(const Model<State, Input, Output>& model,
                                  const std::vector<Operation<Input, Output>>& ops) {
  std::vector<SearchOp> out;
  out.reserve(ops.size());
  for (const auto& op : ops) {
    out.push_back({op.call, op.ret, model.read_only && model.read_only(op.input, op.output)});
  }
  return out;
}

template <typename State, typename Input, typename Output>
std::string PartitionName(const Model<State, Input, Output>& model,
                          const std::vector<Operation<Input, Output>>& ops, size_t index) {
  if (model.describe_partition) return model.describe_partition(ops);
  return absl::StrCat("partition ", index);
}

template <typename State, typename Input, typename Output>
std::string DescribeOp(const Model<State, Input, Output>& model,
                       const std::vector<Operation<Input, Output>>& ops, int index) {
  const auto& op = ops[index];
  return model.describe_operation ? model.describe_operation(op.input, op.output)
                                  : absl::StrCat("operation #", index);
}

template <typename State, typename Input, typename Output>
std::string DescribeState(const Model<State, Input, Output>& model, const State& state) {
  return model.describe_state ? model.describe_state(state) : std::string("?");
}

// "client 1: Put("k", "v") [10us..20us]"
template <typename State, typename Input, typename Output>
std::string DescribeOpWithTimes(const Model<State, Input, Output>& model,
                                const std::vector<Operation<Input, Output>>& ops, int index) {
  const auto& op = ops[index];
  return absl::StrCat("client ", op.client_id, ": ", DescribeOp(model, ops, index), " [",
                      FormatVirtualTime(op.call), "..", FormatVirtualTime(op.ret), "]");
}

// Replays `sequence` from the initial state. Returns the states after each
// step (size == sequence.size()), or fewer if some step is illegal (which
// only happens if the sequence does not come from this model and history).
template <typename State, typename Input, typename Output>
std::vector<State> Replay(const Model<State, Input, Output>& model,
                          const std::vector<Operation<Input, Output>>& ops,
                          const std::vector<int>& sequence) {
  std::vector<State> states;
  states.reserve(sequence.size());
  State state = model.init();
  for (int index : sequence) {
    auto [legal, next] = model.step(state, ops[index].input, ops[index].output);
    if (!legal) break;
    state = std::move(next);
    states.push_back(state);
  }
  return states;
}

// Renders the longest partial linearization of a failing partition as text.
template <typename State, typename Input, typename Output>
FailureText DescribeFailure(const Model<State, Input, Output>& model,
                            const std::vector<Operation<Input, Output>>& ops,
                            const CheckResult::Partition& partition) {
  FailureText text;
  text.name = partition.name;
  text.num_operations = partition.num_operations;
  const std::vector<int> longest =
      partition.linearizations.empty() ? std::vector<int>() : partition.linearizations[0];
  const std::vector<State> states = Replay(model, ops, longest);
  for (size_t i = 0; i < states.size(); ++i) {
    text.steps.push_back(absl::StrCat(DescribeOpWithTimes(model, ops, longest[i]), " -> state ",
                                      DescribeState(model, states[i])));
  }
  const State state = states.empty() ? model.init() : states.back();
  text.state_after = DescribeState(model, state);
  if (partition.verdict != CheckResult::kIllegal) return text;
  for (int index : NextCandidates(ToSearchOps(model, ops), longest)) {
    const bool legal = model.step(state, ops[index].input, ops[index].output).first;
    text.stuck.push_back(
        absl::StrCat(DescribeOpWithTimes(model, ops, index), ": ",
                     legal ? "legal here, but no order of the remaining operations works after it"
                           : "illegal in this state"));
  }
  return text;
}

}  // namespace linearizability_internal

// Checks `history` against `model`. See the file comment for the contract.
template <typename State, typename Input, typename Output>
CheckResult CheckOperations(const Model<State, Input, Output>& model,
                            const std::vector<Operation<Input, Output>>& history,
                            const CheckOptions& options = CheckOptions()) {
  namespace internal = linearizability_internal;
  CheckResult result;
  std::vector<internal::FailureText> failures;
  std::string invalid;
  const auto partitions = internal::Partition(model, history);
  for (size_t p = 0; p < partitions.size(); ++p) {
    const auto& ops = partitions[p];
    CheckResult::Partition& out = result.partitions.emplace_back();
    out.name = internal::PartitionName(model, ops, p);
    out.num_operations = static_cast<int>(ops.size());
    const std::vector<internal::SearchOp> search_ops = internal::ToSearchOps(model, ops);
    if (std::string bad = internal::ValidateIntervals(search_ops); !bad.empty()) {
      // A malformed history cannot be judged; report it instead of guessing.
      if (invalid.empty()) invalid = absl::StrCat(out.name, ": ", bad);
      out.longest_for_op.assign(ops.size(), -1);
      continue;
    }
    internal::StateTable<State> states;
    const int initial = states.Intern(model.init());
    auto step = [&](int state, int index) -> std::pair<bool, int> {
      auto [legal, next] = model.step(states.Get(state), ops[index].input, ops[index].output);
      if (!legal) return {false, -1};
      return {true, states.Intern(std::move(next))};
    };
    internal::SearchOutcome outcome =
        internal::SearchPartition(search_ops, initial, step, options.max_steps - result.steps,
                                  options.max_partial_linearizations);
    result.steps += outcome.steps;
    out.verdict = outcome.verdict;
    out.steps = outcome.steps;
    out.linearizations = std::move(outcome.linearizations);
    out.longest_for_op = std::move(outcome.longest_for_op);
    if (out.verdict == CheckResult::kIllegal) {
      failures.push_back(internal::DescribeFailure(model, ops, out));
    }
  }
  internal::Summarize(options, failures, invalid, result);
  return result;
}

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_H_
