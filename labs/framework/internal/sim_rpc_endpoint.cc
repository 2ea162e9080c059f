// Implementation of internal/sim_rpc_endpoint.h: the engine's RpcEndpoint.
#include "labs/framework/internal/sim_rpc_endpoint.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace auroralab {
namespace {

// live_endpoints[serial]: whether the endpoint with that serial number is
// alive. Serials are dense (one per node incarnation), so a byte each is
// cheaper than a hash set, and no lookup needs hashing.
std::vector<uint8_t>& LiveEndpoints() {
  static auto* live = new std::vector<uint8_t>(1, 0);
  return *live;
}

}  // namespace

std::vector<SimRpcEndpoint::Route*>& SimRpcEndpoint::FreeRoutes() {
  static auto* free_routes = new std::vector<Route*>();
  return *free_routes;
}

SimRpcEndpoint::Route* SimRpcEndpoint::NewRoute() {
  std::vector<Route*>& free_routes = FreeRoutes();
  Route* route;
  if (free_routes.empty()) {
    route = new Route();
  } else {
    route = free_routes.back();
    free_routes.pop_back();
  }
  route->refs = 0;
  route->replied_ = false;
  return route;
}

void SimRpcEndpoint::Route::Recycle() { FreeRoutes().push_back(this); }

void SimRpcEndpoint::Route::Send(const absl::Status& status, BodyWriter write_body) {
  if (!LiveEndpoints()[endpoint_serial_]) {
    return;  // our incarnation crashed: the reply dies with it
  }
  SimRpcEndpoint& ep = *endpoint_;
  if (replied_) {
    ep.sim_.trace().Record(ep.sim_.Now(), TraceKind::kLog, ep.self_, caller_,
                           absl::StrCat("second reply to ", MethodName(method_), " ignored"),
                           call_id_);
    return;
  }
  replied_ = true;
  ep.SendReply(caller_, caller_incarnation_, call_id_, method_, status, write_body);
}

SimRpcEndpoint::SimRpcEndpoint(Simulator& sim, Network& network, NodeId self, uint64_t incarnation,
                               SendFn send)
    : sim_(sim),
      network_(network),
      self_(self),
      incarnation_(incarnation),
      send_(std::move(send)),
      serial_(LiveEndpoints().size()) {
  LiveEndpoints().push_back(1);  // at index serial_
}

SimRpcEndpoint::~SimRpcEndpoint() { Close(); }

void SimRpcEndpoint::Close() {
  closed_ = true;
  LiveEndpoints()[serial_] = 0;
  sim_.Cancel(deadline_timer_);
  deadline_timer_ = kNoEvent;
}

MethodId SimRpcEndpoint::IdOf(const char* name) {
  for (const auto& [address, id] : method_ids_) {
    if (address == name) return id;
  }
  const MethodId id = InternMethod(name);
  method_ids_.push_back({name, id});
  return id;
}

void SimRpcEndpoint::CallRaw(NodeId to, std::string_view method, std::string_view body,
                             Duration timeout, RawDone done) {
  StartCallById(
      to, InternMethod(method),
      [body](std::string* out) {
        if (body.size() > kMaxMessageBytes) return false;
        out->assign(body);
        return true;
      },
      timeout, std::move(done));
}

void SimRpcEndpoint::StartCallById(NodeId to, MethodId method, BodyWriter write_body,
                                   Duration timeout, RawDone done) {
  if (closed_) return;  // a crashed incarnation's code still running
  if (next_call_id_ - first_call_id_ == calls_.size()) MakeRoomForACall();
  const uint64_t call_id = next_call_id_++;
  const Time deadline = AddSaturating(sim_.Now(), timeout);
  calls_[call_id & (calls_.size() - 1)] = PendingCall{std::move(done), to, method, deadline};
  ++active_calls_;
  Packet& p = network_.NewPacket();
  if (!write_body(&p.body)) {
    network_.Discard(p);
    // Completed from an event of its own: `done` never runs inside Call().
    sim_.Schedule(0, [this, serial = serial_, call_id, method] {
      if (!LiveEndpoints()[serial]) return;
      Complete(call_id, absl::InvalidArgumentError(
                            absl::StrCat(MethodName(method), " request is larger than the ",
                                         kMaxMessageBytes, "-byte message limit")));
    });
    return;
  }
  if (deadline != kForever) {  // a kForever timeout never expires
    deadlines_.push({deadline, call_id});
    ArmDeadlineTimer();
  }
  p.from = self_;
  p.to = to;
  p.kind = PacketKind::kRequest;
  p.call_id = call_id;
  p.method = method;
  p.from_incarnation = incarnation_;
  send_(p);
}

void SimRpcEndpoint::ArmDeadlineTimer() {
  if (closed_) return;
  // Drop entries of calls that already completed.
  while (!deadlines_.empty() && FindPending(deadlines_.top().second) == nullptr) {
    deadlines_.pop();
  }
  if (deadlines_.empty()) return;
  const Time next = deadlines_.top().first;
  if (deadline_timer_ != kNoEvent && deadline_timer_at_ <= next) return;  // fires early enough
  sim_.Cancel(deadline_timer_);
  deadline_timer_at_ = next;
  // The destructor cancels this event, so `this` outlives it.
  deadline_timer_ = sim_.ScheduleAt(next, [this] {
    deadline_timer_ = kNoEvent;
    ExpireDeadlines();
  });
}

void SimRpcEndpoint::ExpireDeadlines() {
  while (!deadlines_.empty() && deadlines_.top().first <= sim_.Now()) {
    const uint64_t call_id = deadlines_.top().second;
    deadlines_.pop();
    const PendingCall* call = FindPending(call_id);
    if (call == nullptr) continue;  // completed in time
    const std::string message =
        absl::StrCat(MethodName(call->method), " to node ", call->peer, " timed out");
    Complete(call_id, absl::DeadlineExceededError(message));
    // The callback may have crashed this node: then its other calls vanish.
    if (closed_) return;
  }
  ArmDeadlineTimer();
}

void SimRpcEndpoint::HandleRaw(std::string_view method, RawHandler handler) {
  SetHandlerById(InternMethod(method), std::move(handler));
}

void SimRpcEndpoint::SetHandlerById(MethodId method, RawHandler handler) {
  if (method == running_handler_) {
    // Replacing the handler that is running now (a handler that re-registers
    // itself) would destroy it mid-call: swap it in once it returns.
    replacement_handler_ = std::move(handler);
    return;
  }
  auto it = std::find_if(handlers_.begin(), handlers_.end(),
                         [method](const auto& entry) { return entry.first == method; });
  if (!handler) {  // an empty handler unregisters the method
    if (it != handlers_.end()) handlers_.erase(it);
    return;
  }
  auto owned = std::make_unique<RawHandler>(std::move(handler));
  if (it != handlers_.end()) {
    it->second = std::move(owned);
  } else {
    handlers_.emplace_back(method, std::move(owned));
  }
}

SimRpcEndpoint::PendingCall* SimRpcEndpoint::FindOldCall(uint64_t call_id) {
  if (old_calls_.empty()) return nullptr;
  auto it = old_calls_.find(call_id);
  return it == old_calls_.end() ? nullptr : &it->second;
}

void SimRpcEndpoint::AdvanceFirstCall() {
  while (first_call_id_ < next_call_id_ && !calls_[first_call_id_ & (calls_.size() - 1)].done) {
    ++first_call_id_;
  }
}

void SimRpcEndpoint::MakeRoomForACall() {
  if (calls_.empty() || active_calls_ - old_calls_.size() > calls_.size() / 2) {
    // Mostly pending: double the ring.
    std::vector<PendingCall> bigger(std::max<size_t>(8, 2 * calls_.size()));
    for (uint64_t id = first_call_id_; id < next_call_id_; ++id) {
      bigger[id & (bigger.size() - 1)] = std::move(calls_[id & (calls_.size() - 1)]);
    }
    calls_ = std::move(bigger);
    return;
  }
  // Mostly completed, but an old call pins the start of the ring: move the
  // oldest pending calls out until a place is free.
  while (next_call_id_ - first_call_id_ == calls_.size()) {
    PendingCall& oldest = calls_[first_call_id_ & (calls_.size() - 1)];
    old_calls_.emplace(first_call_id_, std::move(oldest));
    oldest.done = nullptr;
    ++first_call_id_;
    AdvanceFirstCall();
  }
}

void SimRpcEndpoint::Complete(uint64_t call_id, absl::StatusOr<std::string_view> result) {
  PendingCall* call = FindPending(call_id);
  if (call == nullptr) return;
  RawDone done = std::move(call->done);
  --active_calls_;
  if (call_id < first_call_id_) {
    old_calls_.erase(call_id);
  } else {
    call->done = nullptr;
    AdvanceFirstCall();
  }
  done(std::move(result));
}

void SimRpcEndpoint::SendReply(NodeId to, uint64_t to_incarnation, uint64_t call_id,
                               MethodId method, const absl::Status& status, BodyWriter write_body) {
  if (closed_) return;
  Packet& p = network_.NewPacket();
  p.from = self_;
  p.to = to;
  p.from_incarnation = incarnation_;
  p.to_incarnation = to_incarnation;
  p.kind = PacketKind::kReply;
  p.call_id = call_id;
  p.method = method;
  p.status_code = static_cast<int>(status.code());
  if (status.ok()) {
    if (!write_body(&p.body)) {
      p.body.clear();
      p.status_code = static_cast<int>(absl::StatusCode::kInvalidArgument);
      p.status_message = absl::StrCat(MethodName(method), " reply is larger than the ",
                                      kMaxMessageBytes, "-byte message limit");
    }
  } else {
    p.status_message.assign(status.message().data(), status.message().size());
  }
  send_(p);
}

void SimRpcEndpoint::OnPacket(const Packet& packet) {
  if (closed_) return;
  if (packet.kind == PacketKind::kReply) {
    const PendingCall* call = FindPending(packet.call_id);
    if (call == nullptr) {
      sim_.trace().Record(sim_.Now(), TraceKind::kLog, self_, packet.from,
                          "late or duplicate reply ignored", packet.call_id);
      return;
    }
    if (sim_.Now() >= call->deadline) {
      // Exactly at the deadline: the timeout wins, whichever of the two
      // same-time events happens to run first.
      sim_.trace().Record(sim_.Now(), TraceKind::kLog, self_, packet.from,
                          "reply at the deadline: too late", packet.call_id);
      Complete(packet.call_id,
               absl::DeadlineExceededError(
                   absl::StrCat(MethodName(call->method), " to node ", call->peer, " timed out")));
      return;
    }
    const auto code = static_cast<absl::StatusCode>(packet.status_code);
    if (code == absl::StatusCode::kOk) {
      Complete(packet.call_id, std::string_view(packet.body));
    } else {
      Complete(packet.call_id, absl::Status(code, packet.status_message));
    }
    return;
  }
  Route* route = NewRoute();
  route->endpoint_ = this;
  route->endpoint_serial_ = serial_;
  route->caller_ = packet.from;
  route->caller_incarnation_ = packet.from_incarnation;
  route->call_id_ = packet.call_id;
  route->method_ = packet.method;
  RawResponder responder(route);
  RawHandler* handler = FindHandler(packet.method);
  if (handler == nullptr) {
    responder.Fail(absl::UnimplementedError(
        absl::StrCat("no handler for ", MethodName(packet.method), " on node ", self_)));
    return;
  }
  // A handler may replace itself, which SetHandler defers until it returns.
  // It may also crash its own node through a test's World: the world then
  // closes this endpoint but frees it only after the current event, so the
  // handler and `this` stay valid here.
  running_handler_ = packet.method;
  (*handler)(packet.body, std::move(responder));
  running_handler_ = kNoneRunning;
  if (closed_) {
    replacement_handler_.reset();
    return;
  }
  if (replacement_handler_.has_value()) {
    RawHandler replacement = std::move(*replacement_handler_);
    replacement_handler_.reset();
    SetHandlerById(packet.method, std::move(replacement));
  }
}

}  // namespace auroralab
