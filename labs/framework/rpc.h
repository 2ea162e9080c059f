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
// - The request a handler gets is valid only while the handler runs (it is
//   parsed into a recycled message): copy what you keep. The Responder may
//   be kept and used later. In builds with assertions (every test build but
//   --config=opt), the request's memory is made inaccessible when the
//   handler returns, so code that kept a reference to it dies at its first
//   use with a message naming this rule, instead of silently reading the
//   next request. A handler may register handlers, even its own
//   replacement, which takes over once it returns.
// - Messages are at most kMaxMessageBytes serialized. A larger request
//   completes its call with InvalidArgument (nothing is sent); a larger
//   reply reaches the caller as InvalidArgument instead.
// - A call times out at its deadline (now + timeout when it was made): a
//   reply arriving at the deadline or later is too late, whatever else runs
//   at that same virtual time. A timeout of kForever never expires.
// - A node may crash itself (through a test's World) from inside its own
//   handler, RPC callback or timer: the endpoint is closed at once (no more
//   callbacks, sends or replies) and freed only after the current event.
#ifndef AURORALAB_LABS_FRAMEWORK_RPC_H_
#define AURORALAB_LABS_FRAMEWORK_RPC_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
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
  // A string literal (or any string that lives as long as the program):
  // endpoints remember the interned id of each name by its address.
  const char* name;
};

class RpcEndpoint;

// The largest serialized request or reply body. Protobuf cannot parse 2 GiB
// or more, and a bound well below that keeps a runaway message a clear
// error rather than a crash.
inline constexpr size_t kMaxMessageBytes = size_t{64} << 20;

namespace rpc_internal {
// Whether typed handlers poison their request once they return (see the
// contract above): on in builds with assertions, off in --config=opt so the
// benchmarks measure the recycling fast path.
#ifdef NDEBUG
inline constexpr bool kPoisonRecycledRequests = false;
#else
inline constexpr bool kPoisonRecycledRequests = true;
#endif
// Page-aligned memory for one request message, and its poisoning: after
// Poison() any access faults, and the fault handler this installs prints
// which method's request was used too late and the rule it broke. The most
// recent poisoned blocks stay inaccessible; older ones are returned to the
// system, so memory stays bounded.
void* AllocatePoisonable(size_t bytes);
void Poison(void* block, size_t bytes, const char* method);
// The message the fault handler prints, for tests to match.
inline constexpr char kUseAfterHandlerMessage[] =
    "used after its handler returned. The request a handler receives is valid only while the "
    "handler runs: copy the fields you keep";
}  // namespace rpc_internal

// Serializes `message` into `body`, reusing body's buffer: the size pass
// and the write pass of SerializeToString, without its other bookkeeping.
// Returns false (and writes nothing) if it would exceed kMaxMessageBytes.
template <typename Message>
bool SerializeInto(const Message& message, std::string* body) {
  const size_t size = message.ByteSizeLong();
  if (size > kMaxMessageBytes) return false;
  body->resize(size);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(body->data()));
  return true;
}

// Writes a message body into a packet's buffer; false if it is too large.
using BodyWriter = absl::FunctionRef<bool(std::string* body)>;

// The right to answer one request. Copyable; the first Reply/Fail wins and
// later ones are ignored (and logged), as a real server could not answer
// twice either.
class RawResponder {
 public:
  RawResponder(const RawResponder& other) : state_(other.state_) {
    if (state_ != nullptr) ++state_->refs;
  }
  RawResponder(RawResponder&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }
  RawResponder& operator=(RawResponder other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~RawResponder() {
    if (state_ != nullptr && --state_->refs == 0) Recycle(state_);
  }

  NodeId caller() const { return state_->caller; }
  const std::string& method() const { return MethodName(state_->method); }
  void Reply(std::string_view body) const;
  // Replies with a body written straight into the outgoing packet's buffer
  // (no copy); `write_body` is not called if the reply would be dropped.
  void ReplyWith(BodyWriter write_body) const;
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
    MethodId method = kNoMethod;
    bool replied = false;
  };
  // Takes a fresh state with one reference, owned by the new responder.
  explicit RawResponder(State* state) : state_(state) {}
  static State* NewState();
  static std::vector<State*>& FreeStates();
  // Puts a state no responder refers to any more back on the free list.
  static void Recycle(State* state);
  void Send(const absl::Status& status, BodyWriter write_body) const;
  State* state_;
};

template <typename ReplyMessage>
class Responder {
 public:
  explicit Responder(RawResponder raw) : raw_(std::move(raw)) {}
  NodeId caller() const { return raw_.caller(); }
  void Reply(const ReplyMessage& reply) const {
    raw_.ReplyWith([&reply](std::string* body) { return SerializeInto(reply, body); });
  }
  void Fail(const absl::Status& status) const { raw_.Fail(status); }

 private:
  RawResponder raw_;
};

class RpcEndpoint {
 public:
  // The reply body lives only while the callback runs.
  using RawDone = std::function<void(absl::StatusOr<std::string_view>)>;
  // The request body lives only while the handler runs.
  using RawHandler = std::function<void(std::string_view body, RawResponder responder)>;
  // Hands a packet from network.NewPacket() to the world (which stamps
  // incarnations and sends it).
  using SendFn = std::function<void(Packet&)>;

  RpcEndpoint(Simulator& sim, Network& network, NodeId self, uint64_t incarnation, SendFn send);
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
    StartCall(
        to, IdOf(method.name),
        [&request](std::string* body) { return SerializeInto(request, body); }, timeout,
        [name = method.name,
         done = std::move(done)](absl::StatusOr<std::string_view> body) mutable {
          if (!body.ok()) return done(absl::StatusOr<Reply>(body.status()));
          Reply reply;
          if (!ParseBody(*body, reply)) {
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
    if constexpr (rpc_internal::kPoisonRecycledRequests) {
      // Each request in its own pages, made inaccessible once the handler
      // returns: a kept reference fails loudly at its first use.
      SetHandler(IdOf(method.name), [name = method.name, handler = std::move(handler)](
                                        std::string_view body, RawResponder responder) {
        void* block = rpc_internal::AllocatePoisonable(sizeof(Request));
        Request* request = new (block) Request();
        if (ParseBody(body, *request)) {
          handler(*request, Responder<Reply>(std::move(responder)));
        } else {
          responder.Fail(absl::InvalidArgumentError(absl::StrCat("malformed ", name, " request")));
        }
        request->~Request();
        rpc_internal::Poison(block, sizeof(Request), name);
      });
      return;
    }
    // Requests are parsed into recycled messages, which keep their string
    // buffers from one request to the next. A pool rather than one message,
    // in case a handler somehow runs inside another.
    auto spares = std::make_shared<std::vector<std::unique_ptr<Request>>>();
    SetHandler(IdOf(method.name), [name = method.name, handler = std::move(handler), spares](
                                      std::string_view body, RawResponder responder) {
      std::unique_ptr<Request> request;
      if (spares->empty()) {
        request = std::make_unique<Request>();
      } else {
        request = std::move(spares->back());
        spares->pop_back();
      }
      if (ParseBody(body, *request)) {
        handler(*request, Responder<Reply>(std::move(responder)));
      } else {
        responder.Fail(absl::InvalidArgumentError(absl::StrCat("malformed ", name, " request")));
      }
      spares->push_back(std::move(request));
    });
  }

  // Untyped forms, for tests that send bad bytes and for framework code.
  void CallRaw(NodeId to, std::string_view method, std::string_view body, Duration timeout,
               RawDone done);
  void HandleRaw(std::string_view method, RawHandler handler);

  // Called by the world with a packet addressed to this incarnation. The
  // packet stays the network's.
  void OnPacket(const Packet& packet);

  size_t pending_calls() const { return active_calls_; }

  // Closes the endpoint of a crashed incarnation: no callback runs, nothing
  // is sent and no reply goes out from now on. Called by the world; the
  // endpoint itself may be freed only after the running event.
  void Close();

  // For tests that memory follows what is live: places in the pending-call
  // ring, and handler slots.
  size_t TEST_call_ring_size() const { return calls_.size(); }
  size_t TEST_handler_slots() const { return handlers_.size(); }

 private:
  friend class RawResponder;
  struct PendingCall {
    RawDone done;  // empty once the call has completed
    NodeId peer;
    MethodId method;  // for the timeout message
    Time deadline;
  };
  template <typename Message>
  static bool ParseBody(std::string_view body, Message& message) {
    return body.size() <= kMaxMessageBytes &&
           message.ParseFromArray(body.data(), static_cast<int>(body.size()));
  }
  // The interned id of a method name with static storage, remembered by
  // the name's address.
  MethodId IdOf(const char* name);
  void StartCall(NodeId to, MethodId method, BodyWriter write_body, Duration timeout, RawDone done);
  void SetHandler(MethodId method, RawHandler handler);
  // The pending call with this id, or null if it completed (or never was).
  PendingCall* FindPending(uint64_t call_id) {
    if (call_id >= next_call_id_) return nullptr;
    if (call_id < first_call_id_) return FindOldCall(call_id);
    PendingCall& call = calls_[call_id & (calls_.size() - 1)];
    return call.done ? &call : nullptr;
  }
  PendingCall* FindOldCall(uint64_t call_id);
  // Makes room for one more call: doubles the ring when most of it is
  // pending, otherwise moves the oldest pending calls out to `old_calls_`,
  // so one long-pending call does not make the ring grow with every later
  // call.
  void MakeRoomForACall();
  // Advances first_call_id_ past completed calls.
  void AdvanceFirstCall();
  // (deadline, call id), earliest first. Entries of calls that completed
  // are skipped when they surface, so completing a call costs nothing here.
  using Deadline = std::pair<Time, uint64_t>;

  // Keeps one simulator event armed for the earliest pending deadline,
  // instead of one event per call.
  void ArmDeadlineTimer();
  void ExpireDeadlines();

  void Complete(uint64_t call_id, absl::StatusOr<std::string_view> result);
  void SendReply(NodeId to, uint64_t to_incarnation, uint64_t call_id, MethodId method,
                 const absl::Status& status, BodyWriter write_body);
  RawHandler* FindHandler(MethodId method) {
    for (auto& [id, handler] : handlers_) {
      if (id == method) return handler.get();
    }
    return nullptr;
  }

  Simulator& sim_;
  Network& network_;
  NodeId self_;
  uint64_t incarnation_;
  SendFn send_;
  // Calls by id, in a ring: call `id` sits at calls_[id % calls_.size()]
  // while first_call_id_ <= id < next_call_id_, where first_call_id_ is the
  // oldest call still pending. Ids are handed out in order, so this does
  // the job of a hash map without hashing.
  std::vector<PendingCall> calls_;  // its size is a power of two
  // Pending calls older than first_call_id_, moved out of the ring.
  std::map<uint64_t, PendingCall> old_calls_;
  uint64_t first_call_id_ = 1;
  uint64_t next_call_id_ = 1;
  size_t active_calls_ = 0;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;
  EventId deadline_timer_ = kNoEvent;
  Time deadline_timer_at_ = kForever;
  // (method, handler) for each registered method: a node serves a handful,
  // so a short vector beats a table indexed by the process-wide MethodId.
  // Each handler on the heap, so that a running handler stays put while it
  // registers others.
  std::vector<std::pair<MethodId, std::unique_ptr<RawHandler>>> handlers_;
  // The handler running now, and its replacement if it re-registered itself
  // (an empty replacement unregisters the method).
  static constexpr MethodId kNoneRunning = UINT32_MAX;
  MethodId running_handler_ = kNoneRunning;
  std::optional<RawHandler> replacement_handler_;
  // (name address, id) of the typed methods this endpoint has used; a
  // node uses a handful, so a short vector beats any map.
  std::vector<std::pair<const char*, MethodId>> method_ids_;
  // Responders check that this serial is still alive before using `this`.
  uint64_t serial_;
  bool closed_ = false;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_RPC_H_
