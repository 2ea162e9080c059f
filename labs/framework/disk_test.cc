// Tests for the simulated disk (disk.h, sim_disk.h), both on a bare SimDisk +
// DiskState and through World crashes and restarts:
//   - writes are visible at once but durable only after a Sync completes;
//     a crash keeps exactly what was synced (a restarted node sees only that);
//   - a torn write keeps a prefix of an unsynced append, never more than was
//     written, and an unsynced overwrite reverts to the old durable contents;
//   - Sync takes its latency, completes in issue order, covers only the
//     writes issued before it, and its callback never runs for a crashed
//     incarnation;
//   - injected sync and write failures; Remove; List order.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "labs/framework/node.h"
#include "labs/framework/random.h"
#include "labs/framework/sim_disk.h"
#include "labs/framework/simulator.h"
#include "labs/framework/world.h"

namespace auroralab {
namespace {

// A SimDisk on its own DiskState, with a crash that is just DiskState::Crash.
class DiskHarness {
 public:
  explicit DiskHarness(DiskConfig config = DiskConfig(), uint64_t seed = 1)
      : sim(seed), config(config), rng(seed), disk(sim, state, this->config, rng, 0) {}

  // Issues a Sync and runs until it completes; returns its status.
  absl::Status SyncNow() {
    absl::Status result = absl::UnknownError("sync never completed");
    disk.Sync([&result](absl::Status s) { result = s; });
    sim.RunUntilIdle();
    return result;
  }

  void Crash(uint64_t seed = 1) {
    Rng crash_rng(seed);
    state.Crash(crash_rng, config.torn_write_probability);
  }

  std::string Contents(const std::string& file) {
    absl::StatusOr<std::string> r = disk.Read(file);
    return r.ok() ? *r : "<" + r.status().ToString() + ">";
  }

  Simulator sim;
  DiskState state;
  DiskConfig config;
  Rng rng;
  SimDisk disk;
};

DiskConfig NoTornWrites() {
  DiskConfig c;
  c.torn_write_probability = 0;
  return c;
}

DiskConfig AlwaysTornWrites() {
  DiskConfig c;
  c.torn_write_probability = 1;
  return c;
}

TEST(Disk, WritesAreVisibleAtOnce) {
  DiskHarness h;
  ASSERT_TRUE(h.disk.Append("log", "abc").ok());
  ASSERT_TRUE(h.disk.Append("log", "def").ok());
  ASSERT_TRUE(h.disk.Write("meta", "v1").ok());
  EXPECT_TRUE(h.disk.Exists("log"));
  EXPECT_EQ(h.Contents("log"), "abcdef");
  EXPECT_EQ(h.Contents("meta"), "v1");
  ASSERT_TRUE(h.disk.Write("meta", "v2").ok());
  EXPECT_EQ(h.Contents("meta"), "v2");
}

TEST(Disk, ReadOfAMissingFileIsNotFound) {
  DiskHarness h;
  EXPECT_FALSE(h.disk.Exists("nope"));
  EXPECT_EQ(h.disk.Read("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(h.disk.Remove("nope").code(), absl::StatusCode::kNotFound);
}

TEST(Disk, EmptyFileNameIsInvalid) {
  DiskHarness h;
  EXPECT_EQ(h.disk.Append("", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.disk.Write("", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(h.disk.List().empty());
}

TEST(Disk, UnsyncedWritesAreLostAtCrash) {
  DiskHarness h(NoTornWrites());
  ASSERT_TRUE(h.disk.Append("log", "durable").ok());
  ASSERT_TRUE(h.SyncNow().ok());
  ASSERT_TRUE(h.disk.Append("log", "+volatile").ok());
  ASSERT_TRUE(h.disk.Append("never-synced", "abc").ok());
  h.Crash();
  EXPECT_FALSE(h.disk.Exists("never-synced"));
  EXPECT_EQ(h.Contents("log"), "durable");
}

TEST(Disk, SyncedDataSurvivesCrash) {
  DiskHarness h(AlwaysTornWrites());
  ASSERT_TRUE(h.disk.Append("log", "record-1;").ok());
  ASSERT_TRUE(h.disk.Write("meta", "epoch=3").ok());
  ASSERT_TRUE(h.SyncNow().ok());
  h.Crash();
  EXPECT_EQ(h.Contents("log"), "record-1;");
  EXPECT_EQ(h.Contents("meta"), "epoch=3");
  // A second crash with nothing unsynced changes nothing.
  h.Crash(2);
  EXPECT_EQ(h.Contents("log"), "record-1;");
}

TEST(Disk, SyncCoversOnlyWritesIssuedBeforeIt) {
  DiskHarness h(NoTornWrites());
  ASSERT_TRUE(h.disk.Append("log", "A").ok());
  absl::Status status = absl::UnknownError("pending");
  h.disk.Sync([&status](absl::Status s) { status = s; });
  ASSERT_TRUE(h.disk.Append("log", "B").ok());  // after the sync was issued
  ASSERT_TRUE(h.disk.Write("other", "C").ok());
  h.sim.RunUntilIdle();
  ASSERT_TRUE(status.ok());
  h.Crash();
  EXPECT_EQ(h.Contents("log"), "A");
  EXPECT_FALSE(h.disk.Exists("other"));
}

TEST(Disk, TornTailIsAPrefixOfTheUnsyncedAppend) {
  const std::string durable = "durable|";
  const std::string written = durable + "0123456789";
  int torn = 0;
  std::set<size_t> lengths;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    DiskHarness h(AlwaysTornWrites(), seed);
    ASSERT_TRUE(h.disk.Append("log", durable).ok());
    ASSERT_TRUE(h.SyncNow().ok());
    ASSERT_TRUE(h.disk.Append("log", "0123456789").ok());
    h.Crash(seed);
    const std::string after = h.Contents("log");
    ASSERT_GE(after.size(), durable.size()) << "seed " << seed;
    ASSERT_LT(after.size(), written.size()) << "seed " << seed;  // never all of it
    ASSERT_EQ(after, written.substr(0, after.size())) << "seed " << seed;
    torn += after.size() > durable.size();
    lengths.insert(after.size());
    // What survived a crash is now simply on disk: the next crash keeps it.
    h.Crash(seed + 1000);
    ASSERT_EQ(h.Contents("log"), after);
  }
  // Some prefix does survive, and its length varies.
  EXPECT_GE(torn, 150);
  EXPECT_GE(lengths.size(), 8u);
}

TEST(Disk, NoTornWritesWhenTheProbabilityIsZero) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    DiskHarness h(NoTornWrites(), seed);
    ASSERT_TRUE(h.disk.Append("log", "base").ok());
    ASSERT_TRUE(h.SyncNow().ok());
    ASSERT_TRUE(h.disk.Append("log", "0123456789").ok());
    h.Crash(seed);
    ASSERT_EQ(h.Contents("log"), "base") << "seed " << seed;
  }
}

TEST(Disk, UnsyncedOverwriteRevertsToTheOldDurableContents) {
  // Torn writes only apply to appends; an overwrite is all or nothing.
  for (const std::string& replacement :
       {std::string("NEW"), std::string("SAME-LENGTH!"), std::string("a much longer value")}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      DiskHarness h(AlwaysTornWrites(), seed);
      ASSERT_TRUE(h.disk.Write("meta", "old contents").ok());
      ASSERT_TRUE(h.SyncNow().ok());
      ASSERT_TRUE(h.disk.Write("meta", replacement).ok());
      EXPECT_EQ(h.Contents("meta"), replacement);
      h.Crash(seed);
      ASSERT_EQ(h.Contents("meta"), "old contents")
          << "replacement '" << replacement << "', seed " << seed;
    }
  }
}

TEST(Disk, SyncedOverwriteStaysDurableWhenOverwrittenAgainBeforeTheSyncCompletes) {
  for (const bool existed_before : {false, true}) {
    SCOPED_TRACE(existed_before ? "file was durable before" : "new file");
    DiskHarness h(NoTornWrites());
    if (existed_before) {
      ASSERT_TRUE(h.disk.Write("meta", "v0").ok());
      ASSERT_TRUE(h.SyncNow().ok());
    }
    ASSERT_TRUE(h.disk.Write("meta", "v1").ok());
    absl::Status status = absl::UnknownError("pending");
    h.disk.Sync([&status](absl::Status s) { status = s; });
    ASSERT_TRUE(h.disk.Write("meta", "v2").ok());  // not covered by the sync
    h.sim.RunUntilIdle();
    ASSERT_TRUE(status.ok());
    // The sync acknowledged v1: a crash must not lose it, nor keep v2.
    h.Crash();
    EXPECT_EQ(h.Contents("meta"), "v1");
  }
}

TEST(Disk, SyncedAppendIsNotLostToAnOverwriteBeforeTheSyncCompletes) {
  DiskHarness h(NoTornWrites());
  ASSERT_TRUE(h.disk.Append("log", "D").ok());
  ASSERT_TRUE(h.SyncNow().ok());
  ASSERT_TRUE(h.disk.Append("log", "A").ok());
  absl::Status status = absl::UnknownError("pending");
  h.disk.Sync([&status](absl::Status s) { status = s; });
  ASSERT_TRUE(h.disk.Write("log", "B").ok());
  h.sim.RunUntilIdle();
  ASSERT_TRUE(status.ok());
  h.Crash();
  // "DA" was acknowledged; the node's own later overwrite may have replaced
  // it, but going back to "D" would lose an acknowledged write.
  const std::string after = h.Contents("log");
  EXPECT_TRUE(after == "DA" || after == "B") << after;
}

TEST(Disk, SyncTakesItsLatencyAndCompletesInIssueOrder) {
  DiskConfig config;
  config.sync_latency = Micros(500);
  config.sync_jitter = Micros(200);
  DiskHarness h(config);
  std::vector<int> order;
  std::vector<Time> at;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(h.disk.Append("log", "x").ok());
    h.disk.Sync([&, i](absl::Status s) {
      EXPECT_TRUE(s.ok());
      order.push_back(i);
      at.push_back(h.sim.Now());
    });
  }
  h.sim.RunUntilIdle();
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
  EXPECT_GE(at.front(), 500);
  EXPECT_LE(at.front(), 700);
  EXPECT_LE(at.back(), 700);  // all issued at time 0: FIFO, not serialized
}

TEST(Disk, SyncCallbackOfACrashedIncarnationNeverRuns) {
  DiskHarness h(NoTornWrites());
  ASSERT_TRUE(h.disk.Append("log", "abc").ok());
  bool ran = false;
  h.disk.Sync([&ran](absl::Status) { ran = true; });
  h.sim.RunFor(Micros(100));  // before the sync completes
  h.Crash();
  h.sim.RunUntilIdle();
  EXPECT_FALSE(ran);
  EXPECT_FALSE(h.disk.Exists("log"));  // and nothing became durable
}

TEST(Disk, InjectedSyncFailureReportsAnErrorAndKeepsDataVolatile) {
  DiskHarness h(NoTornWrites());
  ASSERT_TRUE(h.disk.Append("log", "abc").ok());
  h.state.TEST_FailNextSyncs(1);
  const absl::Status failed = h.SyncNow();
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(h.state.TEST_syncs_left_to_fail(), 0);
  EXPECT_EQ(h.Contents("log"), "abc");  // still readable until a crash
  h.Crash();
  EXPECT_FALSE(h.disk.Exists("log"));

  // The failure was one-shot: the next sync works.
  ASSERT_TRUE(h.disk.Append("log", "def").ok());
  EXPECT_TRUE(h.SyncNow().ok());
  h.Crash();
  EXPECT_EQ(h.Contents("log"), "def");
}

TEST(Disk, SyncFailureProbabilityOneFailsEverySync) {
  DiskConfig config = NoTornWrites();
  config.sync_failure_probability = 1;
  DiskHarness h(config);
  ASSERT_TRUE(h.disk.Append("log", "abc").ok());
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(h.SyncNow().ok());
  h.Crash();
  EXPECT_FALSE(h.disk.Exists("log"));
}

TEST(Disk, InjectedWriteFailureFailsTheWriteAndChangesNothing) {
  DiskHarness h;
  ASSERT_TRUE(h.disk.Append("log", "abc").ok());
  h.state.TEST_FailNextWrites(3);
  EXPECT_FALSE(h.disk.Append("log", "def").ok());
  EXPECT_FALSE(h.disk.Write("log", "zzz").ok());
  EXPECT_FALSE(h.disk.Remove("log").ok());
  EXPECT_EQ(h.state.TEST_writes_left_to_fail(), 0);
  EXPECT_EQ(h.Contents("log"), "abc");
  int injected = 0;
  for (const TraceEvent& e : h.sim.trace().events()) injected += e.kind == TraceKind::kDisk;
  EXPECT_EQ(injected, 3);
  EXPECT_TRUE(h.disk.Append("log", "def").ok());
  EXPECT_EQ(h.Contents("log"), "abcdef");
}

TEST(Disk, RemoveIsDurableAtOnce) {
  DiskHarness h(NoTornWrites());
  ASSERT_TRUE(h.disk.Append("log", "abc").ok());
  ASSERT_TRUE(h.SyncNow().ok());
  ASSERT_TRUE(h.disk.Remove("log").ok());
  EXPECT_FALSE(h.disk.Exists("log"));
  h.Crash();
  EXPECT_FALSE(h.disk.Exists("log"));
}

TEST(Disk, ListIsSorted) {
  DiskHarness h;
  for (const char* name : {"b", "a", "c/x", "aa", "B", "a0"}) {
    ASSERT_TRUE(h.disk.Append(name, "x").ok());
  }
  EXPECT_EQ(h.disk.List(), (std::vector<std::string>{"B", "a", "a0", "aa", "b", "c/x"}));
}

// ---------------------------------------------------------------------------
// Through the world: a restarted node sees only its disk.

class Store : public Node {
 public:
  using Node::Node;
  void Start() override {
    absl::StatusOr<std::string> log = ctx().disk().Read("log");
    recovered = log.ok() ? *log : "<none>";
  }
  NodeContext& context() { return ctx(); }

  std::string recovered;
  int volatile_counter = 0;
};

NodeFactory StoreFactory() {
  return [](NodeContext& ctx) { return std::make_unique<Store>(ctx); };
}

TEST(Disk, RestartedNodeSeesOnlyWhatItsDiskKept) {
  WorldOptions options;
  options.disk.torn_write_probability = 0;
  World world(options);
  const NodeId n = world.AddNode("store", 0, StoreFactory());
  EXPECT_EQ(world.node<Store>(n).recovered, "<none>");
  Disk& disk = world.node<Store>(n).context().disk();
  ASSERT_TRUE(disk.Append("log", "synced;").ok());
  bool synced = false;
  disk.Sync([&synced](absl::Status s) { synced = s.ok(); });
  world.RunFor(Millis(10));
  ASSERT_TRUE(synced);
  ASSERT_TRUE(world.node<Store>(n).context().disk().Append("log", "unsynced;").ok());
  world.node<Store>(n).volatile_counter = 42;

  world.Crash(n);
  world.Restart(n);
  EXPECT_EQ(world.node<Store>(n).recovered, "synced;");
  EXPECT_EQ(world.node<Store>(n).volatile_counter, 0);
  EXPECT_EQ(world.disk_state(n).files().at("log").current, "synced;");
}

TEST(Disk, SyncCallbackOfACrashedNodeNeverRunsEvenAfterRestart) {
  WorldOptions options;
  options.disk.torn_write_probability = 0;
  World world(options);
  const NodeId n = world.AddNode("store", 0, StoreFactory());
  ASSERT_TRUE(world.node<Store>(n).context().disk().Append("log", "abc").ok());
  bool ran = false;
  world.node<Store>(n).context().disk().Sync([&ran](absl::Status) { ran = true; });
  world.Crash(n);
  world.Restart(n);
  world.RunFor(Seconds(1));
  EXPECT_FALSE(ran);
  EXPECT_EQ(world.node<Store>(n).recovered, "<none>");
  EXPECT_FALSE(world.node<Store>(n).context().disk().Exists("log"));
}

TEST(Disk, LossAtCrashIsRecordedInTheTrace) {
  WorldOptions options;
  options.disk.torn_write_probability = 0;
  World world(options);
  const NodeId n = world.AddNode("store", 0, StoreFactory());
  ASSERT_TRUE(world.node<Store>(n).context().disk().Append("log", "abc").ok());
  world.Crash(n);
  bool recorded = false;
  for (const TraceEvent& e : world.trace().events()) {
    recorded = recorded || (e.kind == TraceKind::kDisk && e.node == n &&
                            e.detail.find("log") != std::string::npos);
  }
  EXPECT_TRUE(recorded);
}

}  // namespace
}  // namespace auroralab
