// INTERNAL (engine): the simulated network's RpcEndpoint, behind rpc.h.
//
// One SimRpcEndpoint per node incarnation. It keeps the calls in flight in
// a ring indexed by call id, one simulator event for the earliest deadline,
// the handlers by interned method id, and hands each request a recycled
// Route (the engine's side of RawResponder). Performance matters here:
// `./lab bench` measures round trips through it.
//
// Only the engine (world.cc) creates endpoints: it hands them arriving
// packets (OnPacket) and closes them when their node crashes (Close).
// Tests of the engine may reach an endpoint's bookkeeping through
// AsSimRpcEndpoint(ctx.rpc()).
#ifndef AURORALAB_LABS_FRAMEWORK_INTERNAL_SIM_RPC_ENDPOINT_H_
#define AURORALAB_LABS_FRAMEWORK_INTERNAL_SIM_RPC_ENDPOINT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/network.h"
#include "labs/framework/rpc.h"
#include "labs/framework/simulator.h"

namespace auroralab {

class SimRpcEndpoint final : public RpcEndpoint {
 public:
  // Hands a packet from network.NewPacket() to the world (which stamps
  // incarnations and sends it).
  using SendFn = std::function<void(Packet&)>;

  SimRpcEndpoint(Simulator& sim, Network& network, NodeId self, uint64_t incarnation, SendFn send);
  ~SimRpcEndpoint() override;

  void CallRaw(NodeId to, std::string_view method, std::string_view body, Duration timeout,
               RawDone done) override;
  void HandleRaw(std::string_view method, RawHandler handler) override;
  size_t pending_calls() const override { return active_calls_; }

  // Called by the world with a packet addressed to this incarnation. The
  // packet stays the network's.
  void OnPacket(const Packet& packet);

  // Closes the endpoint of a crashed incarnation: no callback runs, nothing
  // is sent and no reply goes out from now on. Called by the world; the
  // endpoint itself may be freed only after the running event.
  void Close();

  // For tests that memory follows what is live: places in the pending-call
  // ring, and handler slots.
  size_t TEST_call_ring_size() const { return calls_.size(); }
  size_t TEST_handler_slots() const { return handlers_.size(); }

 protected:
  void StartCall(NodeId to, const char* method, BodyWriter write_body, Duration timeout,
                 RawDone done) override {
    StartCallById(to, IdOf(method), write_body, timeout, std::move(done));
  }
  void SetHandler(const char* method, RawHandler handler) override {
    SetHandlerById(IdOf(method), std::move(handler));
  }

 private:
  // One request's route back to its caller, recycled through a free list:
  // a request costs neither an allocation nor an atomic operation.
  class Route final : public rpc_internal::ReplyRoute {
   public:
    NodeId caller() const override { return caller_; }
    const std::string& method() const override { return MethodName(method_); }
    void Send(const absl::Status& status, BodyWriter write_body) override;
    void Recycle() override;

   private:
    friend class SimRpcEndpoint;
    // Used only while the endpoint with this serial number is alive: it
    // dies with its node's incarnation, and so do its replies.
    SimRpcEndpoint* endpoint_ = nullptr;
    uint64_t endpoint_serial_ = 0;
    NodeId caller_ = -1;
    uint64_t caller_incarnation_ = 0;
    uint64_t call_id_ = 0;
    MethodId method_ = kNoMethod;
    bool replied_ = false;
  };
  // A route for one request, from the free list, with no references yet.
  static Route* NewRoute();
  static std::vector<Route*>& FreeRoutes();

  struct PendingCall {
    RawDone done;  // empty once the call has completed
    NodeId peer;
    MethodId method;  // for the timeout message
    Time deadline;
  };
  // The interned id of a method name with static storage, remembered by
  // the name's address.
  MethodId IdOf(const char* name);
  void StartCallById(NodeId to, MethodId method, BodyWriter write_body, Duration timeout,
                     RawDone done);
  void SetHandlerById(MethodId method, RawHandler handler);
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
  // Routes check that this serial is still alive before using `this`.
  uint64_t serial_;
  bool closed_ = false;
};

// The engine's endpoint behind a node's ctx.rpc() (every endpoint a World
// hands out is one), for tests of the engine's bookkeeping.
inline SimRpcEndpoint& AsSimRpcEndpoint(RpcEndpoint& rpc) {
  return static_cast<SimRpcEndpoint&>(rpc);
}

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_INTERNAL_SIM_RPC_ENDPOINT_H_
