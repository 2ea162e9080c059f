// The key-value model and history recorder of linearizability_kv.h.

#include "labs/framework/linearizability_kv.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace auroralab {

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
                                        const CheckResult& result,
                                        const LinearizabilityHtmlOptions& options) {
  return WriteLinearizabilityHtml(path, KvModel(), history, result, options);
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

}  // namespace auroralab
