// Workload generators; see workload.h.
#include "labs/aurora/workload.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "labs/aurora/checkers.h"

namespace auroralab::aurora {

Workload::Workload(NodeContext& ctx, Engine& engine, WorkloadOptions options)
    : ctx_(ctx), engine_(engine), options_(options) {}

void Workload::Start() {
  if (options_.kind == WorkloadKind::kKvPuts) {
    for (int c = 0; c < options_.clients; ++c) RunClient(c, options_.transactions);
    return;
  }
  if (!options_.set_up) {
    for (int c = 0; c < options_.clients; ++c) RunClient(c, options_.transactions);
    if (options_.audit_interval > 0) ctx_.SetTimer(options_.audit_interval, [this] { Audit(); });
    return;
  }
  std::vector<std::pair<std::string, std::string>> balances;
  for (const std::string& key : engine_.layout().AllKeys()) {
    balances.emplace_back(key, absl::StrCat(options_.initial_balance));
  }
  engine_.PutAll(std::move(balances), [this](absl::StatusOr<Lsn> commit) {
    if (!commit.ok()) {
      ++stats_.failed;
      stats_.first_violation = absl::InternalError(
          absl::StrCat("the bank's set-up transaction failed: ", commit.status().ToString()));
      finished_clients_ = options_.clients;
      return;
    }
    ++stats_.committed;
    for (int c = 0; c < options_.clients; ++c) RunClient(c, options_.transactions);
    if (options_.audit_interval > 0) ctx_.SetTimer(options_.audit_interval, [this] { Audit(); });
  });
}

void Workload::RunClient(int client, int remaining) {
  if (remaining == 0) {
    ++finished_clients_;
    return;
  }
  const int num_keys = engine_.layout().num_keys();
  auto next = [this, client, remaining](absl::StatusOr<Lsn> commit) {
    Next(client, remaining, commit.status());
  };
  if (options_.kind == WorkloadKind::kBank) {
    const int from = static_cast<int>(ctx_.rng().Uniform(num_keys));
    int to = static_cast<int>(ctx_.rng().Uniform(num_keys - 1));
    if (to >= from) ++to;
    const int64_t amount = ctx_.rng().UniformInt(1, options_.max_transfer);
    engine_.Transfer(engine_.layout().KeyName(from), engine_.layout().KeyName(to), amount,
                     std::move(next));
    return;
  }
  std::set<int> keys;
  const int wanted = std::min(options_.keys_per_put, num_keys);
  while (static_cast<int>(keys.size()) < wanted) {
    keys.insert(static_cast<int>(ctx_.rng().Uniform(num_keys)));
  }
  std::vector<std::pair<std::string, std::string>> writes;
  const int64_t n = put_counter_++;
  int i = 0;
  for (int k : keys) {
    writes.emplace_back(engine_.layout().KeyName(k), absl::StrCat("c", client, ".", n, ".", i++));
  }
  engine_.PutAll(std::move(writes), std::move(next));
}

void Workload::Next(int client, int remaining, absl::Status outcome) {
  if (outcome.ok()) {
    ++stats_.committed;
  } else if (options_.kind == WorkloadKind::kBank &&
             outcome.code() == absl::StatusCode::kFailedPrecondition) {
    ++stats_.declined;
  } else {
    ++stats_.failed;
    ctx_.Log(absl::StrCat("client ", client, ": transaction failed: ", outcome.ToString()));
  }
  const Duration think = ctx_.rng().UniformInt(0, options_.think_time);
  ctx_.SetTimer(think, [this, client, remaining] { RunClient(client, remaining - 1); });
}

void Workload::Audit() {
  std::vector<PageId> pages;
  for (int p = 1; p <= engine_.layout().num_data_pages(); ++p) pages.push_back(p);
  engine_.ReadSnapshot(pages, [this](absl::StatusOr<std::vector<PageImage>> images) {
    if (images.ok()) {
      ++stats_.audits;
      absl::Status total = CheckBankTotal(*images, expected_total());
      if (!total.ok() && stats_.first_violation.ok()) {
        stats_.first_violation = absl::Status(
            total.code(),
            absl::StrCat("audit at read point ", engine_.read_point(), ": ", total.message()));
      }
    }
    if (!done()) ctx_.SetTimer(options_.audit_interval, [this] { Audit(); });
  });
}

}  // namespace auroralab::aurora
