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
//
// Part of the student-facing API (//labs/framework:api). The engine's
// endpoint (pending calls, deadlines, packets) lives behind this interface
// in internal/sim_rpc_endpoint.h; the templates below expand to
// internal/typed_rpc.h, which no node code needs to read.
#ifndef AURORALAB_LABS_FRAMEWORK_RPC_H_
#define AURORALAB_LABS_FRAMEWORK_RPC_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/ids.h"
#include "labs/framework/internal/typed_rpc.h"
#include "labs/framework/time.h"

namespace auroralab {

template <typename Request, typename Reply>
struct Method {
  using RequestType = Request;
  using ReplyType = Reply;
  // A string literal (or any string that lives as long as the program):
  // endpoints remember each name by its address.
  const char* name;
};

// The largest serialized request or reply body. Protobuf cannot parse 2 GiB
// or more, and a bound well below that keeps a runaway message a clear
// error rather than a crash.
inline constexpr size_t kMaxMessageBytes = rpc_internal::kMaxBodyBytes;

// Writes a message body straight into the outgoing buffer; returns false if
// it would be larger than kMaxMessageBytes.
using BodyWriter = rpc_internal::BodyWriter;

// The right to answer one request, untyped. Copyable; the first Reply/Fail
// wins and later ones are ignored (and logged), as a real server could not
// answer twice either.
class RawResponder {
 public:
  // The engine creates responders, one per request it delivers.
  explicit RawResponder(rpc_internal::ReplyRoute* route) : route_(route) { ++route_->refs; }
  RawResponder(const RawResponder& other) : route_(other.route_) {
    if (route_ != nullptr) ++route_->refs;
  }
  RawResponder(RawResponder&& other) noexcept : route_(other.route_) { other.route_ = nullptr; }
  RawResponder& operator=(RawResponder other) noexcept {
    std::swap(route_, other.route_);
    return *this;
  }
  ~RawResponder() {
    if (route_ != nullptr && --route_->refs == 0) route_->Recycle();
  }

  NodeId caller() const { return route_->caller(); }
  const std::string& method() const { return route_->method(); }
  void Reply(std::string_view body) const;
  // Replies with a body written straight into the outgoing packet's buffer
  // (no copy); `write_body` is not called if the reply would be dropped.
  void ReplyWith(BodyWriter write_body) const { route_->Send(absl::OkStatus(), write_body); }
  void Fail(const absl::Status& status) const;

 private:
  rpc_internal::ReplyRoute* route_;
};

// The right to answer one request with a ReplyMessage (see RawResponder).
template <typename ReplyMessage>
class Responder {
 public:
  explicit Responder(RawResponder raw) : raw_(std::move(raw)) {}
  NodeId caller() const { return raw_.caller(); }
  void Reply(const ReplyMessage& reply) const {
    raw_.ReplyWith(
        [&reply](std::string* body) { return rpc_internal::SerializeInto(reply, body); });
  }
  void Fail(const absl::Status& status) const { raw_.Fail(status); }

 private:
  RawResponder raw_;
};

// A node's RPC endpoint: ctx().rpc(). It lives and dies with the node's
// incarnation (see the contract above).
class RpcEndpoint {
 public:
  // The reply body lives only while the callback runs.
  using RawDone = std::function<void(absl::StatusOr<std::string_view>)>;
  // The request body lives only while the handler runs.
  using RawHandler = std::function<void(std::string_view body, RawResponder responder)>;

  RpcEndpoint(const RpcEndpoint&) = delete;
  RpcEndpoint& operator=(const RpcEndpoint&) = delete;
  virtual ~RpcEndpoint() = default;

  // Calls `method` on node `to`. `done` is any callable taking
  // absl::StatusOr<Reply>; it runs exactly once, later (see the contract).
  // Taking the callable itself (not a std::function) keeps small lambdas
  // allocation-free.
  template <typename Request, typename Reply, typename Done>
  void Call(NodeId to, const Method<Request, Reply>& method, const Request& request,
            Duration timeout, Done done) {
    static_assert(std::is_invocable_v<Done&, absl::StatusOr<Reply>>,
                  "done must be callable with absl::StatusOr<Reply>");
    StartCall(
        to, method.name,
        [&request](std::string* body) { return rpc_internal::SerializeInto(request, body); },
        timeout, rpc_internal::TypedDone<Reply>(method.name, std::move(done)));
  }

  // Registers the handler for `method`, replacing any earlier one.
  template <typename Request, typename Reply>
  void Handle(const Method<Request, Reply>& method,
              std::type_identity_t<std::function<void(const Request&, Responder<Reply>)>> handler) {
    SetHandler(method.name,
               rpc_internal::TypedHandler<Request, Reply>(method.name, std::move(handler)));
  }

  // Untyped forms, for tests that send bad bytes and for framework code.
  virtual void CallRaw(NodeId to, std::string_view method, std::string_view body, Duration timeout,
                       RawDone done) = 0;
  // An empty handler unregisters the method.
  virtual void HandleRaw(std::string_view method, RawHandler handler) = 0;

  // Calls still waiting for their reply or timeout.
  virtual size_t pending_calls() const = 0;

 protected:
  RpcEndpoint() = default;

  // What the templates above call; the engine implements them. `method` is
  // a Method's name (it lives as long as the program).
  virtual void StartCall(NodeId to, const char* method, BodyWriter write_body, Duration timeout,
                         RawDone done) = 0;
  virtual void SetHandler(const char* method, RawHandler handler) = 0;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_RPC_H_
