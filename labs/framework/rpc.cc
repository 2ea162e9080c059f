#include "labs/framework/rpc.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace auroralab {
namespace {

// The poisoned request blocks still kept inaccessible, oldest first, in a
// fixed array so that the fault handler can read it without allocating.
struct PoisonedBlock {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  const char* method = nullptr;
};
constexpr size_t kPoisonedKept = 4096;
PoisonedBlock poisoned[kPoisonedKept];
size_t poisoned_next = 0;  // where the next block goes (the oldest is there)
struct sigaction previous_segv;
struct sigaction previous_bus;

size_t PageRound(size_t bytes) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

void WriteStderr(const char* text) {
  const ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

// Names the broken rule if the fault is in a poisoned request, then hands
// the signal to whoever handled it before (a crash reporter, ASan, the
// default action): returning re-runs the faulting access under that handler.
void OnFault(int sig, siginfo_t* info, void*) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (const PoisonedBlock& block : poisoned) {
    if (address >= block.begin && address < block.end) {
      WriteStderr("\nauroralab: the request of a ");
      WriteStderr(block.method);
      WriteStderr(" handler was ");
      WriteStderr(rpc_internal::kUseAfterHandlerMessage);
      WriteStderr(" (see \"Handlers\" in docs/framework.md).\n");
      break;
    }
  }
  sigaction(sig, sig == SIGBUS ? &previous_bus : &previous_segv, nullptr);
}

void InstallFaultHandler() {
  static const bool installed = [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv);
    sigaction(SIGBUS, &action, &previous_bus);
    return true;
  }();
  (void)installed;
}

// live_endpoints[serial]: whether the endpoint with that serial number is
// alive. Serials are dense (one per node incarnation), so a byte each is
// cheaper than a hash set, and no lookup needs hashing.
std::vector<uint8_t>& LiveEndpoints() {
  static auto* live = new std::vector<uint8_t>(1, 0);
  return *live;
}

}  // namespace

void* rpc_internal::AllocatePoisonable(size_t bytes) {
  const size_t length = PageRound(bytes);
  // Once the ring of poisoned blocks is full, its oldest block is reused
  // (made accessible again) instead of mapping a new one: one mprotect per
  // request rather than a map and an unmap.
  PoisonedBlock& oldest = poisoned[poisoned_next];
  if (oldest.begin != 0 && oldest.end - oldest.begin == length) {
    void* block = reinterpret_cast<void*>(oldest.begin);
    oldest = PoisonedBlock();
    if (mprotect(block, length, PROT_READ | PROT_WRITE) == 0) return block;
    munmap(block, length);
  }
  void* block = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) {
    std::fprintf(stderr, "auroralab: out of memory for a request message\n");
    std::abort();
  }
  return block;
}

void rpc_internal::Poison(void* block, size_t bytes, const char* method) {
  InstallFaultHandler();
  const size_t length = PageRound(bytes);
  mprotect(block, length, PROT_NONE);
  PoisonedBlock& slot = poisoned[poisoned_next];
  if (slot.begin != 0) munmap(reinterpret_cast<void*>(slot.begin), slot.end - slot.begin);
  slot = PoisonedBlock{reinterpret_cast<uintptr_t>(block),
                       reinterpret_cast<uintptr_t>(block) + length, method};
  poisoned_next = (poisoned_next + 1) % kPoisonedKept;
}

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
  Send(absl::OkStatus(), [body](std::string* out) {
    if (body.size() > kMaxMessageBytes) return false;
    out->assign(body);
    return true;
  });
}

void RawResponder::ReplyWith(BodyWriter write_body) const { Send(absl::OkStatus(), write_body); }

void RawResponder::Fail(const absl::Status& status) const {
  // An OK "failure" would look like an empty reply; make the bug visible.
  Send(status.ok() ? absl::InternalError("Fail() called with an OK status") : status,
       [](std::string*) { return true; });
}

void RawResponder::Send(const absl::Status& status, BodyWriter write_body) const {
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

RpcEndpoint::~RpcEndpoint() { Close(); }

void RpcEndpoint::Close() {
  closed_ = true;
  LiveEndpoints()[serial_] = 0;
  sim_.Cancel(deadline_timer_);
  deadline_timer_ = kNoEvent;
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
      to, InternMethod(method),
      [body](std::string* out) {
        if (body.size() > kMaxMessageBytes) return false;
        out->assign(body);
        return true;
      },
      timeout, std::move(done));
}

void RpcEndpoint::StartCall(NodeId to, MethodId method, BodyWriter write_body, Duration timeout,
                            RawDone done) {
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

void RpcEndpoint::ArmDeadlineTimer() {
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

void RpcEndpoint::ExpireDeadlines() {
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

void RpcEndpoint::HandleRaw(std::string_view method, RawHandler handler) {
  SetHandler(InternMethod(method), std::move(handler));
}

void RpcEndpoint::SetHandler(MethodId method, RawHandler handler) {
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

RpcEndpoint::PendingCall* RpcEndpoint::FindOldCall(uint64_t call_id) {
  if (old_calls_.empty()) return nullptr;
  auto it = old_calls_.find(call_id);
  return it == old_calls_.end() ? nullptr : &it->second;
}

void RpcEndpoint::AdvanceFirstCall() {
  while (first_call_id_ < next_call_id_ && !calls_[first_call_id_ & (calls_.size() - 1)].done) {
    ++first_call_id_;
  }
}

void RpcEndpoint::MakeRoomForACall() {
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

void RpcEndpoint::Complete(uint64_t call_id, absl::StatusOr<std::string_view> result) {
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

void RpcEndpoint::SendReply(NodeId to, uint64_t to_incarnation, uint64_t call_id, MethodId method,
                            const absl::Status& status, BodyWriter write_body) {
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

void RpcEndpoint::OnPacket(const Packet& packet) {
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
  RawResponder::State* state = RawResponder::NewState();
  state->endpoint = this;
  state->endpoint_serial = serial_;
  state->caller = packet.from;
  state->caller_incarnation = packet.from_incarnation;
  state->call_id = packet.call_id;
  state->method = packet.method;
  RawResponder responder(state);
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
    SetHandler(packet.method, std::move(replacement));
  }
}

}  // namespace auroralab
