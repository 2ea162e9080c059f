// Pages of the provided database tier: the volume layout (which key lives on
// which page, which page in which protection group) and the pure functions
// that build a page from redo records.
//
// Contract:
//  * Keys are the names "k0", "k1", ... "k<num_keys-1>" of a VolumeLayout;
//    key i lives on page 1 + i / keys_per_page. Page 0 is the transaction
//    table: COMMIT and ABORT records go there and change no slot.
//  * Page p belongs to protection group p % num_pgs (lab 2 has one PG).
//  * Every page starts from the same empty base image (EmptyPage).
//    ApplyRecord is pure: the same image and record always give the same
//    result, so any segment that applies a page's records in LSN order
//    gets the same page.
//  * UndoRecord (lab 3) puts back the record's old value.
#ifndef AURORALAB_LABS_AURORA_PAGE_H_
#define AURORALAB_LABS_AURORA_PAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "labs/aurora/redo.pb.h"

namespace auroralab::aurora {

using Lsn = uint64_t;
using PageId = uint64_t;
using PgId = uint32_t;
using TxnId = uint64_t;

// "No LSN": before the first record. Real LSNs start at 1.
inline constexpr Lsn kNoLsn = 0;
inline constexpr PageId kTxnTablePage = 0;
// A page holds at most this many key slots.
inline constexpr int kMaxSlotsPerPage = 8;

class VolumeLayout {
 public:
  // InvalidArgument unless num_keys >= 1, 1 <= keys_per_page <=
  // kMaxSlotsPerPage and num_pgs >= 1.
  static absl::StatusOr<VolumeLayout> Create(int num_keys, int keys_per_page = 4, int num_pgs = 1);

  int num_keys() const { return num_keys_; }
  int keys_per_page() const { return keys_per_page_; }
  int num_pgs() const { return num_pgs_; }
  // Data pages are 1..num_data_pages().
  int num_data_pages() const { return (num_keys_ + keys_per_page_ - 1) / keys_per_page_; }

  // "k<index>"; index must be in [0, num_keys).
  std::string KeyName(int index) const;
  // The page of `key`; InvalidArgument for a name that is not a key of this
  // layout.
  absl::StatusOr<PageId> PageOf(std::string_view key) const;
  PgId PgOf(PageId page) const { return static_cast<PgId>(page % num_pgs_); }
  // Every key of `page`, in key-index order (empty for page 0 or past the end).
  std::vector<std::string> KeysOf(PageId page) const;
  std::vector<std::string> AllKeys() const;

 private:
  VolumeLayout(int num_keys, int keys_per_page, int num_pgs)
      : num_keys_(num_keys), keys_per_page_(keys_per_page), num_pgs_(num_pgs) {}
  int num_keys_;
  int keys_per_page_;
  int num_pgs_;
};

// The base image every page starts from: no slots, applied_lsn 0.
PageImage EmptyPage(PageId page);

// `image` with `record` applied. Errors: the record is for another page
// (InvalidArgument), its LSN is not above image.applied_lsn
// (FailedPrecondition: applied out of order or twice), a PUT/UNDO without
// a key or an unknown kind (InvalidArgument), more than kMaxSlotsPerPage
// keys (ResourceExhausted).
absl::StatusOr<PageImage> ApplyRecord(const PageImage& image, const RedoRecord& record);

// Lab 3: `image` with the change of `record` reverted to its old value
// (the slot removed if the key had none). applied_lsn is unchanged; a lab
// records the undo durably with an UNDO record. Only PUT and UNDO records
// can be undone.
absl::StatusOr<PageImage> UndoRecord(const PageImage& image, const RedoRecord& record);

// Page `page` at `read_point`: the base image plus every record of that page
// with LSN <= read_point, in LSN order. `records` may hold other pages'
// records and be in any order; duplicates (same LSN) count once.
absl::StatusOr<PageImage> MaterializePage(PageId page, std::vector<RedoRecord> records,
                                          Lsn read_point);

// The value of `key` in `image`, if it has one.
std::optional<std::string> FindValue(const PageImage& image, std::string_view key);

}  // namespace auroralab::aurora

#endif  // AURORALAB_LABS_AURORA_PAGE_H_
