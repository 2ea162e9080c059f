#include "labs/framework/world.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/internal/sim_node_context.h"

namespace auroralab {

SimNodeContext::SimNodeContext(World& world, NodeId id, uint64_t incarnation, Rng rng)
    : NodeContext(id, incarnation),
      world_(world),
      rng_(rng),
      alive_(std::make_shared<bool>(true)),
      rpc_(world.sim_, world.network_, id, incarnation, [&world](Packet& p) { world.SendFrom(p); }),
      disk_(world.sim_, *world.nodes_[id].disk, world.options_.disk, rng_, id) {}

SimNodeContext::~SimNodeContext() { *alive_ = false; }

void SimNodeContext::Close() {
  *alive_ = false;
  rpc_.Close();
  disk_.Close();
}

const std::string& SimNodeContext::name() const { return world_.name(id()); }
int SimNodeContext::az() const { return world_.az(id()); }
Time SimNodeContext::Now() const { return world_.Now(); }

EventId SimNodeContext::SetTimer(Duration delay, std::function<void()> fn) {
  Simulator* sim = &world_.sim_;
  return sim->Schedule(delay, [sim, id = id(), alive = alive_, fn = std::move(fn)] {
    if (!*alive) return;
    sim->trace().Record(sim->Now(), TraceKind::kTimer, id, -1, "");
    fn();
  });
}

void SimNodeContext::CancelTimer(EventId id) { world_.sim_.Cancel(id); }

void SimNodeContext::Log(std::string_view message) {
  world_.trace().Record(Now(), TraceKind::kLog, id(), -1, message);
}

absl::Status ValidateWorldOptions(const WorldOptions& options) {
  if (absl::Status s = ValidateNetworkConfig(options.network); !s.ok()) return s;
  return ValidateDiskConfig(options.disk);
}

namespace {
// Options are checked before anything is built from them.
const WorldOptions& CheckedOptions(const WorldOptions& options) {
  if (absl::Status s = ValidateWorldOptions(options); !s.ok()) {
    std::fprintf(stderr, "auroralab: invalid WorldOptions: %s\n", std::string(s.message()).c_str());
    std::abort();
  }
  return options;
}
}  // namespace

World::World(WorldOptions options)
    : options_(CheckedOptions(options)), sim_(options_.seed), network_(sim_, options_.network) {
  sim_.trace().set_keep_events(options_.keep_trace);
  sim_.trace().set_keep_last(options_.trace_keep_last);
  network_.set_deliver([this](Packet& p) { Deliver(p); });
}

World::~World() {
  // Destroy nodes before the simulator and network they point into.
  crashed_.clear();
  for (NodeSlot& slot : nodes_) {
    slot.instance.reset();
    slot.ctx.reset();
  }
}

NodeId World::AddNode(std::string name, int az, NodeFactory factory) {
  const NodeId id = static_cast<NodeId>(nodes_.size());
  NodeSlot slot;
  slot.name = std::move(name);
  slot.az = az;
  slot.factory = std::move(factory);
  slot.disk = std::make_unique<DiskState>();
  trace().SetNodeName(id, slot.name);
  nodes_.push_back(std::move(slot));
  network_.AddNode(id, az);
  StartIncarnation(id);
  return id;
}

std::vector<NodeId> World::NodesInAz(int az) const {
  std::vector<NodeId> ids;
  for (NodeId id = 0; id < num_nodes(); ++id) {
    if (nodes_[id].az == az) ids.push_back(id);
  }
  return ids;
}

void World::StartIncarnation(NodeId id) {
  NodeSlot& slot = nodes_[id];
  ++slot.incarnation;
  slot.ctx = std::make_unique<SimNodeContext>(*this, id, slot.incarnation, sim_.rng().Fork());
  slot.instance = slot.factory(*slot.ctx);
  if (slot.instance == nullptr) {
    std::fprintf(stderr, "auroralab: the factory for node %s returned null\n", slot.name.c_str());
    std::abort();
  }
  slot.instance->Start();
}

void World::Crash(NodeId id) { CrashFor(FaultOwner::kTest, id); }

void World::CrashFor(FaultOwner owner, NodeId id) {
  NodeSlot& slot = nodes_.at(id);
  slot.down_owners |= 1u << static_cast<int>(owner);
  CrashNow(id);
}

void World::RestartFor(FaultOwner owner, NodeId id) {
  NodeSlot& slot = nodes_.at(id);
  slot.down_owners &= ~(1u << static_cast<int>(owner));
  if (slot.down_owners == 0) Restart(id);
}

void World::FailNextSyncs(NodeId id, int n) {
  nodes_.at(id).disk->fail_next_syncs_ = std::max(n, 0);
  trace().Record(Now(), TraceKind::kDisk, id, -1, absl::StrCat("fail the next ", n, " syncs"));
}

void World::FailNextWrites(NodeId id, int n) {
  nodes_.at(id).disk->fail_next_writes_ = std::max(n, 0);
  trace().Record(Now(), TraceKind::kDisk, id, -1, absl::StrCat("fail the next ", n, " writes"));
}

void World::CrashNow(NodeId id) {
  NodeSlot& slot = nodes_.at(id);
  if (slot.instance == nullptr) return;
  trace().Record(Now(), TraceKind::kCrash, id, -1, absl::StrCat("incarnation ", slot.incarnation));
  // The crashed node's code may be running right now (it crashed itself
  // from a handler, callback or timer): close it at once, free it only
  // after the running event.
  slot.ctx->Close();
  crashed_.push_back(Crashed{std::move(slot.ctx), std::move(slot.instance)});
  if (!sim_.in_event()) {
    FreeCrashed();
  } else if (!free_crashed_scheduled_) {
    free_crashed_scheduled_ = true;
    sim_.Schedule(0, [this] {
      free_crashed_scheduled_ = false;
      FreeCrashed();
    });
  }
  Rng disk_rng = sim_.rng().Fork();
  const std::string lost = slot.disk->Crash(disk_rng, options_.disk.torn_write_probability);
  trace().Record(Now(), TraceKind::kDisk, id, -1, lost);
}

void World::FreeCrashed() { crashed_.clear(); }

void World::Restart(NodeId id) {
  NodeSlot& slot = nodes_.at(id);
  slot.down_owners = 0;
  if (slot.instance != nullptr) return;
  trace().Record(Now(), TraceKind::kRestart, id, -1,
                 absl::StrCat("incarnation ", slot.incarnation + 1));
  StartIncarnation(id);
}

void World::SendFrom(Packet& packet) {
  if (packet.kind == PacketKind::kRequest && packet.to >= 0 && packet.to < num_nodes()) {
    packet.to_incarnation = nodes_[packet.to].incarnation;
  }
  network_.Send(std::move(packet));
}

void World::Deliver(Packet& packet) {
  NodeSlot& slot = nodes_[packet.to];
  if (slot.instance == nullptr) {
    trace().Record(Now(), TraceKind::kDrop, packet.from, packet.to, "receiver is down",
                   packet.call_id, packet.kind == PacketKind::kReply);
    return;
  }
  if (packet.to_incarnation != slot.incarnation) {
    trace().Record(Now(), TraceKind::kDrop, packet.from, packet.to,
                   "receiver restarted since the send", packet.call_id,
                   packet.kind == PacketKind::kReply);
    return;
  }
  const InternedMethod& method = GetMethod(packet.method);
  trace().RecordHashed(Now(), TraceKind::kDeliver, packet.to, packet.from, method.name,
                       method.trace_hash, packet.call_id, packet.kind == PacketKind::kReply);
  slot.ctx->endpoint().OnPacket(packet);
  if (delivery_observer_) {
    // Copied: the observer may replace or clear itself.
    const std::function<void(const Delivery&)> observer = delivery_observer_;
    observer(Delivery{
        .from = packet.from,
        .to = packet.to,
        .method = method.name,
        .reply = packet.kind == PacketKind::kReply,
        .ok = packet.kind != PacketKind::kReply || packet.status_code == 0,
    });
  }
}

void World::SetDeliveryObserver(std::function<void(const Delivery&)> observer) {
  delivery_observer_ = std::move(observer);
}

void World::CrashAfterEvents(NodeId id, uint64_t n) {
  nodes_.at(id);  // an unknown node is a test bug: fail here, not later
  const uint64_t target = sim_.events_run() + std::max<uint64_t>(n, 1);
  sim_.SetAfterEvent([this, id, target] {
    if (sim_.events_run() < target) return;
    sim_.SetAfterEvent(nullptr);
    trace().Record(Now(), TraceKind::kLog, -1, -1,
                   absl::StrCat("crash point: after event ", target));
    Crash(id);
  });
}

void World::NodeTypeError(NodeId id) const {
  std::fprintf(stderr, "auroralab: node %d (%s) is %s\n", id, nodes_.at(id).name.c_str(),
               nodes_.at(id).instance ? "not of the requested type" : "down");
  std::abort();
}

void World::At(Time when, std::string description, std::function<void()> action) {
  sim_.ScheduleAt(when, [this, description = std::move(description),
                         action = std::move(action)] {
    trace().Record(Now(), TraceKind::kLog, -1, -1, description);
    action();
  });
}

bool World::RunUntil(const std::function<bool()>& done, Duration max) {
  // Saturating: RunUntil(done, kForever) must not overflow into the past.
  return sim_.RunUntil(done, AddSaturating(Now(), max));
}

namespace {

struct NemesisState {
  World* world;
  NemesisOptions options;
  Rng rng;
};

void NemesisStep(const std::shared_ptr<NemesisState>& state);

// Applies one random fault and returns how to undo it.
std::function<void()> ApplyRandomFault(NemesisState& s) {
  World& w = *s.world;
  const NemesisOptions& o = s.options;
  std::vector<int> kinds;
  if (o.crashes && !o.targets.empty()) kinds.push_back(0);
  if (o.partitions && !o.targets.empty()) kinds.push_back(1);
  if (o.az_outages) kinds.push_back(2);
  if (o.slow_nodes && !o.targets.empty()) kinds.push_back(3);
  if (kinds.empty()) return [] {};
  // Distinct random targets, at most max_nodes_down of them.
  // (None when there are no targets, e.g. AZ outages only, or when
  // max_nodes_down is 0.)
  std::vector<NodeId> pool = o.targets;
  const int limit = std::min<int>(o.max_nodes_down, static_cast<int>(pool.size()));
  const int count = limit > 0 ? 1 + static_cast<int>(s.rng.Uniform(limit)) : 0;
  std::vector<NodeId> chosen;
  for (int i = 0; i < count; ++i) {
    const size_t j = s.rng.Uniform(pool.size());
    chosen.push_back(pool[j]);
    pool.erase(pool.begin() + j);
  }
  // Every fault is the nemesis's own (FaultOwner::kNemesis), so its undo
  // touches nothing the test did meanwhile.
  constexpr FaultOwner kOwner = FaultOwner::kNemesis;
  switch (kinds[s.rng.Uniform(kinds.size())]) {
    case 0: {
      std::vector<NodeId> crashed;
      for (NodeId n : chosen) {
        if (!w.IsUp(n)) continue;
        w.CrashFor(kOwner, n);
        crashed.push_back(n);
      }
      return [&w, crashed] {
        for (NodeId n : crashed) w.RestartFor(kOwner, n);
      };
    }
    case 1: {
      std::vector<std::pair<NodeId, NodeId>> cut;
      for (NodeId n : chosen) {
        const auto links = w.network().IsolationLinks(n);
        cut.insert(cut.end(), links.begin(), links.end());
        w.network().BlockLinks(links, absl::StrCat("isolate node ", n, " (nemesis)"), kOwner);
      }
      return [&w, cut] { w.network().UnblockLinks(cut, "reconnect (nemesis)", kOwner); };
    }
    case 2: {
      const int az = static_cast<int>(s.rng.Uniform(3));
      auto cut = w.network().AzIsolationLinks(az);
      w.network().BlockLinks(cut, absl::StrCat("isolate AZ ", az, " (nemesis)"), kOwner);
      return [&w, cut, az] {
        w.network().UnblockLinks(cut, absl::StrCat("reconnect AZ ", az, " (nemesis)"), kOwner);
      };
    }
    default: {
      for (NodeId n : chosen) (void)w.network().SetSlow(n, o.slow_multiplier, kOwner);
      return [&w, chosen] {
        for (NodeId n : chosen) (void)w.network().SetSlow(n, 1, kOwner);
      };
    }
  }
}

void NemesisStep(const std::shared_ptr<NemesisState>& state) {
  World& w = *state->world;
  if (w.Now() >= state->options.until) return;
  w.trace().Record(w.Now(), TraceKind::kLog, -1, -1, "nemesis: fault");
  std::function<void()> undo = ApplyRandomFault(*state);
  w.sim().Schedule(state->options.fault_duration, [state, undo = std::move(undo)] {
    state->world->trace().Record(state->world->Now(), TraceKind::kLog, -1, -1, "nemesis: heal");
    undo();
    state->world->sim().Schedule(state->options.interval, [state] { NemesisStep(state); });
  });
}

}  // namespace

void StartNemesis(World& world, NemesisOptions options) {
  if (!(options.slow_multiplier >= 0 && options.slow_multiplier <= kMaxSlowness)) {
    std::fprintf(stderr, "auroralab: NemesisOptions.slow_multiplier %g is not in [0, %g]\n",
                 options.slow_multiplier, kMaxSlowness);
    std::abort();
  }
  auto state = std::make_shared<NemesisState>(
      NemesisState{&world, std::move(options), world.sim().rng().Fork()});
  world.sim().Schedule(state->options.interval, [state] { NemesisStep(state); });
}

}  // namespace auroralab
