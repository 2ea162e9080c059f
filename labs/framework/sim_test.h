// Seeded scenario runner for GoogleTest: run a scenario over many seeds, and
// make every failure replayable.
//
//   TEST(Counter, SurvivesCrashes) {
//     RunSeeds([](World& world) {
//       // build nodes, script faults, run, EXPECT_...
//     });
//   }
//
// Seeds: 1..N with N = `default_seeds` (kept small so the suite is fast).
// AURORALAB_SEEDS=K runs seeds 1..K; AURORALAB_SEED=S runs only seed S, 0
// included (./lab test --seeds=K / --seed=S set these). AURORALAB_SEEDS=0
// runs nothing, so it is an error: the test fails saying so.
//
// When a seed fails, the runner stops and prints the seed, a one-line command
// that replays exactly that run, and the path of the run's trace (JSON lines,
// written into Bazel's undeclared-outputs directory, or the test's temp dir
// when run by hand). Every assertion inside the scenario is labelled with its
// seed. A seed that crashes the process (a segfault, an abort, a sanitizer
// report) or is killed for taking too long (Bazel's timeout sends SIGTERM)
// is reported the same way, from a signal handler: seed, replay command,
// the trace so far and its last events, then the crash proceeds as before.
#ifndef AURORALAB_LABS_FRAMEWORK_SIM_TEST_H_
#define AURORALAB_LABS_FRAMEWORK_SIM_TEST_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/world.h"

namespace auroralab {

inline constexpr int kDefaultSeeds = 5;

// The seeds a test should run, from the environment (see above).
std::vector<uint64_t> SeedsToRun(int default_seeds = kDefaultSeeds);

// Runs `scenario` once per seed on a fresh World built from `options` (its
// seed field is overwritten).
void RunSeeds(const WorldOptions& options, const std::function<void(World&)>& scenario,
              int default_seeds = kDefaultSeeds);
void RunSeeds(const std::function<void(World&)>& scenario, int default_seeds = kDefaultSeeds);

// The seed of the scenario now running (0 outside RunSeeds).
uint64_t CurrentSeed();

// The command that replays the current test with `seed` (nullopt: a test
// that does not take its seed from the environment). Tests that fail outside
// RunSeeds get this line too, printed by a listener this library installs.
std::string ReplayCommand(std::optional<uint64_t> seed);

// Where a test should write a file named after the current test and seed,
// e.g. ArtifactPath("history.html"); in Bazel's undeclared-outputs dir.
std::string ArtifactPath(std::string_view suffix);

// How to show an ArtifactPath to a person: under `bazel test` the outputs
// directory is a sandbox that is gone once the test ends, so this names the
// copy in bazel-testlogs/<package>/<test>/test.outputs/ instead.
std::string DisplayPath(const std::string& path);

namespace internal {
inline const absl::Status& ToStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

}  // namespace auroralab

// EXPECT_OK(expr) / ASSERT_OK(expr): expr (an absl::Status or StatusOr) is OK;
// on failure the message shows the expression and the status it returned,
// e.g. "cluster.Put(0, "x", "1") returned UNIMPLEMENTED: ... not implemented".
// Like gtest's own macros, both accept more context with <<.
#define AURORALAB_STATUS_CHECK_(fail, expr)                                        \
  switch (0)                                                                       \
  case 0:                                                                          \
  default:                                                                         \
    if (const absl::Status auroralab_status_ = ::auroralab::internal::ToStatus(expr); \
        auroralab_status_.ok()) {                                                  \
    } else                                                                         \
      fail() << #expr << " returned " << auroralab_status_ << " "
#define EXPECT_OK(expr) AURORALAB_STATUS_CHECK_(ADD_FAILURE, expr)
#define ASSERT_OK(expr) AURORALAB_STATUS_CHECK_(FAIL, expr)

#endif  // AURORALAB_LABS_FRAMEWORK_SIM_TEST_H_
