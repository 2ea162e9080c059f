#include "labs/framework/rpc.h"

#include <algorithm>
#include <utility>
#include <vector>

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

std::vector<RawResponder::State*>& RawResponder::FreeStates() {
  static auto* free_states = new std::vector<State*>();
  return *free_states;
}

RawResponder::State* RawResponder::NewState() {
  std::vector<State*>& free_states = FreeStates();
  State* state;
  if (free_states.empty()) {
    state = new State();
  } else {
    state = free_states.back();
    free_states.pop_back();
  }
  state->refs = 1;
  state->replied = false;
  return state;
}

void RawResponder::Recycle(State* state) { FreeStates().push_back(state); }

void RawResponder::Reply(std::string_view body) const {
  Send(absl::OkStatus(), [body](std::string* out) { out->assign(body); });
}

void RawResponder::ReplyWith(absl::FunctionRef<void(std::string* body)> write_body) const {
  Send(absl::OkStatus(), write_body);
}

void RawResponder::Fail(const absl::Status& status) const {
  // An OK "failure" would look like an empty reply; make the bug visible.
  Send(status.ok() ? absl::InternalError("Fail() called with an OK status") : status,
       [](std::string*) {});
}

void RawResponder::Send(const absl::Status& status,
                        absl::FunctionRef<void(std::string*)> write_body) const {
  if (!LiveEndpoints()[state_->endpoint_serial]) {
    return;  // our incarnation crashed: the reply dies with it
  }
  RpcEndpoint& ep = *state_->endpoint;
  if (state_->replied) {
    ep.sim_.trace().Record(ep.sim_.Now(), TraceKind::kLog, ep.self_, state_->caller,
                           absl::StrCat("second reply to ", MethodName(state_->method), " ignored"),
                           state_->call_id);
    return;
  }
  state_->replied = true;
  ep.SendReply(state_->caller, state_->caller_incarnation, state_->call_id, state_->method, status,
               write_body);
}

RpcEndpoint::RpcEndpoint(Simulator& sim, Network& network, NodeId self, uint64_t incarnation,
                         SendFn send)
    : sim_(sim),
      network_(network),
      self_(self),
      incarnation_(incarnation),
      send_(std::move(send)),
      serial_(LiveEndpoints().size()) {
  LiveEndpoints().push_back(1);  // at index serial_
}

RpcEndpoint::~RpcEndpoint() {
  LiveEndpoints()[serial_] = 0;
  sim_.Cancel(deadline_timer_);
}

MethodId RpcEndpoint::IdOf(const char* name) {
  for (const auto& [address, id] : method_ids_) {
    if (address == name) return id;
  }
  const MethodId id = InternMethod(name);
  method_ids_.push_back({name, id});
  return id;
}

void RpcEndpoint::CallRaw(NodeId to, std::string_view method, std::string_view body,
                          Duration timeout, RawDone done) {
  StartCall(
      to, InternMethod(method), [body](std::string* out) { out->assign(body); }, timeout,
      std::move(done));
}

void RpcEndpoint::StartCall(NodeId to, MethodId method,
                            absl::FunctionRef<void(std::string*)> write_body, Duration timeout,
                            RawDone done) {
  if (next_call_id_ - first_call_id_ == calls_.size()) GrowCalls();
  const uint64_t call_id = next_call_id_++;
  calls_[call_id & (calls_.size() - 1)] = PendingCall{std::move(done), to, method};
  deadlines_.push({AddSaturating(sim_.Now(), timeout), call_id});
  ++active_calls_;
  ArmDeadlineTimer();
  Packet& p = network_.NewPacket();
  p.from = self_;
  p.to = to;
  p.kind = PacketKind::kRequest;
  p.call_id = call_id;
  p.method = method;
  p.from_incarnation = incarnation_;
  write_body(&p.body);
  send_(p);
}

void RpcEndpoint::ArmDeadlineTimer() {
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

void RpcEndpoint::ExpireDeadlines() {
  while (!deadlines_.empty() && deadlines_.top().first <= sim_.Now()) {
    const uint64_t call_id = deadlines_.top().second;
    deadlines_.pop();
    const PendingCall* call = FindPending(call_id);
    if (call == nullptr) continue;  // completed in time
    const std::string message =
        absl::StrCat(MethodName(call->method), " to node ", call->peer, " timed out");
    Complete(call_id, absl::DeadlineExceededError(message));
  }
  ArmDeadlineTimer();
}

void RpcEndpoint::HandleRaw(std::string_view method, RawHandler handler) {
  SetHandler(InternMethod(method), std::move(handler));
}

void RpcEndpoint::SetHandler(MethodId method, RawHandler handler) {
  if (method >= handlers_.size()) handlers_.resize(method + 1);
  if (method == running_handler_) {
    // Replacing the handler that is running now (a handler that re-registers
    // itself) would destroy it mid-call: swap it in once it returns.
    replacement_handler_ = std::move(handler);
    return;
  }
  // An empty handler unregisters the method.
  handlers_[method] = handler ? std::make_unique<RawHandler>(std::move(handler)) : nullptr;
}

void RpcEndpoint::GrowCalls() {
  std::vector<PendingCall> bigger(std::max<size_t>(8, 2 * calls_.size()));
  for (uint64_t id = first_call_id_; id < next_call_id_; ++id) {
    bigger[id & (bigger.size() - 1)] = std::move(calls_[id & (calls_.size() - 1)]);
  }
  calls_ = std::move(bigger);
}

void RpcEndpoint::Complete(uint64_t call_id, absl::StatusOr<std::string_view> result) {
  PendingCall* call = FindPending(call_id);
  if (call == nullptr) return;
  RawDone done = std::move(call->done);
  call->done = nullptr;
  --active_calls_;
  while (first_call_id_ < next_call_id_ && !calls_[first_call_id_ & (calls_.size() - 1)].done) {
    ++first_call_id_;
  }
  done(std::move(result));
}

void RpcEndpoint::SendReply(NodeId to, uint64_t to_incarnation, uint64_t call_id, MethodId method,
                            const absl::Status& status,
                            absl::FunctionRef<void(std::string*)> write_body) {
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
    write_body(&p.body);
  } else {
    p.status_message.assign(status.message().data(), status.message().size());
  }
  send_(p);
}

void RpcEndpoint::OnPacket(const Packet& packet) {
  if (packet.kind == PacketKind::kReply) {
    if (FindPending(packet.call_id) == nullptr) {
      sim_.trace().Record(sim_.Now(), TraceKind::kLog, self_, packet.from,
                          "late or duplicate reply ignored", packet.call_id);
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
  RawResponder::State* state = RawResponder::NewState();
  state->endpoint = this;
  state->endpoint_serial = serial_;
  state->caller = packet.from;
  state->caller_incarnation = packet.from_incarnation;
  state->call_id = packet.call_id;
  state->method = packet.method;
  RawResponder responder(state);
  if (packet.method >= handlers_.size() || handlers_[packet.method] == nullptr) {
    responder.Fail(absl::UnimplementedError(
        absl::StrCat("no handler for ", MethodName(packet.method), " on node ", self_)));
    return;
  }
  // Nodes cannot reach the world, so a handler cannot destroy this endpoint;
  // it can only replace itself, which SetHandler defers until it returns.
  running_handler_ = packet.method;
  (*handlers_[packet.method])(packet.body, std::move(responder));
  running_handler_ = kNoneRunning;
  if (replacement_handler_.has_value()) {
    RawHandler replacement = std::move(*replacement_handler_);
    replacement_handler_.reset();
    SetHandler(packet.method, std::move(replacement));
  }
}

}  // namespace auroralab
