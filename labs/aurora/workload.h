// Workload generators for the database tier: clients that run transactions
// on an Engine, every choice drawn from the node's rng (so a seed replays
// the same workload).
//
//  * kKvPuts: each transaction writes `keys_per_put` distinct random keys
//    to fresh values ("c<client>.<n>.<i>") with Engine::PutAll.
//  * kBank: one set-up transaction gives every key `initial_balance`; then
//    each transaction is a Transfer of 1..max_transfer between two distinct
//    random keys (declined, not failed, when the payer holds too little).
//    Every `audit_interval` an audit reads all pages at one read point and
//    checks the bank invariant (CheckBankTotal).
//
// `clients` clients run concurrently; each runs `transactions` transactions
// one after the other, with a random think time of up to `think_time`
// between them. The workload lives on the writer node and dies with it.
#ifndef AURORALAB_LABS_AURORA_WORKLOAD_H_
#define AURORALAB_LABS_AURORA_WORKLOAD_H_

#include <cstdint>

#include "absl/status/status.h"
#include "labs/aurora/engine.h"
#include "labs/framework/node.h"

namespace auroralab::aurora {

enum class WorkloadKind { kKvPuts, kBank };

struct WorkloadOptions {
  WorkloadKind kind = WorkloadKind::kKvPuts;
  int clients = 4;
  int transactions = 20;  // per client
  Duration think_time = Micros(500);
  int keys_per_put = 2;                 // kKvPuts; at most the number of keys
  int64_t initial_balance = 100;        // kBank
  int64_t max_transfer = 20;            // kBank
  Duration audit_interval = Millis(5);  // kBank; 0: no audits
  // kBank: run the set-up transaction (every key to initial_balance) first.
  // False: the balances are already there (a writer that took over).
  bool set_up = true;
};

struct WorkloadStats {
  int committed = 0;             // acknowledged transactions (the bank's set-up included)
  int declined = 0;              // transfers refused for lack of funds
  int failed = 0;                // transactions that ended with any other error
  int audits = 0;                // bank audits that read every page
  absl::Status first_violation;  // the first failed audit, if any
};

class Workload {
 public:
  Workload(NodeContext& ctx, Engine& engine, WorkloadOptions options);
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Starts the clients (after the bank's set-up transaction, for kBank).
  void Start();
  // Every client has finished its transactions.
  bool done() const { return finished_clients_ == options_.clients; }
  const WorkloadStats& stats() const { return stats_; }
  // What the bank's balances must add up to.
  int64_t expected_total() const { return options_.initial_balance * engine_.layout().num_keys(); }

 private:
  void RunClient(int client, int remaining);
  void Next(int client, int remaining, absl::Status outcome);
  void Audit();

  NodeContext& ctx_;
  Engine& engine_;
  WorkloadOptions options_;
  WorkloadStats stats_;
  int finished_clients_ = 0;
  int64_t put_counter_ = 0;
};

}  // namespace auroralab::aurora

#endif  // AURORALAB_LABS_AURORA_WORKLOAD_H_
