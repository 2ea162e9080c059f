// A ready-made key-value model for the linearizability checker
// (linearizability.h): Get/Put on string keys with register semantics per
// key, a recorder that builds the history as a test drives the system, and
// shorthands for the check and its HTML page. Lab tests use this file.
//
// Example, in a test scenario (`world` is the run's World, see sim_test.h):
//
//   KvHistory history;
//   int64_t put = history.BeginPut(/*client_id=*/1, "k", "v", world.Now());
//   // Later, when the reply arrives (EndUnknown(put) after a timeout):
//   history.EndPut(put, world.Now());
//   CheckResult result = CheckKvOperations(history.ops());
//   if (!result.ok()) {
//     WriteKvLinearizabilityHtml(ArtifactPath("linearizability.html"), history.ops(), result)
//         .IgnoreError();
//   }
//   EXPECT_TRUE(result.ok()) << result.message;
#ifndef AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_KV_H_
#define AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_KV_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "labs/framework/linearizability.h"
#include "labs/framework/linearizability_html.h"

namespace auroralab {

struct KvInput {
  enum Kind { kGet, kPut };
  Kind kind = kGet;
  std::string key;
  std::string value;  // kPut only
};

struct KvOutput {
  bool found = false;  // kGet: whether the key had a value
  std::string value;   // kGet: the value read, if found
  // The client never learned the outcome (timeout, crash, still in flight).
  // Record such operations with ret = kNeverReturned. The model accepts any
  // result for them: an unknown Get reads nothing, an unknown Put takes effect
  // wherever it is linearized (linearizing it last == "never took effect").
  bool unknown = false;
};

// The value of one key (the model runs per key after partitioning).
struct KvState {
  bool found = false;
  std::string value;

  friend bool operator==(const KvState& a, const KvState& b) {
    return a.found == b.found && a.value == b.value;
  }
  template <typename H>
  friend H AbslHashValue(H h, const KvState& s) {
    return H::combine(std::move(h), s.found, s.value);
  }
};

using KvOperation = Operation<KvInput, KvOutput>;
using KvModelType = Model<KvState, KvInput, KvOutput>;

// Register semantics per key: Get returns the last Put's value, or not found
// if there was none. Partitions by key (sorted by key), names partitions
// `key "<key>"`, and marks Gets read-only.
//
// The partition function also leaves out unknown-outcome operations that
// cannot affect the verdict: unknown Gets (they accept any result and change
// nothing) and unknown Puts whose value no completed Get of that key returned.
// Such a Put can always be moved to the very end of a linearization, which is
// the same as dropping it, and keeping it would make the search try it at
// every point in time. So these operations do not appear in the partitions,
// the linearizations or the HTML page.
KvModelType KvModel();

// Shorthand for CheckOperations(KvModel(), history, options).
CheckResult CheckKvOperations(const std::vector<KvOperation>& history,
                              const CheckOptions& options = CheckOptions());

// Shorthand for WriteLinearizabilityHtml(path, KvModel(), history, result).
absl::Status WriteKvLinearizabilityHtml(const std::string& path,
                                        const std::vector<KvOperation>& history,
                                        const CheckResult& result,
                                        const LinearizabilityHtmlOptions& options = {});

// Records a KV history as a test drives the system. Begin* returns a handle
// that the matching End* call takes. Typical outcomes:
//   * reply received     -> EndGet / EndPut
//   * Put failed or timed out (it may still have been applied) -> EndUnknown
//   * Get failed or timed out (reads change nothing) -> Discard
// Operations never ended are treated as unknown-outcome by ops().
class KvHistory {
 public:
  int64_t BeginGet(int client_id, std::string key, int64_t now);
  int64_t BeginPut(int client_id, std::string key, std::string value, int64_t now);
  void EndGet(int64_t index, bool found, std::string value, int64_t now);
  void EndPut(int64_t index, int64_t now);
  // The outcome is unknown: recorded with ret = kNeverReturned.
  void EndUnknown(int64_t index);
  // Drops the operation from the history.
  void Discard(int64_t index);

  // The recorded history in Begin order, without discarded operations;
  // pending operations are reported as unknown-outcome.
  std::vector<KvOperation> ops() const;
  // Number of Begin* calls so far (including discarded operations).
  int64_t size() const { return static_cast<int64_t>(records_.size()); }

 private:
  enum class Status { kPending, kDone, kUnknown, kDiscarded };
  struct Record {
    KvOperation op;
    Status status = Status::kPending;
  };
  Record& Pending(int64_t index, const char* caller);

  std::vector<Record> records_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_LINEARIZABILITY_KV_H_
