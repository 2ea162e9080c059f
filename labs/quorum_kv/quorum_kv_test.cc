// Lab 1 public tests: the specification of the quorum KV, as scenarios.
//
// Every test runs over several seeds (AURORALAB_SEEDS=K for more). A failing
// seed prints a command that replays exactly that run and the path of its
// trace; Part B failures also write an HTML page of the history.
//
//   ./lab test //labs/quorum_kv:quorum_kv_test --impl=skeleton
//   ./lab test //labs/quorum_kv:quorum_kv_test --filter='QuorumKvPartA.*'
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"
#include "labs/quorum_kv/cluster.h"
#include "labs/quorum_kv/workload.h"

namespace auroralab::quorum_kv {
namespace {

ClusterOptions SingleWriter() {
  ClusterOptions o;
  o.mode = ClientMode::kSingleWriter;
  return o;
}

ClusterOptions Linearizable(int clients) {
  ClusterOptions o;
  o.mode = ClientMode::kLinearizable;
  o.num_clients = clients;
  return o;
}

// Asserts that a Get returned `value`.
void ExpectValue(const absl::StatusOr<GetResult>& got, const std::string& value) {
  ASSERT_TRUE(got.ok()) << "Get failed: " << got.status();
  EXPECT_TRUE(got->found) << "Get found nothing; expected \"" << value << "\"";
  EXPECT_EQ(got->value, value);
}

// ---------------------------------------------------------------------------
// Part A: one writer.

TEST(QuorumKvPartA, PutThenGetReturnsTheValue) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "1"));
    ExpectValue(cluster.Get(0, "x"), "1");
  });
}

TEST(QuorumKvPartA, GetOfAMissingKeyIsNotFound) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "1"));
    absl::StatusOr<GetResult> got = cluster.Get(0, "never-written");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_FALSE(got->found) << "invented value \"" << got->value << "\"";
  });
}

TEST(QuorumKvPartA, TheLatestWriteWins) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    for (int i = 0; i < 20; ++i) {
      const std::string key = absl::StrCat("k", i % 3);
      const std::string value = absl::StrCat("v", i);
      ASSERT_OK(cluster.Put(0, key, value)) << "write " << i;
      ExpectValue(cluster.Get(0, key), value);
    }
  });
}

TEST(QuorumKvPartA, RejectsQuorumConfigsThatCannotOverlap) {
  struct Bad {
    QuorumConfig config;
    const char* rule;
  };
  const std::vector<Bad> bad = {
      {{6, 3, 3}, "R + W must exceed N"},  // a read can miss the last write
      {{6, 2, 5}, "W must exceed N/2"},    // two writes can miss each other
      {{6, 7, 3}, "W must be between 1 and N"},
      {{6, 4, 0}, "R must be between 1 and N"},
      {{0, 1, 1}, "N must be at least 1"},
  };
  for (const Bad& b : bad) {
    World world(WorldOptions{});
    ClusterOptions options;
    options.quorum = b.config;
    KvCluster cluster(world, options);
    EXPECT_TRUE(absl::IsInvalidArgument(cluster.status()))
        << "N=" << b.config.n << " W=" << b.config.w << " R=" << b.config.r;
    EXPECT_NE(cluster.status().message().find(b.rule), std::string::npos) << cluster.status();
  }
  // A valid non-default configuration works end to end.
  RunSeeds([](World& world) {
    ClusterOptions options = SingleWriter();
    options.quorum = {3, 2, 2};
    KvCluster cluster(world, options);
    ASSERT_OK(cluster.status());
    ASSERT_OK(cluster.Put(0, "x", "small"));
    ExpectValue(cluster.Get(0, "x"), "small");
  });
}

TEST(QuorumKvPartA, WritesSucceedWithAWholeAzDown) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    for (int i : cluster.ReplicasInAz(1)) cluster.CrashReplica(i);
    ASSERT_OK(cluster.Put(0, "x", "az-down"));
    ExpectValue(cluster.Get(0, "x"), "az-down");
  });
}

TEST(QuorumKvPartA, ReadsSucceedWithAnAzPlusOneDown) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "before"));
    // AZ 0 goes away (both of its replicas), and one more replica fails.
    for (int i : cluster.ReplicasInAz(0)) cluster.CrashReplica(i);
    cluster.CrashReplica(cluster.ReplicasInAz(1).front());
    ExpectValue(cluster.Get(0, "x"), "before");
  });
}

TEST(QuorumKvPartA, WritesFailCleanlyWithThreeReplicasDown) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "old"));
    for (int i : {0, 1, 2}) cluster.CrashReplica(i);
    const Time start = world.Now();
    const absl::Status status = cluster.Put(0, "x", "new");
    EXPECT_TRUE(absl::IsUnavailable(status)) << "expected Unavailable, got " << status;
    EXPECT_LE(world.Now() - start, cluster.options().op_timeout + Millis(50))
        << "a failing write must give up at its timeout";
    // Reads still work with three replicas, and never invent a value.
    absl::StatusOr<GetResult> got = cluster.Get(0, "x");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(got->value == "old" || got->value == "new") << got->value;
    // Once the replicas are back, writes succeed again.
    for (int i : {0, 1, 2}) cluster.RestartReplica(i);
    ASSERT_OK(cluster.Put(0, "x", "after"));
    ExpectValue(cluster.Get(0, "x"), "after");
  });
}

TEST(QuorumKvPartA, WriteLatencyFollowsTheFourthFastestReplica) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    // Two replicas become 200x slower: a round trip to them takes > 100ms.
    world.network().SetSlow(cluster.replica(1), 200);
    world.network().SetSlow(cluster.replica(4), 200);
    const Time start = world.Now();
    ASSERT_OK(cluster.Put(0, "x", "fast"));
    EXPECT_LT(world.Now() - start, Millis(10))
        << "a write waited for slow replicas; it needs only the fastest W";
    // With a third slow replica the fourth-fastest is slow, and so is the write.
    world.network().SetSlow(cluster.replica(2), 200);
    const Time slow_start = world.Now();
    ASSERT_OK(cluster.Put(0, "x", "slow"));
    EXPECT_GT(world.Now() - slow_start, Millis(50))
        << "a write completed with fewer than W acknowledgements";
  });
}

TEST(QuorumKvPartA, AcknowledgedWritesSurviveReplicaCrashes) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    NemesisOptions nemesis;
    nemesis.targets = cluster.replicas();
    nemesis.max_nodes_down = 2;
    nemesis.partitions = false;
    nemesis.slow_nodes = false;
    nemesis.until = Seconds(1);
    nemesis.interval = Millis(20);
    nemesis.fault_duration = Millis(60);
    StartNemesis(world, nemesis);
    std::vector<std::string> acked(4);
    for (int i = 0; i < 300 && world.Now() < Seconds(1); ++i) {
      const int k = static_cast<int>(world.sim().rng().Uniform(4));
      const std::string value = absl::StrCat("v", i);
      const absl::Status status = cluster.Put(0, absl::StrCat("k", k), value);
      ASSERT_TRUE(status.ok() || absl::IsUnavailable(status)) << status;
      if (status.ok()) acked[k] = value;
    }
    ASSERT_FALSE(acked[0].empty() && acked[1].empty()) << "almost no write succeeded";
    world.RunFor(Seconds(1));  // let the nemesis heal everything
    for (int k = 0; k < 4; ++k) {
      if (acked[k].empty()) continue;
      ExpectValue(cluster.Get(0, absl::StrCat("k", k)), acked[k]);
    }
  });
}

TEST(QuorumKvPartA, ToleratesLossDuplicationAndReordering) {
  WorldOptions options;
  options.network = NetworkConfig::Unreliable();
  RunSeeds(options, [](World& world) {
    KvCluster cluster(world, SingleWriter());
    for (int i = 0; i < 15; ++i) {
      const std::string value = absl::StrCat("v", i);
      ASSERT_OK(cluster.Put(0, "x", value)) << "write " << i;
      ExpectValue(cluster.Get(0, "x"), value);
    }
  });
}

TEST(QuorumKvPartA, AStaleReplicaNeverLeaksAnOldValue) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "old"));
    // Replica 0 misses the next write...
    world.network().Isolate(cluster.replica(0));
    ASSERT_OK(cluster.Put(0, "x", "new"));
    world.network().Heal();
    // ...and now sits in every read quorum: only three others are up.
    cluster.CrashReplica(1);
    cluster.CrashReplica(2);
    for (int i = 0; i < 5; ++i) ExpectValue(cluster.Get(0, "x"), "new");
  });
}

// ---------------------------------------------------------------------------
// Part B: many clients, linearizable.

TEST(QuorumKvPartB, ConcurrentClientsAreLinearizable) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Linearizable(4));
    WorkloadStats stats = RunWorkload(cluster, WorkloadOptions{});
    ASSERT_EQ(cluster.in_flight(), 0) << "operations hung";
    EXPECT_EQ(stats.ok, 80) << "on a healthy network every operation succeeds; first error: "
                            << stats.first_other_error;
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

TEST(QuorumKvPartB, ConcurrentWritersAgreeOnOneValue) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Linearizable(3));
    int done = 0;
    for (int j = 0; j < 3; ++j) {
      cluster.StartPut(j, "x", absl::StrCat("from-c", j), [&done](absl::Status s) {
        EXPECT_OK(s);
        ++done;
      });
    }
    ASSERT_TRUE(cluster.RunUntilQuiet());
    ASSERT_EQ(done, 3);
    std::set<std::string> seen;
    for (int j = 0; j < 3; ++j) {
      absl::StatusOr<GetResult> got = cluster.Get(j, "x");
      ASSERT_TRUE(got.ok()) << got.status();
      seen.insert(got->value);
    }
    EXPECT_EQ(seen.size(), 1u) << "clients disagree on the value after all writes finished";
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

TEST(QuorumKvPartB, LinearizableOnAnUnreliableNetwork) {
  WorldOptions options;
  options.network = NetworkConfig::Unreliable();
  RunSeeds(options, [](World& world) {
    KvCluster cluster(world, Linearizable(3));
    WorkloadStats stats = RunWorkload(cluster, WorkloadOptions{});
    ASSERT_EQ(cluster.in_flight(), 0) << "operations hung";
    EXPECT_EQ(stats.other_errors, 0) << stats.first_other_error;
    EXPECT_GE(stats.ok, 50) << "too few operations succeeded";
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

TEST(QuorumKvPartB, LinearizableWithCrashesAndPartitions) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Linearizable(3));
    NemesisOptions nemesis;
    nemesis.targets = cluster.replicas();
    nemesis.max_nodes_down = 3;  // sometimes more than a quorum can bear
    nemesis.until = Seconds(2);
    nemesis.interval = Millis(30);
    nemesis.fault_duration = Millis(100);
    StartNemesis(world, nemesis);
    WorkloadOptions workload;
    workload.ops_per_client = 30;
    WorkloadStats stats = RunWorkload(cluster, workload);
    ASSERT_EQ(cluster.in_flight(), 0) << "operations hung";
    EXPECT_EQ(stats.other_errors, 0) << stats.first_other_error;
    EXPECT_GE(stats.ok, 30) << "too few operations succeeded";
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

TEST(QuorumKvPartB, ACutOffClientGetsUnavailableNotAStaleValue) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Linearizable(2));
    ASSERT_OK(cluster.Put(0, "x", "v1"));
    // Client 1 can reach only two replicas: not enough for any quorum.
    for (int i = 2; i < 6; ++i) world.network().BlockLink(cluster.client(1), cluster.replica(i));
    ASSERT_OK(cluster.Put(0, "x", "v2"));
    absl::StatusOr<GetResult> got = cluster.Get(1, "x");
    EXPECT_TRUE(absl::IsUnavailable(got.status()))
        << "expected Unavailable, got " << (got.ok() ? "value " + got->value : got.status().ToString());
    EXPECT_TRUE(absl::IsUnavailable(cluster.Put(1, "x", "v3")));
    world.network().Heal();
    absl::StatusOr<GetResult> after = cluster.Get(1, "x");
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_TRUE(after->value == "v2" || after->value == "v3") << after->value;
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

}  // namespace
}  // namespace auroralab::quorum_kv
