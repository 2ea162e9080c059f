#include "labs/framework/rpc.h"

#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace auroralab {
namespace {

// Serial numbers of the endpoints alive now. Looked up, never iterated.
absl::flat_hash_set<uint64_t>& LiveEndpoints() {
  static auto* live = new absl::flat_hash_set<uint64_t>();
  return *live;
}
uint64_t next_endpoint_serial = 1;

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

void RawResponder::Release() {
  if (state_ == nullptr || --state_->refs > 0) return;
  FreeStates().push_back(state_);  // reused, string buffer and all
  state_ = nullptr;
}

void RawResponder::Reply(std::string body) const { Send(absl::OkStatus(), std::move(body)); }

void RawResponder::Fail(const absl::Status& status) const {
  // An OK "failure" would look like an empty reply; make the bug visible.
  Send(status.ok() ? absl::InternalError("Fail() called with an OK status") : status, "");
}

void RawResponder::Send(absl::Status status, std::string body) const {
  if (!LiveEndpoints().contains(state_->endpoint_serial)) {
    return;  // our incarnation crashed: the reply dies with it
  }
  RpcEndpoint& ep = *state_->endpoint;
  if (state_->replied) {
    ep.sim_.trace().Record(ep.sim_.Now(), TraceKind::kLog, ep.self_, state_->caller,
                           absl::StrCat("second reply to ", state_->method, " ignored"),
                           state_->call_id);
    return;
  }
  state_->replied = true;
  ep.SendReply(state_->caller, state_->caller_incarnation, state_->call_id, state_->method,
               status, std::move(body));
}

RpcEndpoint::RpcEndpoint(Simulator& sim, NodeId self, uint64_t incarnation, SendFn send)
    : sim_(sim),
      self_(self),
      incarnation_(incarnation),
      send_(std::move(send)),
      serial_(next_endpoint_serial++) {
  LiveEndpoints().insert(serial_);
}

RpcEndpoint::~RpcEndpoint() {
  LiveEndpoints().erase(serial_);
  sim_.Cancel(deadline_timer_);
}

void RpcEndpoint::CallRaw(NodeId to, std::string_view method, std::string body,
                          Duration timeout, RawDone done) {
  const uint64_t call_id = next_call_id_++;
  deadlines_.push({AddSaturating(sim_.Now(), timeout), call_id});
  pending_.push_back(PendingCall{std::move(done), to, std::string(method)});
  ++active_calls_;
  ArmDeadlineTimer();
  Packet p;
  p.from = self_;
  p.to = to;
  p.kind = PacketKind::kRequest;
  p.call_id = call_id;
  p.method = std::string(method);
  p.from_incarnation = incarnation_;
  p.body = std::move(body);
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
    const std::string message = absl::StrCat(call->method, " to node ", call->peer, " timed out");
    Complete(call_id, absl::DeadlineExceededError(message));
  }
  ArmDeadlineTimer();
}

void RpcEndpoint::HandleRaw(std::string_view method, RawHandler handler) {
  handlers_[std::string(method)] = std::move(handler);
}

RpcEndpoint::PendingCall* RpcEndpoint::FindPending(uint64_t call_id) {
  if (call_id < first_call_id_ || call_id - first_call_id_ >= pending_.size()) return nullptr;
  PendingCall& call = pending_[call_id - first_call_id_];
  return call.done ? &call : nullptr;
}

void RpcEndpoint::Complete(uint64_t call_id, absl::StatusOr<std::string> result) {
  PendingCall* call = FindPending(call_id);
  if (call == nullptr) return;
  RawDone done = std::move(call->done);
  call->done = nullptr;
  --active_calls_;
  while (!pending_.empty() && !pending_.front().done) {
    pending_.pop_front();
    ++first_call_id_;
  }
  done(std::move(result));
}

void RpcEndpoint::SendReply(NodeId to, uint64_t to_incarnation, uint64_t call_id,
                            std::string_view method, const absl::Status& status,
                            std::string body) {
  Packet p;
  p.from = self_;
  p.to = to;
  p.from_incarnation = incarnation_;
  p.to_incarnation = to_incarnation;
  p.kind = PacketKind::kReply;
  p.call_id = call_id;
  p.method = std::string(method);
  p.status_code = static_cast<int>(status.code());
  p.status_message = std::string(status.message());
  p.body = std::move(body);
  send_(p);
}

void RpcEndpoint::OnPacket(Packet& packet) {
  if (packet.kind == PacketKind::kReply) {
    if (FindPending(packet.call_id) == nullptr) {
      sim_.trace().Record(sim_.Now(), TraceKind::kLog, self_, packet.from,
                          "late or duplicate reply ignored", packet.call_id);
      return;
    }
    const auto code = static_cast<absl::StatusCode>(packet.status_code);
    if (code == absl::StatusCode::kOk) {
      Complete(packet.call_id, std::move(packet.body));
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
  auto it = handlers_.find(packet.method);
  if (it == handlers_.end()) {
    responder.Fail(absl::UnimplementedError(
        absl::StrCat("no handler for ", packet.method, " on node ", self_)));
    return;
  }
  it->second(packet.body, std::move(responder));
}

}  // namespace auroralab

