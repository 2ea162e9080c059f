// Lab 1 public tests: the specification of the quorum KV, as scenarios.
//
// Every test runs over several seeds (AURORALAB_SEEDS=K for more). A failing
// seed prints a command that replays exactly that run and the path of its
// trace; Part B failures also write an HTML page of the history.
//
// Two kinds of tests. Random ones (nemesis, unreliable network, concurrent
// workloads) explore many schedules. Scripted ones, marked "Scripted:" below,
// hold messages, slow nodes and crash replicas at chosen instants to build
// the exact situation one lesson of the handout is about; they fail for the
// classic mistake of that lesson on every seed, so a pass means the lesson is
// learned, not that a lucky schedule missed the bug.
//
//   ./lab test //labs/quorum_kv:quorum_kv_test --impl=skeleton
//   ./lab test //labs/quorum_kv:quorum_kv_test --filter='QuorumKvPartA.*'
#include <memory>
#include <optional>
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

// What a Get returned, for failure messages.
std::string Describe(const absl::StatusOr<GetResult>& got) {
  if (!got.ok()) return got.status().ToString();
  return got->found ? absl::StrCat("value \"", got->value, "\"") : "not found";
}

// Holds every message to the listed replicas, and releases them `after` from
// now: those replicas answer late, so the others answer first.
void HoldFor(KvCluster& cluster, const std::vector<int>& replicas, Duration after) {
  for (int i : replicas) cluster.network().Hold(cluster.replica(i));
  cluster.world().At(cluster.world().Now() + after, "release held replicas", [&cluster, replicas] {
    for (int i : replicas) cluster.network().Release(cluster.replica(i));
  });
}

// A bare node that speaks the replica protocol directly, to test a replica
// on its own (no client library in between).
class RawKvNode : public Node {
 public:
  using Node::Node;
  static NodeId Add(World& world) {
    return world.AddNode("raw", 0,
                         [](NodeContext& ctx) { return std::make_unique<RawKvNode>(ctx); });
  }

  absl::Status Write(World& world, NodeId replica, const std::string& key, const std::string& value,
                     uint64_t counter, uint64_t writer_id) {
    WriteRequest request;
    request.set_key(key);
    request.set_value(value);
    request.mutable_version()->set_counter(counter);
    request.mutable_version()->set_writer_id(writer_id);
    auto result = std::make_shared<std::optional<absl::Status>>();
    ctx().rpc().Call(replica, kWrite, request, Seconds(1),
                     [result](absl::StatusOr<WriteReply> reply) { *result = reply.status(); });
    if (!world.RunUntil([&] { return result->has_value(); }, Seconds(2))) {
      return absl::InternalError("no answer");
    }
    return **result;
  }

  absl::StatusOr<ReadReply> Read(World& world, NodeId replica, const std::string& key) {
    ReadRequest request;
    request.set_key(key);
    auto result = std::make_shared<std::optional<absl::StatusOr<ReadReply>>>();
    ctx().rpc().Call(replica, kRead, request, Seconds(1),
                     [result](absl::StatusOr<ReadReply> reply) { *result = std::move(reply); });
    if (!world.RunUntil([&] { return result->has_value(); }, Seconds(2))) {
      return absl::InternalError("no answer");
    }
    return **result;
  }
};

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
      {{6, 7, 3}, "W must be between 1 and N"}, {{6, 4, 0}, "R must be between 1 and N"},
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

// Scripted: the replica rule. A write with an older version arrives after a
// newer one (a late retry, a reordered message): the replica acknowledges it
// but keeps the newer value.
TEST(QuorumKvPartA, AReplicaKeepsTheHighestVersionItHasSeen) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    const NodeId raw_id = RawKvNode::Add(world);
    RawKvNode& raw = world.node<RawKvNode>(raw_id);
    const NodeId r0 = cluster.replica(0);
    absl::StatusOr<ReadReply> empty = raw.Read(world, r0, "x");
    ASSERT_OK(empty);
    EXPECT_FALSE(empty->found()) << "a replica invented a value for a key nobody wrote";
    ASSERT_OK(raw.Write(world, r0, "x", "newer", 5, 7));
    ASSERT_OK(raw.Write(world, r0, "x", "older", 3, 7))
        << "an older write must still be acknowledged (the sender may be retrying)";
    ASSERT_OK(raw.Write(world, r0, "x", "same-counter-lower-writer", 5, 2));
    absl::StatusOr<ReadReply> got = raw.Read(world, r0, "x");
    ASSERT_OK(got);
    EXPECT_TRUE(got->found());
    EXPECT_EQ(got->value(), "newer") << "an older version replaced a newer one";
    EXPECT_EQ(got->version().counter(), 5u);
    EXPECT_EQ(got->version().writer_id(), 7u);
  });
}

// Scripted: durability. The disks are slow (a sync takes 20 ms), so a
// replica that answers before its sync completes answers long before the
// write is durable. At the instant each write is acknowledged, a disk oracle
// looks at what would survive a crash: W replicas must hold the value.
TEST(QuorumKvPartA, AnAcknowledgedWriteIsOnTheDisksOfWReplicas) {
  WorldOptions options;
  options.disk.sync_latency = Millis(20);
  RunSeeds(options, [](World& world) {
    KvCluster cluster(world, SingleWriter());
    for (int i = 0; i < 4; ++i) {
      const std::string value = absl::StrCat("durable-value-", i);
      ASSERT_OK(cluster.Put(0, "x", value));
      EXPECT_GE(cluster.ReplicasDurablyHolding(value), cluster.options().quorum.w)
          << "Put(\"" << value << "\") was acknowledged before W replicas had synced it";
    }
  });
}

// Scripted: the same lesson as a crash. Every replica loses power the
// instant a write is acknowledged, then restarts from its disk.
TEST(QuorumKvPartA, AcknowledgedWritesSurviveACrashOfEveryReplica) {
  WorldOptions options;
  options.disk.sync_latency = Millis(20);  // a slow disk widens the window
  options.disk.torn_write_probability = 0;
  RunSeeds(options, [](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "first"));
    ASSERT_OK(cluster.Put(0, "x", "durable"));
    for (int i = 0; i < 6; ++i) cluster.CrashReplica(i);
    for (int i = 0; i < 6; ++i) cluster.RestartReplica(i);
    absl::StatusOr<GetResult> got = cluster.Get(0, "x");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(got->found) << "an acknowledged write was lost in a crash (recovered nothing)";
    EXPECT_EQ(got->value, "durable") << "an acknowledged write was lost in a crash";
  });
}

// Scripted: R + W > N needs all R replies. "new" reaches exactly W = 4
// replicas; the two that missed it answer a read first, the others 10 ms
// later. Two stale replies are not a read quorum.
TEST(QuorumKvPartA, AReadWaitsForRRepliesWhenTwoAreStale) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "old"));
    world.RunFor(Millis(50));  // every replica has "old" by now
    cluster.ReachOnly(0, {0, 1, 2, 3});
    ASSERT_OK(cluster.Put(0, "x", "new"));  // r4 and r5 never see it
    world.network().Heal();
    HoldFor(cluster, {0, 1, 2, 3}, Millis(10));
    absl::StatusOr<GetResult> got = cluster.Get(0, "x");
    EXPECT_TRUE(got.ok() && got->found && got->value == "new")
        << "got " << Describe(got) << ": the read returned before R = 3 replicas answered";
  });
}

// Scripted: versions, not votes. The read quorum is r0 (has "new") and the
// stale r4, r5 (have "old"): two of three replies are old, and the newest
// version still wins.
TEST(QuorumKvPartA, ReadsTrustTheHighestVersionNotTheMajority) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
    ASSERT_OK(cluster.Put(0, "x", "old"));
    world.RunFor(Millis(50));
    cluster.ReachOnly(0, {0, 1, 2, 3});
    ASSERT_OK(cluster.Put(0, "x", "new"));
    world.network().Heal();
    // r0 answers first, then r4 and r5; r1..r3 only after the read is over.
    HoldFor(cluster, {4, 5}, Millis(5));
    HoldFor(cluster, {1, 2, 3}, Millis(30));
    absl::StatusOr<GetResult> got = cluster.Get(0, "x");
    EXPECT_TRUE(got.ok() && got->found && got->value == "new")
        << "got " << Describe(got) << " from replies old, old, new: the highest version must win";
  });
}

// Scripted: a single writer numbers its writes from a counter in memory. A
// restarted writer must start above every number its earlier lives used.
TEST(QuorumKvPartA, ARestartedWriterStillWins) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, SingleWriter());
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

// Scripted: the data lives on the replicas and travels over the network. A
// client cut off from every replica can neither read nor write, in both
// modes, and says so with Unavailable by its deadline.
TEST(QuorumKvPartA, AClientCutOffFromEveryReplicaCanNeitherReadNorWrite) {
  for (ClientMode mode : {ClientMode::kSingleWriter, ClientMode::kLinearizable}) {
    RunSeeds([mode](World& world) {
      ClusterOptions options;
      options.mode = mode;
      KvCluster cluster(world, options);
      ASSERT_OK(cluster.Put(0, "x", "before"));
      world.network().Isolate(cluster.client(0));
      const Time start = world.Now();
      absl::StatusOr<GetResult> got = cluster.Get(0, "x");
      EXPECT_TRUE(absl::IsUnavailable(got.status()))
          << "an isolated client's Get returned " << Describe(got) << ", expected Unavailable";
      const absl::Status put = cluster.Put(0, "x", "while-cut-off");
      EXPECT_TRUE(absl::IsUnavailable(put)) << "an isolated client's Put returned " << put;
      EXPECT_LE(world.Now() - start, 2 * (cluster.options().op_timeout + Millis(50)))
          << "each operation must give up at its timeout";
      world.network().Heal();
      ExpectValue(cluster.Get(0, "x"), "before");
    });
  }
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
        << "expected Unavailable, got "
        << (got.ok() ? "value " + got->value : got.status().ToString());
    EXPECT_TRUE(absl::IsUnavailable(cluster.Put(1, "x", "v3")));
    world.network().Heal();
    absl::StatusOr<GetResult> after = cluster.Get(1, "x");
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_TRUE(after->value == "v2" || after->value == "v3") << after->value;
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

// Scripted: the handout's write-back timeline (section 4). A Put of "new"
// has reached r0, r1, r2 (fewer than W: it is still running). Reader A hears
// exactly those three and returns "new". Reader B starts after A returned and
// hears r3, r4, r5 first. Without A's write-back, B would return "old": new,
// then old, has no valid order.
TEST(QuorumKvPartB, AReadWritesBackBeforeItReturns) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Linearizable(3));
    ASSERT_OK(cluster.Put(0, "x", "old"));
    world.RunFor(Millis(50));
    // t0: the writer reaches r0..r2 only, so its Put waits for a fourth ack.
    cluster.ReachOnly(0, {0, 1, 2});
    bool put_done = false;
    cluster.StartPut(0, "x", "new", [&put_done](absl::Status s) {
      EXPECT_OK(s);
      put_done = true;
    });
    world.RunFor(Millis(20));
    // t1, t2: reader A hears r0..r2 first; r3..r5 answer 5 ms later.
    HoldFor(cluster, {3, 4, 5}, Millis(5));
    absl::StatusOr<GetResult> a = cluster.Get(1, "x");
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->value, "new");
    // t3, t4: reader B starts after A returned; r3..r5 answer first.
    HoldFor(cluster, {0, 1, 2}, Millis(5));
    absl::StatusOr<GetResult> b = cluster.Get(2, "x");
    EXPECT_TRUE(b.ok() && b->value == "new")
        << "reader B got " << Describe(b) << " after reader A had returned \"new\": "
        << "a read must write what it returns back to W replicas before returning";
    // t5: the writer's messages get through and its Put returns.
    world.network().Heal();
    ASSERT_TRUE(cluster.RunUntilQuiet());
    EXPECT_TRUE(put_done);
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

// Scripted: two writers read the same highest version and both write with
// counter + 1. The writer id breaks the tie, the same way on every replica:
// c1 (client id 2) beats c0 (client id 1), whatever each replica saw first.
TEST(QuorumKvPartB, EqualCountersFromTwoWritersResolveTheSameWayEverywhere) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Linearizable(3));
    ASSERT_OK(cluster.Put(2, "x", "start"));
    world.RunFor(Millis(50));
    // c0 reaches r0..r2 and c1 reaches r3..r5: each reads the same counter
    // and gets its write onto its own three replicas first.
    cluster.ReachOnly(0, {0, 1, 2});
    cluster.ReachOnly(1, {3, 4, 5});
    int done = 0;
    for (int j : {0, 1}) {
      cluster.StartPut(j, "x", absl::StrCat("from-c", j), [&done](absl::Status s) {
        EXPECT_OK(s);
        ++done;
      });
    }
    world.RunFor(Millis(20));
    world.network().Heal();  // now each write reaches the other three too
    ASSERT_TRUE(cluster.RunUntilQuiet());
    ASSERT_EQ(done, 2);
    world.RunFor(Millis(100));
    // Read once from each side.
    HoldFor(cluster, {3, 4, 5}, Millis(10));
    absl::StatusOr<GetResult> left = cluster.Get(2, "x");
    HoldFor(cluster, {0, 1, 2}, Millis(10));
    absl::StatusOr<GetResult> right = cluster.Get(2, "x");
    EXPECT_TRUE(left.ok() && left->value == "from-c1")
        << "reading r0..r2 got " << Describe(left) << "; the higher writer id (c1) must win";
    EXPECT_TRUE(right.ok() && right->value == "from-c1")
        << "reading r3..r5 got " << Describe(right) << "; the higher writer id (c1) must win";
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

// Scripted: why Part B writes in two phases. c1 has written five times; c0
// then writes once. c0's write is the latest, so it must win, although c0's
// own count of writes is far behind.
TEST(QuorumKvPartB, AQuietWriterWinsOverABusyOne) {
  RunSeeds([](World& world) {
    KvCluster cluster(world, Linearizable(2));
    for (int i = 0; i < 5; ++i) ASSERT_OK(cluster.Put(1, "x", absl::StrCat("busy-", i)));
    ASSERT_OK(cluster.Put(0, "x", "quiet"));
    for (int j : {0, 1}) {
      absl::StatusOr<GetResult> got = cluster.Get(j, "x");
      EXPECT_TRUE(got.ok() && got->value == "quiet")
          << "client " << j << " got " << Describe(got)
          << " after c0's later write: a Put must read the highest version first";
    }
    EXPECT_OK(cluster.CheckLinearizable());
  });
}

}  // namespace
}  // namespace auroralab::quorum_kv
