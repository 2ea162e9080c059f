// Lab 1 hidden tests: the corner cases and nastier schedules behind the
// public tests. Each one targets a specific mistake (named in its comment);
// grader/e2e_test.sh checks that broken variants of the reference fail them.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"
#include "labs/quorum_kv/cluster.h"
#include "labs/quorum_kv/workload.h"

namespace auroralab::quorum_kv {
namespace {

ClusterOptions Options(ClientMode mode, int clients) {
  ClusterOptions o;
  o.mode = mode;
  o.num_clients = clients;
  return o;
}

// Cuts client `j` off from every replica not in `reachable`.
void ReachOnly(KvCluster& cluster, int j, const std::vector<int>& reachable) {
  cluster.ReachOnly(j, reachable);
}

// Holds every message to the listed replicas, and releases them `after` from
// now: those replicas answer late, so the others answer first.
void HoldFor(KvCluster& cluster, const std::vector<int>& replicas, Duration after) {
  for (int i : replicas) cluster.network().Hold(cluster.replica(i));
  cluster.world().At(cluster.world().Now() + after, "release held replicas", [&cluster, replicas] {
    for (int i : replicas) cluster.network().Release(cluster.replica(i));
  });
}

std::string Describe(const absl::StatusOr<GetResult>& got) {
  if (!got.ok()) return got.status().ToString();
  return got->found ? absl::StrCat("value \"", got->value, "\"") : "not found";
}

// Mistake: waiting for fewer than W acknowledgements.
TEST(QuorumKvHidden, WritesNeedExactlyWReplicas) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    ReachOnly(cluster, 0, {0, 2, 4});
    EXPECT_TRUE(absl::IsUnavailable(cluster.Put(0, "x", "three")))
        << "a write succeeded with only 3 of 6 replicas reachable (W = 4)";
    world.network().Heal();
    ReachOnly(cluster, 0, {0, 2, 4, 5});
    EXPECT_OK(cluster.Put(0, "x", "four")) << "a write failed with W replicas reachable";
  });
}

// Mistake: waiting for more than R replies (reads must survive AZ+1). Only
// single-writer reads can show it: a linearizable read also writes back,
// which needs W replicas.
TEST(QuorumKvHidden, ReadsNeedOnlyRReplicas) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    ASSERT_OK(cluster.Put(0, "y", "w"));
    ReachOnly(cluster, 0, {1, 3, 5});
    absl::StatusOr<GetResult> read = cluster.Get(0, "y");
    ASSERT_TRUE(read.ok()) << "a read failed with R replicas reachable: " << read.status();
    EXPECT_EQ(read->value, "w");
  });
}

// Mistake: counting the same replica twice (duplicated messages).
TEST(QuorumKvHidden, DuplicateAcknowledgementsCountOnce) {
  WorldOptions world_options;
  world_options.network.duplicate_probability = 1.0;
  RunSeeds(world_options, [](World& world) {
    KvCluster cluster(world, Options(ClientMode::kLinearizable, 1));
    ReachOnly(cluster, 0, {0, 1, 2});
    EXPECT_TRUE(absl::IsUnavailable(cluster.Put(0, "x", "dup")))
        << "three replicas, each answering twice, made a write quorum";
  });
}

// Mistake: acknowledging although the disk reported a failed sync.
TEST(QuorumKvHidden, FailedSyncsAreNotAcknowledged) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    for (int i : {0, 1, 2}) world.FailNextSyncs(cluster.replica(i), 1000);
    EXPECT_TRUE(absl::IsUnavailable(cluster.Put(0, "x", "v")))
        << "replicas whose disk failed counted towards the write quorum";
  });
}

// Mistake: not recovering from the log, or choking on a torn last record.
TEST(QuorumKvHidden, RecoversFromTornLogs) {
  WorldOptions world_options;
  world_options.disk.torn_write_probability = 1.0;
  RunSeeds(world_options, [](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    std::vector<std::string> acked(3);
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < 12; ++i) {
        const int k = i % 3;
        const std::string value = absl::StrCat("r", round, "-", i);
        // Writes in flight while replicas crash leave torn records behind.
        if (i == 6) {
          cluster.CrashReplica(round % 6);
          cluster.CrashReplica((round + 3) % 6);
        }
        const absl::Status s = cluster.Put(0, absl::StrCat("k", k), value);
        ASSERT_OK(s);
        acked[k] = value;
      }
      for (int r = 0; r < 6; ++r) cluster.RestartReplica(r);
    }
    // Everyone crashes once more: only the disks remain.
    for (int r = 0; r < 6; ++r) cluster.CrashReplica(r);
    for (int r = 0; r < 6; ++r) cluster.RestartReplica(r);
    for (int k = 0; k < 3; ++k) {
      absl::StatusOr<GetResult> got = cluster.Get(0, absl::StrCat("k", k));
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->value, acked[k]) << "key k" << k;
    }
  });
}

// Mistake: at the deadline, returning what was heard so far (a value from
// fewer than R replies, a write with fewer than W acks, a read whose
// write-back failed) instead of Unavailable. Every mode and every phase is
// driven to its deadline here.
TEST(QuorumKvHidden, GivingUpMeansUnavailableOnEveryPath) {
  for (ClientMode mode : {ClientMode::kSingleWriter, ClientMode::kLinearizable}) {
    RunSeeds([mode](World& world) {
      KvCluster cluster(world, Options(mode, 1));
      ASSERT_OK(cluster.Put(0, "x", "v1"));
      const Duration limit = cluster.options().op_timeout + Millis(50);
      // Two replicas: every read phase and every write phase times out.
      ReachOnly(cluster, 0, {0, 1});
      Time start = world.Now();
      absl::StatusOr<GetResult> got = cluster.Get(0, "x");
      EXPECT_TRUE(absl::IsUnavailable(got.status()))
          << "Get with 2 replicas reachable returned " << Describe(got);
      EXPECT_LE(world.Now() - start, limit);
      start = world.Now();
      absl::Status put = cluster.Put(0, "x", "v2");
      EXPECT_TRUE(absl::IsUnavailable(put)) << "Put with 2 replicas reachable returned " << put;
      EXPECT_LE(world.Now() - start, limit);
      world.network().Heal();
      // Three replicas: reads succeed in Part A; in Part B the read phase
      // succeeds and the write-back (or the Put's write phase) times out.
      ReachOnly(cluster, 0, {2, 3, 4});
      start = world.Now();
      got = cluster.Get(0, "x");
      if (mode == ClientMode::kSingleWriter) {
        EXPECT_TRUE(got.ok() && got->value == "v1") << Describe(got);
      } else {
        EXPECT_TRUE(absl::IsUnavailable(got.status()))
            << "a linearizable Get whose write-back reached 3 of W = 4 replicas returned "
            << Describe(got);
      }
      EXPECT_LE(world.Now() - start, limit);
      start = world.Now();
      put = cluster.Put(0, "x", "v3");
      EXPECT_TRUE(absl::IsUnavailable(put)) << "Put with 3 replicas reachable returned " << put;
      EXPECT_LE(world.Now() - start, limit);
    });
  }
}

// Mistake: counting every reply instead of every replica. The three
// reachable replicas are so slow that the client resends to them before
// they answer, so each of them answers several times.
TEST(QuorumKvHidden, SlowRepliesToRetriesCountOnce) {
  for (ClientMode mode : {ClientMode::kSingleWriter, ClientMode::kLinearizable}) {
    RunSeeds([mode](World& world) {
      KvCluster cluster(world, Options(mode, 1));
      ReachOnly(cluster, 0, {0, 1, 2});
      for (int i : {0, 1, 2}) world.network().SetSlow(cluster.replica(i), 200);
      const absl::Status put = cluster.Put(0, "x", "slow");
      EXPECT_TRUE(absl::IsUnavailable(put))
          << "three slow replicas, each answering several retries, made a write quorum: " << put;
    });
  }
}

// Mistake: client and replica ordering equal counters differently (one
// compares only counters, or breaks the tie the other way). Writers c0 and
// c1 both write counter 2; a reader hears one reply of each first.
TEST(QuorumKvHidden, ClientAndReplicaAgreeOnTheTieBreak) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Options(ClientMode::kLinearizable, 3));
    ASSERT_OK(cluster.Put(2, "x", "start"));
    world.RunFor(Millis(50));
    ReachOnly(cluster, 0, {0, 1, 2});
    ReachOnly(cluster, 1, {3, 4, 5});
    cluster.StartPut(0, "x", "from-c0");
    cluster.StartPut(1, "x", "from-c1");
    world.RunFor(Millis(20));  // each write is on its three replicas only
    // The reader hears r2 (c0's write), then r3 (c1's), then the rest.
    HoldFor(cluster, {3}, Millis(3));
    HoldFor(cluster, {0, 1, 4, 5}, Millis(20));
    absl::StatusOr<GetResult> first = cluster.Get(2, "x");
    EXPECT_TRUE(first.ok() && first->value == "from-c1")
        << "replies (2, c0) then (2, c1): got " << Describe(first)
        << "; equal counters are ordered by writer id, higher wins";
    world.network().Heal();
    ASSERT_TRUE(cluster.RunUntilQuiet());
    world.RunFor(Millis(100));
    for (const std::vector<int>& side : {std::vector<int>{3, 4, 5}, std::vector<int>{0, 1, 2}}) {
      HoldFor(cluster, side, Millis(10));
      absl::StatusOr<GetResult> later = cluster.Get(2, "x");
      EXPECT_TRUE(later.ok() && later->value == "from-c1")
          << "a later read got " << Describe(later) << ": replicas and clients disagree";
    }
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

// Mistake: a recovery that gives up on a log with a torn tail (and loses the
// whole records before it), or that does not cut the torn tail off (new
// records then follow garbage and are lost at the next recovery). Every
// replica crashes with a torn last record.
TEST(QuorumKvHidden, RecoversWhenEveryReplicaHasATornTail) {
  WorldOptions world_options;
  world_options.disk.sync_latency = Millis(20);
  world_options.disk.torn_write_probability = 1.0;
  RunSeeds(world_options, [](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    ASSERT_OK(cluster.Put(0, "x", "acked"));
    // A large write of another key in flight: every replica has appended
    // it, none synced.
    cluster.StartPut(0, "z", std::string(8192, 't'));
    world.RunFor(Millis(5));
    for (int r = 0; r < 6; ++r) cluster.CrashReplica(r);
    for (int r = 0; r < 6; ++r) cluster.RestartReplica(r);
    // The whole records before each torn tail still count.
    absl::StatusOr<GetResult> acked = cluster.Get(0, "x");
    EXPECT_TRUE(acked.ok() && acked->value == "acked")
        << "after every replica recovered from a torn tail, x: " << Describe(acked);
    cluster.RunUntilQuiet();  // the in-flight write may or may not succeed
    ASSERT_OK(cluster.Put(0, "x", "after-torn"));
    ASSERT_OK(cluster.Put(0, "y", "also-after-torn"));
    // Only the disks remain once more.
    for (int r = 0; r < 6; ++r) cluster.CrashReplica(r);
    for (int r = 0; r < 6; ++r) cluster.RestartReplica(r);
    absl::StatusOr<GetResult> x = cluster.Get(0, "x");
    EXPECT_TRUE(x.ok() && x->value == "after-torn") << "x: " << Describe(x);
    absl::StatusOr<GetResult> y = cluster.Get(0, "y");
    EXPECT_TRUE(y.ok() && y->value == "also-after-torn") << "y: " << Describe(y);
  });
}

// Mistake: a write-back with a new version (a read turned into a write).
// A reader writes back the old value while a Put of "new" is half done; the
// Put then completes, so a later read must return "new".
TEST(QuorumKvHidden, AWriteBackKeepsTheVersionItRead) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Options(ClientMode::kLinearizable, 3));
    ASSERT_OK(cluster.Put(0, "x", "old"));
    world.RunFor(Millis(50));
    ReachOnly(cluster, 0, {0, 1, 2});
    cluster.StartPut(0, "x", "new");
    world.RunFor(Millis(20));
    HoldFor(cluster, {0, 1, 2}, Millis(10));
    absl::StatusOr<GetResult> during = cluster.Get(2, "x");
    ASSERT_TRUE(during.ok()) << during.status();
    EXPECT_EQ(during->value, "old");
    world.network().Heal();
    ASSERT_TRUE(cluster.RunUntilQuiet());
    absl::StatusOr<GetResult> after = cluster.Get(2, "x");
    EXPECT_TRUE(after.ok() && after->value == "new")
        << "after the Put of \"new\" completed, a read got " << Describe(after)
        << ": the earlier read's write-back must not create a new version";
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

// Mistake: keeping the data anywhere but on the replicas' disks (memory
// only, or a shortcut around the network). Under crashes and message loss,
// every acknowledged write is durable on W replicas at the moment of its ack.
TEST(QuorumKvHidden, AcknowledgedDataIsOnWDisksUnderFaults) {
  WorldOptions world_options;
  world_options.network = NetworkConfig::Unreliable();
  RunSeeds(world_options, [](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    NemesisOptions nemesis;
    nemesis.targets = cluster.replicas();
    nemesis.max_nodes_down = 2;
    nemesis.partitions = false;
    nemesis.until = Seconds(2);
    nemesis.interval = Millis(30);
    nemesis.fault_duration = Millis(80);
    StartNemesis(world, nemesis);
    int acked = 0;
    for (int i = 0; i < 30; ++i) {
      const std::string value = absl::StrCat("on-disk-", i);
      const absl::Status s = cluster.Put(0, absl::StrCat("k", i % 3), value);
      ASSERT_TRUE(s.ok() || absl::IsUnavailable(s)) << s;
      if (!s.ok()) continue;
      ++acked;
      EXPECT_GE(cluster.ReplicasDurablyHolding(value), cluster.options().quorum.w)
          << "acknowledged write " << value << " is not durable on W replicas";
    }
    EXPECT_GE(acked, 10);
  });
}

// A writer that dies after its write reached a single replica: it sends one
// WriteRequest straight to one replica and nothing else.
class PartialWriter : public Node {
 public:
  using Node::Node;
  void WriteTo(NodeId replica, const std::string& key, const std::string& value, uint64_t counter) {
    WriteRequest request;
    request.set_key(key);
    request.set_value(value);
    request.mutable_version()->set_counter(counter);
    request.mutable_version()->set_writer_id(999);
    ctx().rpc().Call(replica, kWrite, request, Seconds(1),
                     [this](absl::StatusOr<WriteReply> reply) { acked_ = reply.ok(); });
  }
  bool acked() const { return acked_; }

 private:
  bool acked_ = false;
};

// Mistake: a read that returns a value without writing it back. A write
// reaches one replica only; one reader sees it, a later reader must too.
TEST(QuorumKvHidden, ReadsWriteBackWhatTheyReturn) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Options(ClientMode::kLinearizable, 3));
    ASSERT_OK(cluster.Put(0, "x", "old"));
    const NodeId writer = world.AddNode(
        "partial-writer", 0, [](NodeContext& ctx) { return std::make_unique<PartialWriter>(ctx); });
    world.node<PartialWriter>(writer).WriteTo(cluster.replica(0), "x", "new", 100);
    ASSERT_TRUE(
        world.RunUntil([&] { return world.node<PartialWriter>(writer).acked(); }, Seconds(1)));
    world.Crash(writer);
    // Client 1 reads from replicas 0, 2, 4 (so it sees "new"); its write-back
    // can also reach replica 5, shortly after.
    ReachOnly(cluster, 1, {0, 2, 4});
    world.At(world.Now() + Millis(40), "client 1 reaches replica 5", [&] {
      world.network().UnblockLink(cluster.client(1), cluster.replica(5));
      world.network().UnblockLink(cluster.replica(5), cluster.client(1));
    });
    absl::StatusOr<GetResult> first = cluster.Get(1, "x");
    ASSERT_OK(first) << "the read can reach W replicas in time";
    EXPECT_EQ(first->value, "new");
    // Client 2 then reads from replicas 1, 3, 5 (its own write-back may also
    // reach replica 2, later).
    ReachOnly(cluster, 2, {1, 3, 5});
    world.At(world.Now() + Millis(40), "client 2 reaches replica 2", [&] {
      world.network().UnblockLink(cluster.client(2), cluster.replica(2));
      world.network().UnblockLink(cluster.replica(2), cluster.client(2));
    });
    absl::StatusOr<GetResult> second = cluster.Get(2, "x");
    ASSERT_OK(second);
    EXPECT_EQ(second->value, "new") << "a read returned an older value than an earlier read";
  });
}

// Many seeds of everything at once: loss, duplication, reordering, crashes
// and partitions, with concurrent clients.
TEST(QuorumKvHidden, LinearizableUnderEverything) {
  WorldOptions world_options;
  world_options.network = NetworkConfig::Unreliable();
  RunSeeds(
      world_options,
      [](World& world) {
        KvCluster cluster(world, Options(ClientMode::kLinearizable, 4));
        NemesisOptions nemesis;
        nemesis.targets = cluster.replicas();
        nemesis.max_nodes_down = 2;
        nemesis.az_outages = true;
        nemesis.until = Seconds(3);
        nemesis.interval = Millis(50);
        nemesis.fault_duration = Millis(150);
        StartNemesis(world, nemesis);
        WorkloadOptions workload;
        workload.ops_per_client = 15;
        workload.keys = {"x"};
        WorkloadStats stats = RunWorkload(cluster, workload);
        ASSERT_EQ(cluster.in_flight(), 0) << "operations hung";
        EXPECT_EQ(stats.other_errors, 0) << stats.first_other_error;
        EXPECT_GE(stats.ok, 20);
        EXPECT_OK(cluster.CheckLinearizable());
      },
      /*default_seeds=*/12);
}

// Swarm testing: each seed switches every network fault on or off at random,
// so the seeds together cover many different mixes of faults.
TEST(QuorumKvHidden, LinearizableUnderSwarmFaults) {
  RunSeeds(
      [](World& world) {
        world.network().set_config(NetworkConfig::Swarm(world.sim().rng()));
        KvCluster cluster(world, Options(ClientMode::kLinearizable, 3));
        WorkloadOptions workload;
        workload.ops_per_client = 15;
        WorkloadStats stats = RunWorkload(cluster, workload);
        ASSERT_EQ(cluster.in_flight(), 0) << "operations hung";
        EXPECT_EQ(stats.other_errors, 0) << stats.first_other_error;
        EXPECT_GE(stats.ok, 30) << "too few operations succeeded on a lossy network";
        EXPECT_OK(cluster.CheckLinearizable());
      },
      /*default_seeds=*/10);
}

// Other legal configurations must work too, with as many replicas down as
// they tolerate: nothing may assume 6/4/3.
TEST(QuorumKvHidden, OtherQuorumConfigurations) {
  for (QuorumConfig config :
       {QuorumConfig{5, 3, 3}, QuorumConfig{3, 2, 2}, QuorumConfig{7, 5, 3}}) {
    RunSeeds(
        [config](World& world) {
          ClusterOptions options = Options(ClientMode::kLinearizable, 3);
          options.quorum = config;
          KvCluster cluster(world, options);
          ASSERT_OK(cluster.status());
          // As many replicas down as the configuration tolerates for reads
          // and writes alike: the quorum sizes must come from the options.
          const int down = config.n - std::max(config.w, config.r);
          for (int i = 0; i < down; ++i) cluster.CrashReplica(config.n - 1 - i);
          WorkloadStats stats = RunWorkload(cluster, WorkloadOptions{});
          ASSERT_EQ(cluster.in_flight(), 0);
          EXPECT_EQ(stats.ok, 60) << "N=" << config.n << ": " << stats.first_other_error;
          EXPECT_OK(cluster.CheckLinearizable());
        },
        3);
  }
}

}  // namespace
}  // namespace auroralab::quorum_kv
