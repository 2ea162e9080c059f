// INTERNAL: the machinery behind rpc.h's typed templates. Nothing here is
// for a node's code to call; read rpc.h instead.
//
// It is in the student-facing target (//labs/framework:api) only because
// rpc.h's templates expand to it: serializing and parsing protobuf bodies
// within the message size limit, the request recycling (or, in builds with
// assertions, poisoning) around a typed handler, and ReplyRoute, the
// engine's side of a responder. The engine (internal/sim_rpc_endpoint.h)
// implements ReplyRoute; RawResponder only counts references to it.
#ifndef AURORALAB_LABS_FRAMEWORK_INTERNAL_TYPED_RPC_H_
#define AURORALAB_LABS_FRAMEWORK_INTERNAL_TYPED_RPC_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "labs/framework/ids.h"

namespace auroralab {

template <typename ReplyMessage>
class Responder;

namespace rpc_internal {

// rpc.h's kMaxMessageBytes (defined here, where the templates check it).
inline constexpr size_t kMaxBodyBytes = size_t{64} << 20;

// Writes a message body into a packet's buffer; false if it is too large.
using BodyWriter = absl::FunctionRef<bool(std::string* body)>;

// Serializes `message` into `body`, reusing body's buffer: the size pass
// and the write pass of SerializeToString, without its other bookkeeping.
// Returns false (and writes nothing) if it would exceed kMaxBodyBytes.
template <typename Message>
bool SerializeInto(const Message& message, std::string* body) {
  const size_t size = message.ByteSizeLong();
  if (size > kMaxBodyBytes) return false;
  body->resize(size);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(body->data()));
  return true;
}

template <typename Message>
bool ParseBody(std::string_view body, Message& message) {
  return body.size() <= kMaxBodyBytes &&
         message.ParseFromArray(body.data(), static_cast<int>(body.size()));
}

// Whether typed handlers poison their request once they return (see rpc.h's
// contract): on in builds with assertions, off in --config=opt so the
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

// The engine's side of one request's responders: who asked, and where the
// answer goes. Shared by every copy of a RawResponder, which count
// references in `refs` (a simulation is single-threaded: no atomics) and
// hand it back with Recycle() when the last one goes.
class ReplyRoute {
 public:
  virtual NodeId caller() const = 0;
  virtual const std::string& method() const = 0;
  // Sends the reply (or the error); the engine ignores all but the first.
  virtual void Send(const absl::Status& status, BodyWriter write_body) = 0;
  // No responder refers to this route any more.
  virtual void Recycle() = 0;

  int refs = 0;

 protected:
  ~ReplyRoute() = default;  // owned by the engine
};

// The raw handler a typed handler becomes: parses the body into a Request
// and calls `handler`, or answers InvalidArgument if it does not parse.
template <typename Request, typename Reply, typename Handler>
auto TypedHandler(const char* name, Handler handler) {
  if constexpr (kPoisonRecycledRequests) {
    // Each request in its own pages, made inaccessible once the handler
    // returns: a kept reference fails loudly at its first use.
    return [name, handler = std::move(handler)](std::string_view body, auto responder) {
      void* block = AllocatePoisonable(sizeof(Request));
      Request* request = new (block) Request();
      if (ParseBody(body, *request)) {
        handler(*request, Responder<Reply>(std::move(responder)));
      } else {
        responder.Fail(absl::InvalidArgumentError(absl::StrCat("malformed ", name, " request")));
      }
      request->~Request();
      Poison(block, sizeof(Request), name);
    };
  } else {
    // Requests are parsed into recycled messages, which keep their string
    // buffers from one request to the next. A pool rather than one message,
    // in case a handler somehow runs inside another.
    auto spares = std::make_shared<std::vector<std::unique_ptr<Request>>>();
    return [name, handler = std::move(handler), spares](std::string_view body, auto responder) {
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
    };
  }
}

// The raw completion a typed `done` becomes: parses the reply body into a
// Reply, or completes with DataLoss if it does not parse.
template <typename Reply, typename Done>
auto TypedDone(const char* name, Done done) {
  return [name, done = std::move(done)](absl::StatusOr<std::string_view> body) mutable {
    if (!body.ok()) return done(absl::StatusOr<Reply>(body.status()));
    Reply reply;
    if (!ParseBody(*body, reply)) {
      return done(
          absl::StatusOr<Reply>(absl::DataLossError(absl::StrCat("malformed reply to ", name))));
    }
    done(absl::StatusOr<Reply>(std::move(reply)));
  };
}

}  // namespace rpc_internal
}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_INTERNAL_TYPED_RPC_H_
