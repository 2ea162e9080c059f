// RPC over the simulated network, typed by protobuf messages.
//
// A Method<Request, Reply> names one remote procedure and binds its message
// types, so callers and handlers cannot disagree on them:
//
//   inline constexpr Method<PingRequest, PingReply> kPing{"Demo.Ping"};
//
//   // server side, usually in Node::Start():
//   ctx.rpc().Handle(kPing, [](const PingRequest& req, Responder<PingReply> r) {
//     PingReply reply; ...; r.Reply(reply);   // now, or later (after a Sync)
//   });
//   // client side:
//   ctx.rpc().Call(peer, kPing, req, Millis(50),
//                  [](absl::StatusOr<PingReply> reply) { ... });
//
// Contract:
// - Every message is serialized when sent and parsed on arrival; nodes never
//   share memory. Malformed bytes never crash a node: a request that does not
//   parse gets an InvalidArgument reply, a reply that does not parse
//   completes the call with DataLoss, an unknown method gets Unimplemented.
// - `done` runs exactly once, never inside Call() itself: with the reply,
//   the handler's error status, or DeadlineExceeded when `timeout` passes
//   first. Late and duplicate replies are ignored.
// - An endpoint dies with its node's incarnation: its pending calls and
//   timers vanish, and replies its handlers send later are dropped. A reply
//   to a call from an old incarnation never reaches the new one.
#ifndef AURORALAB_LABS_FRAMEWORK_RPC_H_
#define AURORALAB_LABS_FRAMEWORK_RPC_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "labs/framework/network.h"
#include "labs/framework/simulator.h"

namespace auroralab {

template <typename Request, typename Reply>
struct Method {
  using RequestType = Request;
  using ReplyType = Reply;
  const char* name;
};

class RpcEndpoint;

// The right to answer one request. Copyable; the first Reply/Fail wins and
// later ones are ignored (and logged), as a real server could not answer
// twice either.
class RawResponder {
 public:
  RawResponder(const RawResponder& other) : state_(other.state_) { ++state_->refs; }
  RawResponder(RawResponder&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }
  RawResponder& operator=(RawResponder other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~RawResponder() { Release(); }

  NodeId caller() const { return state_->caller; }
  const std::string& method() const { return state_->method; }
  void Reply(std::string body) const;
  void Fail(const absl::Status& status) const;

 private:
  friend class RpcEndpoint;
  // Reference-counted by hand and recycled through a free list: a
  // simulation is single-threaded, so this costs neither an allocation nor
  // an atomic operation per request.
  struct State {
    int refs = 0;
    // Used only while the endpoint with this serial number is alive: it
    // dies with its node's incarnation, and so do its replies.
    RpcEndpoint* endpoint = nullptr;
    uint64_t endpoint_serial = 0;
    NodeId caller = -1;
    uint64_t caller_incarnation = 0;
    uint64_t call_id = 0;
    std::string method;
    bool replied = false;
  };
  // Takes a fresh state with one reference, owned by the new responder.
  explicit RawResponder(State* state) : state_(state) {}
  static State* NewState();
  static std::vector<State*>& FreeStates();
  void Release();
  void Send(absl::Status status, std::string body) const;
  State* state_;
};

template <typename ReplyMessage>
class Responder {
 public:
  explicit Responder(RawResponder raw) : raw_(std::move(raw)) {}
  NodeId caller() const { return raw_.caller(); }
  void Reply(const ReplyMessage& reply) const { raw_.Reply(reply.SerializeAsString()); }
  void Fail(const absl::Status& status) const { raw_.Fail(status); }

 private:
  RawResponder raw_;
};

class RpcEndpoint {
 public:
  using RawDone = std::function<void(absl::StatusOr<std::string>)>;
  using RawHandler = std::function<void(std::string_view body, RawResponder responder)>;
  // Hands a packet to the world (which stamps incarnations and routes it).
  using SendFn = std::function<void(Packet&)>;

  RpcEndpoint(Simulator& sim, NodeId self, uint64_t incarnation, SendFn send);
  ~RpcEndpoint();
  RpcEndpoint(const RpcEndpoint&) = delete;
  RpcEndpoint& operator=(const RpcEndpoint&) = delete;

  // `done` is any callable taking absl::StatusOr<Reply>. Taking the callable
  // itself (not a std::function) keeps small lambdas allocation-free.
  template <typename Request, typename Reply, typename Done>
  void Call(NodeId to, const Method<Request, Reply>& method, const Request& request,
            Duration timeout, Done done) {
    static_assert(std::is_invocable_v<Done&, absl::StatusOr<Reply>>,
                  "done must be callable with absl::StatusOr<Reply>");
    CallRaw(to, method.name, request.SerializeAsString(), timeout,
            [name = method.name, done = std::move(done)](absl::StatusOr<std::string> body) mutable {
              if (!body.ok()) return done(absl::StatusOr<Reply>(body.status()));
              Reply reply;
              if (!reply.ParseFromString(*body)) {
                return done(absl::StatusOr<Reply>(
                    absl::DataLossError(absl::StrCat("malformed reply to ", name))));
              }
              done(absl::StatusOr<Reply>(std::move(reply)));
            });
  }

  // Registers the handler for `method`, replacing any earlier one.
  template <typename Request, typename Reply>
  void Handle(const Method<Request, Reply>& method,
              std::type_identity_t<std::function<void(const Request&, Responder<Reply>)>> handler) {
    HandleRaw(method.name, [name = method.name, handler = std::move(handler)](
                               std::string_view body, RawResponder responder) {
      Request request;
      if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        return responder.Fail(absl::InvalidArgumentError(absl::StrCat("malformed ", name,
                                                                      " request")));
      }
      handler(request, Responder<Reply>(std::move(responder)));
    });
  }

  // Untyped forms, for tests that send bad bytes and for framework code.
  void CallRaw(NodeId to, std::string_view method, std::string body, Duration timeout,
               RawDone done);
  void HandleRaw(std::string_view method, RawHandler handler);

  // Called by the world with a packet addressed to this incarnation; may
  // move from it.
  void OnPacket(Packet& packet);

  size_t pending_calls() const { return active_calls_; }

 private:
  friend class RawResponder;
  struct PendingCall {
    RawDone done;  // empty once the call has completed
    NodeId peer;
    std::string method;  // for the timeout message
  };
  // The pending call with this id, or null if it completed (or never was).
  PendingCall* FindPending(uint64_t call_id);
  // (deadline, call id), earliest first. Entries of calls that completed
  // are skipped when they surface, so completing a call costs nothing here.
  using Deadline = std::pair<Time, uint64_t>;

  // Keeps one simulator event armed for the earliest pending deadline,
  // instead of one event per call.
  void ArmDeadlineTimer();
  void ExpireDeadlines();

  void Complete(uint64_t call_id, absl::StatusOr<std::string> result);
  void SendReply(NodeId to, uint64_t to_incarnation, uint64_t call_id, std::string_view method,
                 const absl::Status& status, std::string body);

  Simulator& sim_;
  NodeId self_;
  uint64_t incarnation_;
  SendFn send_;
  uint64_t next_call_id_ = 1;
  // Calls by id: call `id` is pending_[id - first_call_id_]. Ids are handed
  // out in order, so a deque whose front is the oldest unfinished call does
  // the job of a hash map without hashing.
  std::deque<PendingCall> pending_;
  uint64_t first_call_id_ = 1;
  size_t active_calls_ = 0;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;
  EventId deadline_timer_ = kNoEvent;
  Time deadline_timer_at_ = kForever;
  absl::flat_hash_map<std::string, RawHandler> handlers_;
  // Responders check that this serial is still alive before using `this`.
  uint64_t serial_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_RPC_H_
