// Pages of the provided database tier; see page.h for the contract.
#include "labs/aurora/page.h"

#include <algorithm>
#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace auroralab::aurora {
namespace {

// Sets (or, with present == false, removes) `key` in the sorted slot list.
absl::Status SetSlot(PageImage& image, const std::string& key, bool present,
                     const std::string& value) {
  auto* slots = image.mutable_slots();
  auto it = std::lower_bound(slots->begin(), slots->end(), key,
                             [](const Slot& s, const std::string& k) { return s.key() < k; });
  const bool exists = it != slots->end() && it->key() == key;
  if (!present) {
    if (exists) slots->erase(it);
    return absl::OkStatus();
  }
  if (exists) {
    it->set_value(value);
    return absl::OkStatus();
  }
  if (slots->size() >= kMaxSlotsPerPage) {
    return absl::ResourceExhaustedError(
        absl::StrCat("page ", image.page(), " is full (", kMaxSlotsPerPage, " slots); key ", key));
  }
  // Insert keeping the order: append, then rotate into place.
  const int index = static_cast<int>(it - slots->begin());
  Slot* added = slots->Add();
  added->set_key(key);
  added->set_value(value);
  for (int i = slots->size() - 1; i > index; --i) slots->SwapElements(i, i - 1);
  return absl::OkStatus();
}

bool ChangesASlot(RecordKind kind) { return kind == PUT || kind == UNDO; }

}  // namespace

absl::StatusOr<VolumeLayout> VolumeLayout::Create(int num_keys, int keys_per_page, int num_pgs) {
  if (num_keys < 1) return absl::InvalidArgumentError("a volume needs at least one key");
  if (keys_per_page < 1 || keys_per_page > kMaxSlotsPerPage) {
    return absl::InvalidArgumentError(
        absl::StrCat("keys_per_page must be in [1, ", kMaxSlotsPerPage, "], got ", keys_per_page));
  }
  if (num_pgs < 1) return absl::InvalidArgumentError("a volume needs at least one PG");
  return VolumeLayout(num_keys, keys_per_page, num_pgs);
}

std::string VolumeLayout::KeyName(int index) const { return absl::StrCat("k", index); }

absl::StatusOr<PageId> VolumeLayout::PageOf(std::string_view key) const {
  int index = -1;
  const bool well_formed = key.size() >= 2 && key[0] == 'k' && (key.size() == 2 || key[1] != '0');
  if (well_formed) {
    const char* end = key.data() + key.size();
    auto [ptr, ec] = std::from_chars(key.data() + 1, end, index);
    if (ec != std::errc() || ptr != end) index = -1;
  }
  if (index < 0 || index >= num_keys_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", std::string(key), "\" is not a key of this volume (k0 .. k", num_keys_ - 1, ")"));
  }
  return static_cast<PageId>(1 + index / keys_per_page_);
}

std::vector<std::string> VolumeLayout::KeysOf(PageId page) const {
  std::vector<std::string> keys;
  if (page == kTxnTablePage) return keys;
  const int64_t first = static_cast<int64_t>(page - 1) * keys_per_page_;
  for (int64_t i = first; i < first + keys_per_page_ && i < num_keys_; ++i) {
    keys.push_back(KeyName(static_cast<int>(i)));
  }
  return keys;
}

std::vector<std::string> VolumeLayout::AllKeys() const {
  std::vector<std::string> keys;
  for (int i = 0; i < num_keys_; ++i) keys.push_back(KeyName(i));
  return keys;
}

PageImage EmptyPage(PageId page) {
  PageImage image;
  image.set_page(page);
  return image;
}

absl::StatusOr<PageImage> ApplyRecord(const PageImage& image, const RedoRecord& record) {
  if (record.page() != image.page()) {
    return absl::InvalidArgumentError(absl::StrCat("record ", record.lsn(), " is for page ",
                                                   record.page(), ", not page ", image.page()));
  }
  if (record.lsn() <= image.applied_lsn()) {
    return absl::FailedPreconditionError(
        absl::StrCat("record ", record.lsn(), " is not above page ", image.page(),
                     "'s applied LSN ", image.applied_lsn(), " (out of order or applied twice)"));
  }
  PageImage next = image;
  next.set_applied_lsn(record.lsn());
  switch (record.kind()) {
    case PUT:
    case UNDO: {
      const Change& change = record.change();
      if (change.key().empty()) {
        return absl::InvalidArgumentError(absl::StrCat("record ", record.lsn(), " has no key"));
      }
      if (absl::Status s = SetSlot(next, change.key(), change.new_present(), change.new_value());
          !s.ok()) {
        return s;
      }
      return next;
    }
    case COMMIT:
    case ABORT:
      return next;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("record ", record.lsn(), " has unknown kind ", record.kind()));
  }
}

absl::StatusOr<PageImage> UndoRecord(const PageImage& image, const RedoRecord& record) {
  if (record.page() != image.page()) {
    return absl::InvalidArgumentError(absl::StrCat("record ", record.lsn(), " is for page ",
                                                   record.page(), ", not page ", image.page()));
  }
  if (!ChangesASlot(record.kind()) || record.change().key().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("record ", record.lsn(), " changes no key; there is nothing to undo"));
  }
  PageImage next = image;
  const Change& change = record.change();
  if (absl::Status s = SetSlot(next, change.key(), change.old_present(), change.old_value());
      !s.ok()) {
    return s;
  }
  return next;
}

absl::StatusOr<PageImage> MaterializePage(PageId page, std::vector<RedoRecord> records,
                                          Lsn read_point) {
  std::stable_sort(records.begin(), records.end(),
                   [](const RedoRecord& a, const RedoRecord& b) { return a.lsn() < b.lsn(); });
  PageImage image = EmptyPage(page);
  for (const RedoRecord& record : records) {
    if (record.page() != page || record.lsn() > read_point) continue;
    if (record.lsn() == image.applied_lsn() && record.lsn() != kNoLsn) continue;  // duplicate
    absl::StatusOr<PageImage> next = ApplyRecord(image, record);
    if (!next.ok()) return next.status();
    image = *std::move(next);
  }
  return image;
}

std::optional<std::string> FindValue(const PageImage& image, std::string_view key) {
  for (const Slot& slot : image.slots()) {
    if (slot.key() == key) return slot.value();
  }
  return std::nullopt;
}

}  // namespace auroralab::aurora
