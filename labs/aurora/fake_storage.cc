// InMemoryStorage; see fake_storage.h.
#include "labs/aurora/fake_storage.h"

#include "absl/strings/str_cat.h"
#include "labs/aurora/page.h"

namespace auroralab::aurora {

InMemoryStorage::InMemoryStorage(NodeContext& ctx, InMemoryStorageOptions options)
    : ctx_(ctx), options_(options) {}

absl::StatusOr<std::vector<RedoRecord>> InMemoryStorage::Append(std::vector<RedoRecord> mtr) {
  if (mtr.empty()) return absl::InvalidArgumentError("an MTR needs at least one record");
  const Lsn last = allocator_.next_lsn() + mtr.size() - 1;
  if (options_.allocation_limit > 0 && last > vdl_ + options_.allocation_limit) {
    return absl::UnavailableError(
        absl::StrCat("LSN ", last, " would pass VDL ", vdl_, " + LAL ", options_.allocation_limit));
  }
  allocator_.Number(mtr);
  for (const RedoRecord& record : mtr) {
    records_[record.lsn()] = record;
    durable_[record.lsn()] = false;
    const Duration delay = ctx_.rng().UniformInt(options_.min_delay, options_.max_delay);
    ctx_.SetTimer(delay, [this, lsn = record.lsn()] { MakeDurable(lsn); });
  }
  return mtr;
}

void InMemoryStorage::MakeDurable(Lsn lsn) {
  durable_[lsn] = true;
  Lsn new_vdl = vdl_;
  for (auto it = durable_.upper_bound(complete_); it != durable_.end() && it->second; ++it) {
    complete_ = it->first;
    if (records_.at(complete_).cpl()) new_vdl = complete_;
  }
  if (new_vdl > vdl_) {
    vdl_ = new_vdl;
    if (listener_) listener_(vdl_);
  }
}

void InMemoryStorage::ReadPage(PageId page, Lsn read_point, PageDone done) {
  ctx_.SetTimer(options_.read_delay, [this, page, read_point, done] {
    if (read_point > vdl_) {
      return done(
          absl::UnavailableError(absl::StrCat("read point ", read_point, " is above VDL ", vdl_)));
    }
    std::vector<RedoRecord> records;
    for (auto it = records_.begin(); it != records_.end() && it->first <= read_point; ++it) {
      if (it->second.page() == page) records.push_back(it->second);
    }
    done(MaterializePage(page, std::move(records), read_point));
  });
}

}  // namespace auroralab::aurora
