// Seeded scenario runner for GoogleTest: run a scenario over many seeds, and
// make every failure replayable.
//
//   TEST(Counter, SurvivesCrashes) {
//     RunSeeds([](World& world) {
//       ... build nodes, script faults, run, EXPECT_... ...
//     });
//   }
//
// Seeds: 1..N with N = `default_seeds` (kept small so the suite is fast).
// AURORALAB_SEEDS=K runs seeds 1..K; AURORALAB_SEED=S runs only seed S
// (./lab test --seeds=K / --seed=S set these).
//
// When a seed fails, the runner stops and prints the seed, a one-line command
// that replays exactly that run, and the path of the run's trace (JSON lines,
// written into Bazel's undeclared-outputs directory, or the test's temp dir
// when run by hand). Every assertion inside the scenario is labelled with its
// seed.
#ifndef AURORALAB_LABS_FRAMEWORK_SIM_TEST_H_
#define AURORALAB_LABS_FRAMEWORK_SIM_TEST_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

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

// The command that replays the current test with `seed`.
std::string ReplayCommand(uint64_t seed);

// Where a test should write a file named after the current test and seed,
// e.g. ArtifactPath("history.html"); in Bazel's undeclared-outputs dir.
std::string ArtifactPath(std::string_view suffix);

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_SIM_TEST_H_
