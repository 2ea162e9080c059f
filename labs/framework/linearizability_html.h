// The HTML page for a linearizability check: draws a history and the
// checker's result (see linearizability.h) as a self-contained page.
//
// Contract: WriteLinearizabilityHtml(path, model, history, result) takes the
// `result` of CheckOperations(model, history) for the same model and history
// (it calls model.partition again and checks that the partitions match, so a
// mismatched result is an InvalidArgument error, not a wrong picture). The
// page needs no network and is the same for the same inputs. It can link to
// the trace viewer page of the same run (LinearizabilityHtmlOptions).
//
// Example, with the key-value model of linearizability_kv.h:
//
//   CheckResult result = CheckKvOperations(history.ops());
//   if (!result.ok()) {
//     absl::Status written =
//         WriteLinearizabilityHtml("/tmp/history.html", KvModel(), history.ops(), result);
//   }
#ifndef AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_HTML_H_
#define AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_HTML_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "labs/framework/linearizability.h"

namespace auroralab {

struct LinearizabilityHtmlOptions {
  // The trace viewer page of the same run (trace_view.h), linked from the top
  // of this page; a file in the same directory is linked by its name alone,
  // so the pair can be moved together. Empty: no link.
  std::string trace_page;
};

namespace linearizability_internal {

struct RenderOp {
  int client_id = 0;
  int64_t call = 0;
  int64_t ret = 0;
  std::string text;
};

struct RenderStuck {
  int op = 0;
  bool legal_step = false;  // false: illegal in the state; true: dead end later
};

struct RenderLinearization {
  std::vector<int> ops;
  std::vector<std::string> states_after;  // parallel to `ops`
  std::vector<RenderStuck> stuck;         // kIllegal partitions only
};

struct RenderPartition {
  std::string name;
  CheckResult::Verdict verdict = CheckResult::kUnknown;
  int64_t steps = 0;
  std::vector<RenderOp> ops;
  std::string initial_state;
  std::vector<RenderLinearization> linearizations;
  std::vector<int> longest_for_op;
};

absl::Status WriteHtmlFile(const std::string& path, const CheckResult& result,
                           const std::vector<RenderPartition>& partitions,
                           const LinearizabilityHtmlOptions& options);

}  // namespace linearizability_internal

// Writes a self-contained HTML page (no external resources) visualizing
// `history` and `result`, which must come from CheckOperations(model, history).
// Per partition it draws one row per client with each operation as a box
// from call to return on a (compressed) time axis; for failing partitions it
// marks the longest partial linearization (numbered, with the model state
// after each step) and the operations that could not be linearized next.
template <typename State, typename Input, typename Output>
absl::Status WriteLinearizabilityHtml(const std::string& path,
                                      const Model<State, Input, Output>& model,
                                      const std::vector<Operation<Input, Output>>& history,
                                      const CheckResult& result,
                                      const LinearizabilityHtmlOptions& options = {}) {
  namespace internal = linearizability_internal;
  const auto partitions = internal::Partition(model, history);
  if (partitions.size() != result.partitions.size()) {
    return absl::InvalidArgumentError("CheckResult does not belong to this model and history");
  }
  std::vector<internal::RenderPartition> render(partitions.size());
  for (size_t p = 0; p < partitions.size(); ++p) {
    const auto& ops = partitions[p];
    const CheckResult::Partition& checked = result.partitions[p];
    if (static_cast<int>(ops.size()) != checked.num_operations) {
      return absl::InvalidArgumentError("CheckResult does not belong to this model and history");
    }
    internal::RenderPartition& out = render[p];
    out.name = checked.name;
    out.verdict = checked.verdict;
    out.steps = checked.steps;
    out.longest_for_op = checked.longest_for_op;
    out.initial_state = internal::DescribeState(model, model.init());
    for (int i = 0; i < static_cast<int>(ops.size()); ++i) {
      out.ops.push_back(
          {ops[i].client_id, ops[i].call, ops[i].ret, internal::DescribeOp(model, ops, i)});
    }
    const std::vector<internal::SearchOp> search_ops = internal::ToSearchOps(model, ops);
    std::vector<std::vector<int>> sequences = checked.linearizations;
    if (sequences.empty() && checked.verdict == CheckResult::kIllegal) {
      sequences.emplace_back();  // not even a first operation fits: show why
    }
    for (const std::vector<int>& sequence : sequences) {
      internal::RenderLinearization& lin = out.linearizations.emplace_back();
      lin.ops = sequence;
      const std::vector<State> states = internal::Replay(model, ops, sequence);
      if (states.size() != sequence.size()) {
        return absl::InvalidArgumentError("CheckResult does not belong to this model and history");
      }
      for (const State& state : states) {
        lin.states_after.push_back(internal::DescribeState(model, state));
      }
      if (checked.verdict != CheckResult::kIllegal) continue;
      const State state = states.empty() ? model.init() : states.back();
      for (int index : internal::NextCandidates(search_ops, sequence)) {
        lin.stuck.push_back({index, model.step(state, ops[index].input, ops[index].output).first});
      }
    }
  }
  return internal::WriteHtmlFile(path, result, render, options);
}

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_HTML_H_
