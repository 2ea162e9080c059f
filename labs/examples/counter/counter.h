// The counter example: a durable counter on one server, with clients that
// retry. It is small on purpose; docs/framework.md walks through it.
//
// CounterServer keeps one number. Each add is appended to a record log on
// its disk and acknowledged only after a Sync covering it has completed, so
// an acknowledged add survives any crash. At (re)start the server replays the
// log.
//
// CounterClient sends each add until it gets an answer, with a per-attempt
// timeout, and gives up with Unavailable at an overall deadline. Retries and
// network duplicates must not count twice, so every add carries
// (client_id, seq) and the server remembers, per client, the highest seq it
// has applied. That memory is in the same log records as the adds, so it
// survives crashes too.
#ifndef AURORALAB_LABS_EXAMPLES_COUNTER_COUNTER_H_
#define AURORALAB_LABS_EXAMPLES_COUNTER_COUNTER_H_

#include <cstdint>
#include <functional>
#include <map>

#include "absl/status/statusor.h"
#include "labs/examples/counter/counter.pb.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"

namespace auroralab::examples::counter {

inline constexpr Method<AddRequest, AddReply> kAdd{"Counter.Add"};

// How long one attempt may take, and one whole Add.
inline constexpr Duration kAttemptTimeout = Millis(100);
inline constexpr Duration kAddTimeout = Seconds(2);

class CounterServer : public Node {
 public:
  using Node::Node;
  void Start() override;

  // For tests: the value in memory (after recovery, what the disk kept).
  int64_t value() const { return value_; }

 private:
  bool IsNew(const AddRequest& add) const;
  void Apply(const AddRequest& add);
  void HandleAdd(const AddRequest& add, Responder<AddReply> responder);

  int64_t value_ = 0;
  // client_id -> highest seq applied. A std::map: never iterate a hash map
  // in simulated code, its order can differ between runs.
  std::map<uint64_t, uint64_t> applied_seq_;
};

class CounterClient : public Node {
 public:
  using AddDone = std::function<void(absl::StatusOr<int64_t>)>;

  CounterClient(NodeContext& ctx, NodeId server) : Node(ctx), server_(server) {}

  // Adds `delta` exactly once. `done` gets the counter's value including
  // this add, or Unavailable after kAddTimeout (the add may or may not have
  // happened). One Add at a time per client.
  void Add(int64_t delta, AddDone done);

 private:
  void Attempt(const AddRequest& request, Time deadline, AddDone done);

  NodeId server_;
  uint64_t next_seq_ = 0;
};

}  // namespace auroralab::examples::counter

#endif  // AURORALAB_LABS_EXAMPLES_COUNTER_COUNTER_H_
