// Tests of pages: the volume layout, applying and undoing records,
// materializing a page at a read point.
#include "labs/aurora/page.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/framework/sim_test.h"

namespace auroralab::aurora {
namespace {

RedoRecord Put(Lsn lsn, PageId page, const std::string& key, std::optional<std::string> old_value,
               std::optional<std::string> new_value) {
  RedoRecord r;
  r.set_lsn(lsn);
  r.set_page(page);
  r.set_kind(PUT);
  r.mutable_change()->set_key(key);
  r.mutable_change()->set_old_present(old_value.has_value());
  r.mutable_change()->set_old_value(old_value.value_or(""));
  r.mutable_change()->set_new_present(new_value.has_value());
  r.mutable_change()->set_new_value(new_value.value_or(""));
  return r;
}

TEST(VolumeLayout, MapsKeysToPagesAndPagesToPgs) {
  absl::StatusOr<VolumeLayout> layout = VolumeLayout::Create(10, 4, 3);
  ASSERT_OK(layout);
  EXPECT_EQ(layout->num_data_pages(), 3);
  EXPECT_EQ(*layout->PageOf("k0"), 1u);
  EXPECT_EQ(*layout->PageOf("k3"), 1u);
  EXPECT_EQ(*layout->PageOf("k4"), 2u);
  EXPECT_EQ(*layout->PageOf("k9"), 3u);
  EXPECT_EQ(layout->PgOf(kTxnTablePage), 0u);
  EXPECT_EQ(layout->PgOf(1), 1u);
  EXPECT_EQ(layout->PgOf(3), 0u);
  EXPECT_EQ(layout->KeysOf(3), (std::vector<std::string>{"k8", "k9"}));
  EXPECT_TRUE(layout->KeysOf(kTxnTablePage).empty());
  EXPECT_EQ(layout->AllKeys().size(), 10u);
}

TEST(VolumeLayout, RejectsBadKeysAndShapes) {
  absl::StatusOr<VolumeLayout> layout = VolumeLayout::Create(10);
  ASSERT_OK(layout);
  for (const char* bad : {"k10", "k-1", "x1", "k", "k01", "k1x", ""}) {
    EXPECT_EQ(layout->PageOf(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(VolumeLayout::Create(0).ok());
  EXPECT_FALSE(VolumeLayout::Create(10, kMaxSlotsPerPage + 1).ok());
  EXPECT_FALSE(VolumeLayout::Create(10, 0).ok());
  EXPECT_FALSE(VolumeLayout::Create(10, 4, 0).ok());
}

TEST(Page, ApplySetsReplacesAndRemovesSlotsInKeyOrder) {
  PageImage page = EmptyPage(1);
  EXPECT_EQ(page.slots_size(), 0);
  absl::StatusOr<PageImage> p = ApplyRecord(page, Put(1, 1, "k2", std::nullopt, "b"));
  ASSERT_OK(p);
  p = ApplyRecord(*p, Put(2, 1, "k1", std::nullopt, "a"));
  ASSERT_OK(p);
  ASSERT_EQ(p->slots_size(), 2);
  EXPECT_EQ(p->slots(0).key(), "k1");  // kept sorted
  EXPECT_EQ(p->slots(1).key(), "k2");
  EXPECT_EQ(p->applied_lsn(), 2u);
  p = ApplyRecord(*p, Put(5, 1, "k2", "b", "c"));
  ASSERT_OK(p);
  EXPECT_EQ(FindValue(*p, "k2"), "c");
  p = ApplyRecord(*p, Put(6, 1, "k1", "a", std::nullopt));
  ASSERT_OK(p);
  EXPECT_EQ(FindValue(*p, "k1"), std::nullopt);
  EXPECT_EQ(p->slots_size(), 1);
  // The input image is untouched: the function is pure.
  EXPECT_EQ(page.slots_size(), 0);
  EXPECT_EQ(page.applied_lsn(), 0u);
}

TEST(Page, CommitRecordsAdvanceTheAppliedLsnOnly) {
  RedoRecord commit;
  commit.set_lsn(3);
  commit.set_page(kTxnTablePage);
  commit.set_kind(COMMIT);
  absl::StatusOr<PageImage> p = ApplyRecord(EmptyPage(kTxnTablePage), commit);
  ASSERT_OK(p);
  EXPECT_EQ(p->applied_lsn(), 3u);
  EXPECT_EQ(p->slots_size(), 0);
}

TEST(Page, ApplyRejectsWrongPageOldLsnsAndFullPages) {
  absl::StatusOr<PageImage> p = ApplyRecord(EmptyPage(1), Put(4, 1, "k0", std::nullopt, "a"));
  ASSERT_OK(p);
  EXPECT_EQ(ApplyRecord(*p, Put(5, 2, "k0", "a", "b")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyRecord(*p, Put(4, 1, "k0", "a", "b")).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "applying the same LSN twice must fail";
  EXPECT_EQ(ApplyRecord(*p, Put(3, 1, "k0", "a", "b")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyRecord(*p, Put(9, 1, "", "a", "b")).status().code(),
            absl::StatusCode::kInvalidArgument);
  RedoRecord unknown = Put(9, 1, "k0", "a", "b");
  unknown.set_kind(RECORD_KIND_UNSPECIFIED);
  EXPECT_EQ(ApplyRecord(*p, unknown).status().code(), absl::StatusCode::kInvalidArgument);

  PageImage full = EmptyPage(1);
  for (int i = 0; i < kMaxSlotsPerPage; ++i) {
    absl::StatusOr<PageImage> next =
        ApplyRecord(full, Put(i + 1, 1, absl::StrCat("k", i), std::nullopt, "v"));
    ASSERT_OK(next);
    full = *next;
  }
  EXPECT_EQ(ApplyRecord(full, Put(100, 1, "k99", std::nullopt, "v")).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(Page, UndoRestoresTheOldValueOrRemovesTheKey) {
  absl::StatusOr<PageImage> p = ApplyRecord(EmptyPage(1), Put(1, 1, "k0", std::nullopt, "a"));
  ASSERT_OK(p);
  const RedoRecord overwrite = Put(2, 1, "k0", "a", "b");
  p = ApplyRecord(*p, overwrite);
  ASSERT_OK(p);
  absl::StatusOr<PageImage> undone = UndoRecord(*p, overwrite);
  ASSERT_OK(undone);
  EXPECT_EQ(FindValue(*undone, "k0"), "a");
  EXPECT_EQ(undone->applied_lsn(), 2u) << "undo does not move the applied LSN";
  undone = UndoRecord(*undone, Put(1, 1, "k0", std::nullopt, "a"));
  ASSERT_OK(undone);
  EXPECT_EQ(FindValue(*undone, "k0"), std::nullopt);
  RedoRecord commit;
  commit.set_page(1);
  commit.set_kind(COMMIT);
  EXPECT_EQ(UndoRecord(*p, commit).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UndoRecord(*p, Put(2, 7, "k0", "a", "b")).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Page, MaterializeAppliesThePagesRecordsUpToTheReadPointInLsnOrder) {
  // Out of order, with another page's record and a duplicate.
  std::vector<RedoRecord> records = {
      Put(3, 1, "k0", "a", "c"),          Put(1, 1, "k0", std::nullopt, "a"),
      Put(2, 2, "k4", std::nullopt, "x"), Put(1, 1, "k0", std::nullopt, "a"),
      Put(4, 1, "k1", std::nullopt, "d"),
  };
  absl::StatusOr<PageImage> at2 = MaterializePage(1, records, 2);
  ASSERT_OK(at2);
  EXPECT_EQ(FindValue(*at2, "k0"), "a");
  EXPECT_EQ(FindValue(*at2, "k1"), std::nullopt);
  EXPECT_EQ(at2->applied_lsn(), 1u);
  absl::StatusOr<PageImage> at9 = MaterializePage(1, records, 9);
  ASSERT_OK(at9);
  EXPECT_EQ(FindValue(*at9, "k0"), "c");
  EXPECT_EQ(FindValue(*at9, "k1"), "d");
  EXPECT_EQ(FindValue(*at9, "k4"), std::nullopt);
  EXPECT_EQ(at9->applied_lsn(), 4u);
  absl::StatusOr<PageImage> at0 = MaterializePage(1, records, 0);
  ASSERT_OK(at0);
  EXPECT_EQ(at0->SerializeAsString(), EmptyPage(1).SerializeAsString());
}

}  // namespace
}  // namespace auroralab::aurora
