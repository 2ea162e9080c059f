// End-to-end tests of the database tier inside a World: the engine, the
// workloads and the checkers over the in-memory fake storage, on several
// seeds (AURORALAB_SEEDS=K for more). This is the shape a lab's tests take,
// with the lab's storage in place of the fake.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/aurora/checkers.h"
#include "labs/aurora/engine.h"
#include "labs/aurora/fake_storage.h"
#include "labs/aurora/workload.h"
#include "labs/framework/sim_test.h"
#include "labs/framework/world.h"

namespace auroralab::aurora {
namespace {

// What the test observes of the sink: every durability signal and, for each
// record, the VDL when it was appended. Owned by the test.
struct SinkLog {
  std::vector<std::pair<Time, Lsn>> signals;
  std::vector<std::pair<Lsn, Lsn>> appended;  // (record LSN, VDL at append)
};

// A RedoLogSink that forwards to another and notes what passes through.
class TappedSink : public RedoLogSink {
 public:
  TappedSink(NodeContext& ctx, InMemoryStorage& inner, SinkLog& log)
      : ctx_(ctx), inner_(inner), log_(log) {}
  absl::StatusOr<std::vector<RedoRecord>> Append(std::vector<RedoRecord> mtr) override {
    const Lsn vdl = inner_.vdl();
    absl::StatusOr<std::vector<RedoRecord>> numbered = inner_.Append(std::move(mtr));
    if (numbered.ok()) {
      for (const RedoRecord& r : *numbered) log_.appended.push_back({r.lsn(), vdl});
    }
    return numbered;
  }
  void SetDurableListener(DurableListener listener) override {
    inner_.SetDurableListener([this, listener](Lsn vdl) {
      log_.signals.push_back({ctx_.Now(), vdl});
      listener(vdl);
    });
  }

 private:
  NodeContext& ctx_;
  InMemoryStorage& inner_;
  SinkLog& log_;
};

struct DbSetup {
  EngineOptions engine;
  InMemoryStorageOptions storage;
  WorkloadOptions workload;
  DbHistory history;
  SinkLog sink;
};

// The writer node: fake storage, engine and workload, started at once.
class Writer : public Node {
 public:
  Writer(NodeContext& ctx, DbSetup& setup) : Node(ctx), setup_(setup) {}
  void Start() override {
    storage_ = std::make_unique<InMemoryStorage>(ctx(), setup_.storage);
    tap_ = std::make_unique<TappedSink>(ctx(), *storage_, setup_.sink);
    EngineOptions options = setup_.engine;
    options.history = &setup_.history;
    engine_ = std::make_unique<Engine>(ctx(), options, *tap_, *storage_);
    workload_ = std::make_unique<Workload>(ctx(), *engine_, setup_.workload);
    workload_->Start();
  }
  Engine& engine() { return *engine_; }
  Workload& workload() { return *workload_; }

 private:
  DbSetup& setup_;
  std::unique_ptr<InMemoryStorage> storage_;
  std::unique_ptr<TappedSink> tap_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Workload> workload_;
};

// Runs the workload to its end and checks what every test of this file
// expects: it finished without failures, the history passes the durability
// checker, commits were acknowledged in LSN order and only once a
// durability signal had reached them.
Writer& RunToEnd(World& world, DbSetup& setup) {
  const NodeId id = world.AddNode(
      "writer", 0, [&setup](NodeContext& ctx) { return std::make_unique<Writer>(ctx, setup); });
  Writer& writer = world.node<Writer>(id);
  EXPECT_TRUE(world.RunUntil([&] { return writer.workload().done(); }, Seconds(30)))
      << "the workload did not finish: " << writer.workload().stats().committed << " committed, "
      << writer.engine().queued_mtrs() << " MTRs queued";
  const WorkloadStats& stats = writer.workload().stats();
  EXPECT_EQ(stats.failed, 0);
  EXPECT_OK(stats.first_violation);
  EXPECT_OK(CheckDurability(setup.history));
  EXPECT_FALSE(setup.history.reads.empty());

  Lsn previous = kNoLsn;
  size_t signal = 0;
  Lsn vdl = kNoLsn;
  for (const AckedCommit& ack : setup.history.acked) {
    EXPECT_GT(ack.commit_lsn, previous) << "acknowledgements out of LSN order";
    previous = ack.commit_lsn;
    // The VDL signalled up to the acknowledgement (signals and acks are in
    // time order; an ack happens inside its signal).
    while (signal < setup.sink.signals.size() && setup.sink.signals[signal].first <= ack.acked_at) {
      vdl = std::max(vdl, setup.sink.signals[signal++].second);
    }
    EXPECT_GE(vdl, ack.commit_lsn) << "transaction " << ack.txn << " acknowledged at "
                                   << FormatTime(ack.acked_at) << " with VDL only " << vdl;
  }
  return writer;
}

TEST(EngineInWorld, KeyValuePutsAreDurableAndReadBackWhole) {
  RunSeeds([](World& world) {
    DbSetup setup;
    setup.engine.layout = *VolumeLayout::Create(16, 4);
    setup.workload.kind = WorkloadKind::kKvPuts;
    setup.workload.clients = 4;
    setup.workload.transactions = 25;
    setup.workload.keys_per_put = 3;
    Writer& writer = RunToEnd(world, setup);
    EXPECT_EQ(writer.workload().stats().committed, 100);
    EXPECT_EQ(setup.history.acked.size(), 100u);
    // A final snapshot equals the last committed value of every key.
    std::optional<absl::StatusOr<std::vector<PageImage>>> snapshot;
    writer.engine().ReadSnapshot({1, 2, 3, 4}, [&](auto r) { snapshot = std::move(r); });
    ASSERT_TRUE(world.RunUntil([&] { return snapshot.has_value(); }, Seconds(1)));
    ASSERT_OK(*snapshot);
    std::map<std::string, std::string> last;
    for (const RedoRecord& r : setup.history.records) {
      if (r.kind() == PUT) last[r.change().key()] = r.change().new_value();
    }
    int slots = 0;
    for (const PageImage& page : **snapshot) {
      for (const Slot& slot : page.slots()) {
        EXPECT_EQ(slot.value(), last[slot.key()]) << slot.key();
        ++slots;
      }
    }
    EXPECT_EQ(slots, static_cast<int>(last.size()));
  });
}

TEST(EngineInWorld, BankTransfersKeepTheTotal) {
  RunSeeds([](World& world) {
    DbSetup setup;
    setup.engine.layout = *VolumeLayout::Create(12, 4);
    setup.workload.kind = WorkloadKind::kBank;
    setup.workload.clients = 6;
    setup.workload.transactions = 30;
    setup.workload.initial_balance = 50;
    setup.workload.max_transfer = 40;
    setup.workload.audit_interval = Millis(2);
    Writer& writer = RunToEnd(world, setup);
    const WorkloadStats& stats = writer.workload().stats();
    EXPECT_EQ(stats.committed + stats.declined, 1 + 6 * 30);
    EXPECT_GT(stats.committed, 1 + 6 * 30 / 2) << "most transfers should go through";
    EXPECT_GT(stats.audits, 0);
    std::optional<absl::StatusOr<std::vector<PageImage>>> snapshot;
    writer.engine().ReadSnapshot({1, 2, 3}, [&](auto r) { snapshot = std::move(r); });
    ASSERT_TRUE(world.RunUntil([&] { return snapshot.has_value(); }, Seconds(1)));
    ASSERT_OK(*snapshot);
    EXPECT_OK(CheckBankTotal(**snapshot, 12 * 50));
  });
}

TEST(EngineInWorld, TheAllocationLimitHoldsBackTheWriterButNotForever) {
  RunSeeds([](World& world) {
    DbSetup setup;
    setup.engine.layout = *VolumeLayout::Create(8, 2);
    setup.storage.allocation_limit = 4;
    setup.storage.max_delay = Millis(5);
    setup.workload.kind = WorkloadKind::kKvPuts;
    setup.workload.clients = 5;
    setup.workload.transactions = 10;
    setup.workload.think_time = 0;
    setup.workload.keys_per_put = 2;
    Writer& writer = RunToEnd(world, setup);
    EXPECT_EQ(writer.workload().stats().committed, 50);
    for (const auto& [lsn, vdl] : setup.sink.appended) {
      EXPECT_LE(lsn, vdl + 4) << "LSN allocated beyond VDL + LAL";
    }
  });
}

TEST(EngineInWorld, TheSameSeedGivesTheSameRun) {
  RunSeeds([](World& world) {
    auto run = [](World& w) {
      auto setup = std::make_unique<DbSetup>();
      setup->workload.kind = WorkloadKind::kBank;
      RunToEnd(w, *setup);
      std::string log;
      for (const RedoRecord& r : setup->history.records) log += r.SerializeAsString();
      return std::make_pair(std::move(setup), log);
    };
    auto [first_setup, first_log] = run(world);
    World replay(WorldOptions{.seed = world.seed()});
    auto [replay_setup, replay_log] = run(replay);
    EXPECT_EQ(first_log, replay_log);
    EXPECT_EQ(replay.trace().digest(), world.trace().digest());
    World other(WorldOptions{.seed = world.seed() + 1000});
    auto [other_setup, other_log] = run(other);
    EXPECT_NE(other_log, first_log);
  });
}

}  // namespace
}  // namespace auroralab::aurora
