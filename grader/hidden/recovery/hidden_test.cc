// Lab 3 hidden tests: corner cases behind the public tests. Each one
// targets a specific mistake (named in its comment); grader/e2e_test.sh
// checks that the broken variants in grader/mutants/recovery.mutants fail them.
// STARTER from ./lab new-lab: TODO(lab3): replace with the lab's own.
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"
#include "labs/recovery/harness.h"

namespace auroralab::recovery {
namespace {

// Mistake: inventing a value (or an error) for a key nobody wrote.
TEST(RecoveryHidden, GetOfAMissingKeyIsNotFound) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world);
    ASSERT_OK(cluster.Put("x", "1"));
    absl::StatusOr<GetResult> got = cluster.Get("never-written");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_FALSE(got->found) << "invented value \"" << got->value << "\"";
  });
}

// Mistake: acknowledging before the sync completes, or recovering only the
// last record. Three puts, each followed by a crash at the moment of its
// acknowledgement.
TEST(RecoveryHidden, EveryAcknowledgedPutSurvivesItsCrash) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world);
    for (int i = 0; i < 3; ++i) {
      const std::string key = absl::StrCat("k", i);
      std::optional<absl::Status> acked;
      cluster.StartPut(key, "v", [&](absl::Status status) {
        acked = status;
        cluster.CrashServer();
      });
      ASSERT_TRUE(world.RunUntil([&] { return acked.has_value(); }, Seconds(5)));
      ASSERT_OK(*acked);
      cluster.RestartServer();
    }
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<GetResult> got = cluster.Get(absl::StrCat("k", i));
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_TRUE(got->found) << "acknowledged put of k" << i << " lost in a crash";
    }
  });
}

// Mistake: retrying forever, or answering without the server.
TEST(RecoveryHidden, ADownServerMeansUnavailable) {
  RunSeeds([](World& world) {
    RecoveryCluster cluster(world);
    cluster.CrashServer();
    EXPECT_TRUE(absl::IsUnavailable(cluster.Put("x", "1")));
    absl::StatusOr<GetResult> got = cluster.Get("x");
    EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
  });
}

}  // namespace
}  // namespace auroralab::recovery
