#include "labs/framework/linearizability.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "labs/framework/linearizability_kv.h"

namespace auroralab {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

KvOperation Put(int client, std::string key, std::string value, int64_t call, int64_t ret) {
  KvOperation op;
  op.client_id = client;
  op.input = {KvInput::kPut, std::move(key), std::move(value)};
  op.call = call;
  op.ret = ret;
  return op;
}

// A Put whose client never learned whether it was applied.
KvOperation PutUnknown(int client, std::string key, std::string value, int64_t call) {
  KvOperation op = Put(client, std::move(key), std::move(value), call, kNeverReturned);
  op.output.unknown = true;
  return op;
}

KvOperation Get(int client, std::string key, std::string value, int64_t call, int64_t ret) {
  KvOperation op;
  op.client_id = client;
  op.input = {KvInput::kGet, std::move(key), ""};
  op.output = {true, std::move(value), false};
  op.call = call;
  op.ret = ret;
  return op;
}

KvOperation GetNotFound(int client, std::string key, int64_t call, int64_t ret) {
  KvOperation op = Get(client, std::move(key), "", call, ret);
  op.output.found = false;
  return op;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Position of `op` in the (single) partition's linearization.
int PositionOf(const CheckResult& result, int op) {
  const std::vector<int>& lin = result.partitions.at(0).linearizations.at(0);
  return static_cast<int>(std::find(lin.begin(), lin.end(), op) - lin.begin());
}

// A generic, non-KV model: a counter with Increment and Read, no partitioning.
struct CounterInput {
  bool increment = false;
};
struct CounterOutput {
  int value = 0;  // Read only
};

Model<int, CounterInput, CounterOutput> CounterModel() {
  Model<int, CounterInput, CounterOutput> model;
  model.init = [] { return 0; };
  model.step = [](const int& state, const CounterInput& in, const CounterOutput& out) {
    if (in.increment) return std::make_pair(true, state + 1);
    return std::make_pair(out.value == state, state);
  };
  model.describe_operation = [](const CounterInput& in, const CounterOutput& out) {
    return in.increment ? std::string("Inc()") : "Read() -> " + std::to_string(out.value);
  };
  model.describe_state = [](const int& state) { return std::to_string(state); };
  return model;
}

TEST(LinearizabilityTest, EmptyHistoryIsOk) {
  const CheckResult result = CheckKvOperations({});
  EXPECT_EQ(result.verdict, CheckResult::kOk) << result.message;
  EXPECT_TRUE(result.partitions.empty());
}

TEST(LinearizabilityTest, SequentialLegalHistoryIsOk) {
  const std::vector<KvOperation> history = {
      GetNotFound(1, "x", 0, 10), Put(1, "x", "1", 20, 30), Get(2, "x", "1", 40, 50),
      Put(2, "x", "2", 60, 70),   Get(1, "x", "2", 80, 90),
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kOk) << result.message;
  EXPECT_TRUE(result.ok());
  ASSERT_EQ(result.partitions.size(), 1u);
  EXPECT_EQ(result.partitions[0].name, "key \"x\"");
  // A sequential history has exactly one linearization: the real-time order.
  EXPECT_THAT(result.partitions[0].linearizations, ElementsAre(ElementsAre(0, 1, 2, 3, 4)));
  EXPECT_THAT(result.message, HasSubstr("history is linearizable (5 operations"));
}

TEST(LinearizabilityTest, StaleReadAfterCompletedWriteIsIllegal) {
  const std::vector<KvOperation> history = {
      Put(1, "x", "1", 0, 10), Put(1, "x", "2", 20, 30),
      Get(2, "x", "1", 40, 50),  // "2" was already written when this started
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kIllegal) << result.message;
  EXPECT_FALSE(result.ok());
  const CheckResult::Partition& p = result.partitions.at(0);
  EXPECT_EQ(p.verdict, CheckResult::kIllegal);
  // The longest partial linearization is both Puts; the Get never fits.
  ASSERT_FALSE(p.linearizations.empty());
  EXPECT_THAT(p.linearizations[0], ElementsAre(0, 1));
  EXPECT_THAT(p.longest_for_op, ElementsAre(0, 0, -1));
  EXPECT_THAT(result.message, HasSubstr("not linearizable"));
  EXPECT_THAT(result.message, HasSubstr("key \"x\""));
  EXPECT_THAT(result.message,
              HasSubstr("client 2: Get(\"x\") -> \"1\" [40us..50us]: illegal in this state"));
  EXPECT_THAT(result.message, HasSubstr("in state \"2\""));
}

TEST(LinearizabilityTest, ReadOfNeverWrittenValueIsIllegal) {
  const std::vector<KvOperation> history = {Get(1, "x", "ghost", 0, 10)};
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kIllegal) << result.message;
  EXPECT_TRUE(result.partitions[0].linearizations.empty());
  EXPECT_THAT(result.message, HasSubstr("no operation can be linearized first"));
}

TEST(LinearizabilityTest, ConcurrentOperationsLegalInSomeOrderAreOk) {
  // Two overlapping Puts; the reads pin the order Put("1") < Put("2"), which
  // differs from the order the calls were issued in.
  const std::vector<KvOperation> history = {
      Put(1, "x", "2", 0, 100), Put(2, "x", "1", 5, 100), GetNotFound(3, "x", 1, 4),
      Get(3, "x", "1", 10, 20), Get(3, "x", "2", 30, 40), Get(4, "x", "2", 110, 120),
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kOk) << result.message;
  EXPECT_LT(PositionOf(result, 2), PositionOf(result, 1));
  EXPECT_LT(PositionOf(result, 1), PositionOf(result, 3));
  EXPECT_LT(PositionOf(result, 3), PositionOf(result, 0));
  EXPECT_LT(PositionOf(result, 0), PositionOf(result, 4));
}

TEST(LinearizabilityTest, ReadsGoingBackInTimeAreIllegalEvenWhenConcurrent) {
  const std::vector<KvOperation> history = {
      Put(1, "x", "1", 0, 100), Put(2, "x", "2", 0, 100),   Get(3, "x", "1", 10, 20),
      Get(3, "x", "2", 30, 40), Get(4, "x", "1", 110, 120),  // both Puts are done and "2" won
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kIllegal) << result.message;
  const CheckResult::Partition& p = result.partitions[0];
  ASSERT_FALSE(p.linearizations.empty());
  EXPECT_EQ(p.linearizations[0].size(), 4u);
  EXPECT_EQ(p.longest_for_op[4], -1);
}

TEST(LinearizabilityTest, TouchingIntervalsCountAsConcurrent) {
  // The Get is called exactly when the Put returns; treated as concurrent, so
  // reading the old value is allowed.
  const std::vector<KvOperation> history = {Put(1, "x", "1", 0, 10), GetNotFound(2, "x", 10, 20)};
  EXPECT_EQ(CheckKvOperations(history).verdict, CheckResult::kOk);
  // One microsecond later it is a stale read.
  const std::vector<KvOperation> later = {Put(1, "x", "1", 0, 10), GetNotFound(2, "x", 11, 20)};
  EXPECT_EQ(CheckKvOperations(later).verdict, CheckResult::kIllegal);
}

TEST(LinearizabilityTest, UnknownOutcomePutMayTakeEffectLater) {
  const std::vector<KvOperation> history = {
      Put(1, "x", "1", 0, 10),  PutUnknown(1, "x", "2", 20),  // timed out
      Get(2, "x", "1", 30, 40),                               // not applied yet...
      Get(2, "x", "2", 50, 60),                               // ...but applied by now
      Get(3, "x", "2", 70, 80),
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kOk) << result.message;
  EXPECT_GT(PositionOf(result, 1), PositionOf(result, 2));
  EXPECT_LT(PositionOf(result, 1), PositionOf(result, 3));
}

TEST(LinearizabilityTest, UnknownOutcomeOperationMayNeverTakeEffect) {
  // A generic model, so the search itself has to place the timed-out
  // increment: "never took effect" == linearized after everything else.
  using Op = Operation<CounterInput, CounterOutput>;
  const std::vector<Op> history = {
      {1, {true}, 0, {}, 10},
      {1, {true}, 20, {}, kNeverReturned},
      {2, {false}, 30, {1}, 40},
      {2, {false}, 1000, {1}, 1010},
  };
  const CheckResult result = CheckOperations(CounterModel(), history);
  ASSERT_EQ(result.verdict, CheckResult::kOk) << result.message;
  EXPECT_EQ(PositionOf(result, 1), 3);
}

TEST(LinearizabilityTest, KvModelLeavesOutUnobservableUnknownOperations) {
  KvOperation unknown_get = Get(3, "x", "", 5, kNeverReturned);
  unknown_get.output.unknown = true;
  const std::vector<KvOperation> history = {
      Put(1, "x", "1", 0, 10),
      PutUnknown(1, "x", "2", 20),  // never observed: as if it never happened
      unknown_get,                  // constrains nothing
      PutUnknown(2, "x", "3", 25),  // observed below, so it is kept
      Get(2, "x", "3", 30, 40),
      Get(2, "x", "3", 1000, 1010),
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kOk) << result.message;
  ASSERT_EQ(result.partitions.size(), 1u);
  EXPECT_EQ(result.partitions[0].num_operations, 4);
  const auto partitions = KvModel().partition(history);
  ASSERT_EQ(partitions.size(), 1u);
  ASSERT_EQ(partitions[0].size(), 4u);
  EXPECT_EQ(partitions[0][1].input.value, "3");
  EXPECT_TRUE(partitions[0][1].output.unknown);
}

TEST(LinearizabilityTest, UnknownOutcomePutCannotTakeEffectBeforeItsCallOrTwice) {
  // Seen before it was issued.
  const std::vector<KvOperation> early = {
      Put(1, "x", "1", 0, 10),
      Get(2, "x", "2", 20, 30),
      PutUnknown(1, "x", "2", 40),
  };
  EXPECT_EQ(CheckKvOperations(early).verdict, CheckResult::kIllegal);
  // Once visible it cannot be undone.
  const std::vector<KvOperation> flicker = {
      Put(1, "x", "1", 0, 10),
      PutUnknown(1, "x", "2", 20),
      Get(2, "x", "2", 30, 40),
      Get(2, "x", "1", 50, 60),
  };
  EXPECT_EQ(CheckKvOperations(flicker).verdict, CheckResult::kIllegal);
}

TEST(LinearizabilityTest, UnknownOutcomeGetAcceptsAnything) {
  KvOperation get = Get(2, "x", "whatever", 5, kNeverReturned);
  get.output.unknown = true;
  const std::vector<KvOperation> history = {Put(1, "x", "1", 0, 10), get, Get(3, "x", "1", 20, 30)};
  EXPECT_EQ(CheckKvOperations(history).verdict, CheckResult::kOk);
}

TEST(LinearizabilityTest, PartitionsByKeyAndReportsTheFailingKey) {
  const std::vector<KvOperation> history = {
      Put(1, "a", "1", 0, 10),  Put(2, "b", "1", 0, 10),  Put(3, "c", "1", 0, 10),
      Get(1, "a", "1", 20, 30), Put(2, "b", "2", 20, 30), Get(3, "c", "1", 20, 30),
      Put(1, "a", "2", 40, 50), Get(2, "b", "1", 40, 50), Get(3, "c", "1", 40, 50),
      Get(1, "a", "2", 60, 70),
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kIllegal) << result.message;
  ASSERT_EQ(result.partitions.size(), 3u);
  EXPECT_EQ(result.partitions[0].name, "key \"a\"");
  EXPECT_EQ(result.partitions[0].verdict, CheckResult::kOk);
  EXPECT_EQ(result.partitions[0].num_operations, 4);
  EXPECT_EQ(result.partitions[1].name, "key \"b\"");
  EXPECT_EQ(result.partitions[1].verdict, CheckResult::kIllegal);
  EXPECT_EQ(result.partitions[2].verdict, CheckResult::kOk);
  EXPECT_THAT(result.message, HasSubstr("1 of 3 partitions failed: key \"b\""));
  EXPECT_THAT(result.message, Not(HasSubstr("key \"a\"")));
}

TEST(LinearizabilityTest, BudgetExhaustionIsUnknownNotOk) {
  // 16 fully concurrent Puts and a read of a value nobody wrote: proving this
  // illegal means trying every subset of Puts, far more than the budget.
  std::vector<KvOperation> history;
  for (int i = 0; i < 16; ++i) history.push_back(Put(i, "x", std::to_string(i), 0, 100));
  history.push_back(Get(99, "x", "ghost", 0, 100));
  CheckOptions options;
  options.max_steps = 1000;
  const CheckResult result = CheckKvOperations(history, options);
  EXPECT_EQ(result.verdict, CheckResult::kUnknown);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.steps, 1000);
  EXPECT_THAT(result.message,
              HasSubstr("linearizability check did not finish within 1000 steps; make the "
                        "history smaller"));
  // The partial progress is still reported for the HTML page.
  EXPECT_FALSE(result.partitions[0].linearizations.empty());
}

TEST(LinearizabilityTest, BudgetIsSharedAcrossPartitions) {
  std::vector<KvOperation> history;
  for (int i = 0; i < 20; ++i) {
    const std::string key(1, static_cast<char>('a' + i));
    history.push_back(Put(1, key, "v", 10 * i, 10 * i + 5));
    history.push_back(Get(2, key, "v", 10 * i + 6, 10 * i + 9));
  }
  const CheckResult full = CheckKvOperations(history);
  ASSERT_EQ(full.verdict, CheckResult::kOk) << full.message;
  CheckOptions options;
  options.max_steps = full.steps - 1;
  const CheckResult result = CheckKvOperations(history, options);
  EXPECT_EQ(result.verdict, CheckResult::kUnknown);
  EXPECT_EQ(result.partitions.back().verdict, CheckResult::kUnknown);
  EXPECT_EQ(result.partitions.front().verdict, CheckResult::kOk);
  EXPECT_THAT(result.message, HasSubstr("19 of 20 partitions verified"));
}

TEST(LinearizabilityTest, InvalidIntervalIsReportedNotJudged) {
  const std::vector<KvOperation> history = {Put(1, "x", "1", 50, 10)};
  const CheckResult result = CheckKvOperations(history);
  EXPECT_EQ(result.verdict, CheckResult::kUnknown);
  EXPECT_THAT(result.message, HasSubstr("invalid history"));
  EXPECT_THAT(result.message, HasSubstr("returns at 10us before its call at 50us"));
}

// Deterministic pseudo-random numbers (64-bit LCG, high bits).
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : state_(seed) {}
  int Next(int bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state_ >> 33) % static_cast<uint64_t>(bound));
  }

 private:
  uint64_t state_;
};

// Simulates `clients` clients hammering a real, atomic register map: every
// operation takes effect at a point strictly inside its [call, ret] window,
// so the resulting history is linearizable by construction. A few Puts time
// out (ret = kNeverReturned); half of those are applied anyway.
std::vector<KvOperation> GenerateLegalHistory(uint64_t seed, int clients, int ops_per_client,
                                              int keys, int unknown_percent) {
  Lcg rng(seed);
  struct Planned {
    KvOperation op;
    int64_t effect;  // when it takes effect in the real register
    bool applied;
  };
  std::vector<Planned> planned;
  for (int c = 0; c < clients; ++c) {
    int64_t now = rng.Next(20);
    for (int i = 0; i < ops_per_client; ++i) {
      const std::string key = "k" + std::to_string(rng.Next(keys));
      const int64_t call = now;
      const int64_t effect = call + 1 + rng.Next(30);
      const int64_t ret = effect + 1 + rng.Next(30);
      Planned p{{}, effect, true};
      if (rng.Next(2) == 0) {
        p.op = Put(c, key, "c" + std::to_string(c) + "-" + std::to_string(i), call, ret);
        if (rng.Next(100) < unknown_percent) {
          p.op.ret = kNeverReturned;
          p.op.output.unknown = true;
          p.applied = rng.Next(2) == 0;
        }
      } else {
        p.op = Get(c, key, "", call, ret);
      }
      planned.push_back(std::move(p));
      now = ret + 1 + rng.Next(10);
    }
  }
  // Apply everything in effect order to compute what the Gets really saw.
  std::vector<int> order(planned.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return planned[a].effect < planned[b].effect; });
  std::map<std::string, std::string> store;
  for (int i : order) {
    KvOperation& op = planned[i].op;
    if (op.input.kind == KvInput::kPut) {
      if (planned[i].applied) store[op.input.key] = op.input.value;
    } else {
      auto it = store.find(op.input.key);
      op.output.found = it != store.end();
      op.output.value = op.output.found ? it->second : "";
    }
  }
  std::vector<KvOperation> history;
  for (Planned& p : planned) history.push_back(std::move(p.op));
  return history;
}

TEST(LinearizabilityTest, LargeGeneratedSingleKeyHistoryIsOkAndCheap) {
  const std::vector<KvOperation> history =
      GenerateLegalHistory(/*seed=*/42, /*clients=*/8, /*ops_per_client=*/125, /*keys=*/1,
                           /*unknown_percent=*/2);
  ASSERT_EQ(history.size(), 1000u);
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kOk) << result.message;
  ASSERT_EQ(result.partitions.size(), 1u);
  // A few timed-out Puts nobody observed are left out by the KV model.
  EXPECT_GT(result.partitions[0].num_operations, 990);
  EXPECT_EQ(result.partitions[0].linearizations[0].size(),
            static_cast<size_t>(result.partitions[0].num_operations));
  // Steps are a deterministic stand-in for time: this is well under a second.
  EXPECT_LT(result.steps, 100000);
}

TEST(LinearizabilityTest, LargeGeneratedMultiKeyHistoryIsOkAndCorruptionIsFound) {
  std::vector<KvOperation> history =
      GenerateLegalHistory(/*seed=*/7, /*clients=*/10, /*ops_per_client=*/200, /*keys=*/5,
                           /*unknown_percent=*/1);
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kOk) << result.message;
  EXPECT_EQ(result.partitions.size(), 5u);
  EXPECT_LT(result.steps, 200000);

  // Corrupt one completed read in the middle: it now returns a value no one wrote.
  int victim = -1;
  for (int i = static_cast<int>(history.size()) / 2; i < static_cast<int>(history.size()); ++i) {
    if (history[i].input.kind == KvInput::kGet) {
      victim = i;
      break;
    }
  }
  ASSERT_NE(victim, -1);
  history[victim].output = {true, "corrupt", false};
  const std::string victim_key = history[victim].input.key;
  const CheckResult bad = CheckKvOperations(history);
  ASSERT_EQ(bad.verdict, CheckResult::kIllegal) << bad.message;
  EXPECT_THAT(bad.message, HasSubstr("partitions failed: key \"" + victim_key + "\""));
  EXPECT_THAT(bad.message, HasSubstr("\"corrupt\""));
}

TEST(LinearizabilityTest, ResultsAreDeterministic) {
  std::vector<KvOperation> history =
      GenerateLegalHistory(/*seed=*/3, /*clients=*/5, /*ops_per_client=*/40, /*keys=*/2,
                           /*unknown_percent=*/5);
  history.push_back(Get(77, "k0", "nope", 100, 120));
  const CheckResult a = CheckKvOperations(history);
  const CheckResult b = CheckKvOperations(history);
  ASSERT_EQ(a.verdict, CheckResult::kIllegal);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.steps, b.steps);
  ASSERT_EQ(a.partitions.size(), b.partitions.size());
  for (size_t i = 0; i < a.partitions.size(); ++i) {
    EXPECT_EQ(a.partitions[i].linearizations, b.partitions[i].linearizations);
    EXPECT_EQ(a.partitions[i].longest_for_op, b.partitions[i].longest_for_op);
  }
}

// Reference answer by brute force: try every order of the operations.
bool BruteForceLinearizable(const std::vector<KvOperation>& ops) {
  const KvModelType model = KvModel();
  std::vector<int> order(ops.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  do {
    bool ok = true;
    // Real time: nothing may come after an operation that was called after it returned.
    for (size_t i = 0; ok && i < order.size(); ++i) {
      for (size_t j = i + 1; ok && j < order.size(); ++j) {
        if (ops[order[j]].ret < ops[order[i]].call) ok = false;
      }
    }
    KvState state = model.init();
    for (size_t i = 0; ok && i < order.size(); ++i) {
      auto [legal, next] = model.step(state, ops[order[i]].input, ops[order[i]].output);
      ok = legal;
      state = next;
    }
    if (ok) return true;
  } while (std::next_permutation(order.begin(), order.end()));
  return false;
}

TEST(LinearizabilityTest, AgreesWithBruteForceOnSmallRandomHistories) {
  // Also check the plain search, without the read-only shortcut and without
  // the KV model leaving out unobservable unknown-outcome operations.
  KvModelType plain = KvModel();
  plain.read_only = nullptr;
  plain.partition = nullptr;
  Lcg rng(2024);
  int legal = 0, illegal = 0;
  for (int round = 0; round < 1000; ++round) {
    std::vector<KvOperation> ops;
    const int n = 1 + rng.Next(6);
    for (int i = 0; i < n; ++i) {
      const int64_t call = rng.Next(20);
      const int64_t ret = rng.Next(6) == 0 ? kNeverReturned : call + rng.Next(10);
      const std::string value = std::to_string(rng.Next(3));
      if (rng.Next(2) == 0) {
        ops.push_back(Put(i, "k", value, call, ret));
      } else if (rng.Next(4) == 0) {
        ops.push_back(GetNotFound(i, "k", call, ret));
      } else {
        ops.push_back(Get(i, "k", value, call, ret));
      }
      ops.back().output.unknown = ret == kNeverReturned;
    }
    const CheckResult::Verdict expected =
        BruteForceLinearizable(ops) ? CheckResult::kOk : CheckResult::kIllegal;
    const CheckResult result = CheckKvOperations(ops);
    ASSERT_EQ(result.verdict, expected) << "round " << round << ": " << result.message;
    const CheckResult plain_result = CheckOperations(plain, ops);
    ASSERT_EQ(plain_result.verdict, expected) << "round " << round << ": " << result.message;
    (expected == CheckResult::kOk ? legal : illegal)++;
  }
  // Both outcomes must actually be exercised.
  EXPECT_GT(legal, 200);
  EXPECT_GT(illegal, 200);
}

TEST(LinearizabilityTest, GenericModelWithoutPartitioning) {
  using Op = Operation<CounterInput, CounterOutput>;
  const std::vector<Op> legal = {
      {1, {true}, 0, {}, 100},   {2, {true}, 0, {}, 100},     {3, {false}, 10, {1}, 20},
      {3, {false}, 30, {2}, 40}, {4, {false}, 110, {2}, 120},
  };
  const CheckResult ok = CheckOperations(CounterModel(), legal);
  EXPECT_EQ(ok.verdict, CheckResult::kOk) << ok.message;
  ASSERT_EQ(ok.partitions.size(), 1u);
  EXPECT_EQ(ok.partitions[0].name, "partition 0");

  std::vector<Op> illegal = legal;
  illegal[4].output.value = 1;  // the counter went backwards
  const CheckResult bad = CheckOperations(CounterModel(), illegal);
  ASSERT_EQ(bad.verdict, CheckResult::kIllegal);
  EXPECT_THAT(bad.message, HasSubstr("client 4: Read() -> 1 [110us..120us]: illegal"));
}

TEST(KvHistoryTest, RecordsCompletedDiscardedUnknownAndPendingOperations) {
  KvHistory h;
  const int64_t put = h.BeginPut(1, "x", "v1", 10);
  const int64_t get = h.BeginGet(2, "x", 12);
  const int64_t failed_get = h.BeginGet(3, "x", 13);
  const int64_t timed_out = h.BeginPut(3, "x", "v2", 14);
  const int64_t pending = h.BeginPut(4, "y", "v3", 15);
  h.EndPut(put, 20);
  h.EndGet(get, true, "v1", 25);
  h.Discard(failed_get);
  h.EndUnknown(timed_out);
  EXPECT_EQ(h.size(), 5);
  (void)pending;

  const std::vector<KvOperation> ops = h.ops();
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].input.kind, KvInput::kPut);
  EXPECT_EQ(ops[0].call, 10);
  EXPECT_EQ(ops[0].ret, 20);
  EXPECT_FALSE(ops[0].output.unknown);
  EXPECT_EQ(ops[1].client_id, 2);
  EXPECT_TRUE(ops[1].output.found);
  EXPECT_EQ(ops[1].output.value, "v1");
  EXPECT_EQ(ops[1].ret, 25);
  EXPECT_EQ(ops[2].input.value, "v2");
  EXPECT_EQ(ops[2].ret, kNeverReturned);
  EXPECT_TRUE(ops[2].output.unknown);
  EXPECT_EQ(ops[3].input.key, "y");  // never ended => unknown outcome
  EXPECT_EQ(ops[3].ret, kNeverReturned);
  EXPECT_TRUE(ops[3].output.unknown);

  EXPECT_EQ(CheckKvOperations(ops).verdict, CheckResult::kOk);
}

TEST(KvHistoryTest, EndingAnOperationTwiceDies) {
  KvHistory h;
  const int64_t put = h.BeginPut(1, "x", "v", 0);
  h.EndPut(put, 1);
  EXPECT_DEATH(h.EndPut(put, 2), "already ended");
}

TEST(LinearizabilityHtmlTest, FailingHistoryShowsKeyClientsAndFailure) {
  const std::vector<KvOperation> history = {
      Put(1, "a", "1", 0, 10),  Get(2, "a", "1", 20, 30), Put(1, "b", "1", 0, 10),
      Put(1, "b", "2", 20, 30), Get(2, "b", "1", 40, 50), PutUnknown(3, "b", "3", 45),
      Get(4, "b", "3", 60, 70),
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kIllegal);
  const std::string path = ::testing::TempDir() + "/linearizability_failing.html";
  ASSERT_TRUE(WriteKvLinearizabilityHtml(path, history, result).ok());
  const std::string html = ReadFile(path);
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("key &quot;b&quot;"));
  EXPECT_THAT(html, HasSubstr("key &quot;a&quot;"));
  EXPECT_THAT(html, HasSubstr(">client 1</div>"));
  EXPECT_THAT(html, HasSubstr(">client 2</div>"));
  EXPECT_THAT(html, HasSubstr(">client 3</div>"));
  EXPECT_THAT(html, HasSubstr(">client 4</div>"));
  EXPECT_THAT(html, HasSubstr("NOT LINEARIZABLE"));
  // The stale Get is the operation that could not be linearized next.
  EXPECT_THAT(html, HasSubstr("class=\"op blocked\""));
  EXPECT_THAT(html, HasSubstr("could not be linearized next"));
  EXPECT_THAT(html, HasSubstr("illegal in this state"));
  // The unknown-outcome Put is drawn open-ended.
  EXPECT_THAT(html, HasSubstr("class=\"op open"));
  // Self-contained: no external resources.
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
}

TEST(LinearizabilityHtmlTest, EscapesUserText) {
  const std::vector<KvOperation> history = {
      Put(1, "<script>alert(1)</script>", "&", 0, 10),
      Get(2, "<script>alert(1)</script>", "x", 20, 30),
  };
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kIllegal);
  const std::string path = ::testing::TempDir() + "/linearizability_escape.html";
  ASSERT_TRUE(WriteKvLinearizabilityHtml(path, history, result).ok());
  const std::string html = ReadFile(path);
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

TEST(LinearizabilityHtmlTest, OkHistoryAndMismatchedResult) {
  const std::vector<KvOperation> history = {Put(1, "a", "1", 0, 10), Get(2, "a", "1", 20, 30)};
  const CheckResult result = CheckKvOperations(history);
  ASSERT_EQ(result.verdict, CheckResult::kOk);
  const std::string path = ::testing::TempDir() + "/linearizability_ok.html";
  ASSERT_TRUE(WriteKvLinearizabilityHtml(path, history, result).ok());
  const std::string html = ReadFile(path);
  EXPECT_THAT(html, HasSubstr("A valid linearization"));
  EXPECT_THAT(html, Not(HasSubstr("class=\"op blocked\"")));

  const std::vector<KvOperation> other = {Put(1, "z", "1", 0, 10)};
  EXPECT_EQ(WriteKvLinearizabilityHtml(path, other, result).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteKvLinearizabilityHtml("/nonexistent-dir/x.html", history, result).code(),
            absl::StatusCode::kUnavailable);
}

TEST(LinearizabilityHtmlTest, LinksTheTraceViewerOnlyWhenAsked) {
  const std::vector<KvOperation> history = {Put(1, "a", "1", 0, 10), Get(2, "a", "2", 20, 30)};
  const CheckResult result = CheckKvOperations(history);
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/linearizability_links.html";
  ASSERT_TRUE(WriteKvLinearizabilityHtml(path, history, result).ok());
  EXPECT_THAT(ReadFile(path), Not(HasSubstr("trace-link")));

  // A page in the same directory is linked by name, so the pair can move together.
  ASSERT_TRUE(
      WriteKvLinearizabilityHtml(path, history, result, {.trace_page = dir + "/T.seed3.trace.html"})
          .ok());
  EXPECT_THAT(ReadFile(path), HasSubstr("id=\"trace-link\" href=\"T.seed3.trace.html\""));
  // Elsewhere: the path as given.
  ASSERT_TRUE(
      WriteKvLinearizabilityHtml(path, history, result, {.trace_page = "/other/T.trace.html"})
          .ok());
  EXPECT_THAT(ReadFile(path), HasSubstr("href=\"/other/T.trace.html\""));
}

}  // namespace
}  // namespace auroralab
