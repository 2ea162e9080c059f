// Lab 1 hidden tests: the corner cases and nastier schedules behind the
// public tests. Each one targets a specific mistake (named in its comment);
// grader/e2e_test.sh checks that broken variants of the reference fail them.
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
  for (int i = 0; i < cluster.options().quorum.n; ++i) {
    bool keep = false;
    for (int r : reachable) keep = keep || r == i;
    if (!keep) cluster.network().BlockLink(cluster.client(j), cluster.replica(i));
  }
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

// Mistake: a single writer that numbers its writes from scratch after a
// restart, so its new writes lose to its old ones.
TEST(QuorumKvHidden, ARestartedWriterStillWins) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    for (int i = 0; i < 3; ++i) ASSERT_OK(cluster.Put(0, "x", absl::StrCat("before-", i)));
    world.Crash(cluster.client(0));
    world.Restart(cluster.client(0));
    ASSERT_OK(cluster.Put(0, "x", "after"));
    absl::StatusOr<GetResult> got = cluster.Get(0, "x");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->value, "after")
        << "an acknowledged write from the restarted client is not visible";
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

// Mistake: acknowledging a write before it is synced to disk.
TEST(QuorumKvHidden, AcknowledgedMeansDurable) {
  WorldOptions world_options;
  world_options.disk.sync_latency = Millis(20);  // a slow disk widens the window
  world_options.disk.torn_write_probability = 0;
  RunSeeds(world_options, [](World& world) {
    KvCluster cluster(world, Options(ClientMode::kSingleWriter, 1));
    ASSERT_OK(cluster.Put(0, "x", "durable"));
    // The instant the write is acknowledged, every replica loses power.
    for (int i = 0; i < 6; ++i) cluster.CrashReplica(i);
    for (int i = 0; i < 6; ++i) cluster.RestartReplica(i);
    absl::StatusOr<GetResult> got = cluster.Get(0, "x");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(got->found) << "an acknowledged write was lost in a crash";
    EXPECT_EQ(got->value, "durable");
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

// A writer that dies after its write reached a single replica: it sends one
// WriteRequest straight to one replica and nothing else.
class PartialWriter : public Node {
 public:
  using Node::Node;
  void WriteTo(NodeId replica, const std::string& key, const std::string& value,
               uint64_t counter) {
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
    const NodeId writer = world.AddNode("partial-writer", 0, [](NodeContext& ctx) {
      return std::make_unique<PartialWriter>(ctx);
    });
    world.node<PartialWriter>(writer).WriteTo(cluster.replica(0), "x", "new", 100);
    ASSERT_TRUE(world.RunUntil([&] { return world.node<PartialWriter>(writer).acked(); },
                               Seconds(1)));
    world.Crash(writer);
    // Client 1 reads from replicas 0, 2, 4 (so it sees "new"); its write-back
    // can also reach replica 5, shortly after.
    ReachOnly(cluster, 1, {0, 2, 4});
    world.At(world.Now() + Millis(40), "client 1 reaches replica 5",
             [&] { world.network().UnblockLink(cluster.client(1), cluster.replica(5)); });
    absl::StatusOr<GetResult> first = cluster.Get(1, "x");
    ASSERT_OK(first) << "the read can reach W replicas in time";
    EXPECT_EQ(first->value, "new");
    // Client 2 then reads from replicas 1, 3, 5 (its own write-back may also
    // reach replica 2, later).
    ReachOnly(cluster, 2, {1, 3, 5});
    world.At(world.Now() + Millis(40), "client 2 reaches replica 2",
             [&] { world.network().UnblockLink(cluster.client(2), cluster.replica(2)); });
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

// Other legal configurations must work too: nothing may assume 6/4/3.
TEST(QuorumKvHidden, OtherQuorumConfigurations) {
  for (QuorumConfig config : {QuorumConfig{5, 3, 3}, QuorumConfig{3, 2, 2},
                              QuorumConfig{7, 5, 3}}) {
    RunSeeds([config](World& world) {
      ClusterOptions options = Options(ClientMode::kLinearizable, 3);
      options.quorum = config;
      KvCluster cluster(world, options);
      ASSERT_OK(cluster.status());
      WorkloadStats stats = RunWorkload(cluster, WorkloadOptions{});
      ASSERT_EQ(cluster.in_flight(), 0);
      EXPECT_EQ(stats.ok, 60) << "N=" << config.n << ": " << stats.first_other_error;
      EXPECT_OK(cluster.CheckLinearizable());
    }, 3);
  }
}

}  // namespace
}  // namespace auroralab::quorum_kv
