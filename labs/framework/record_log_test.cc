// Tests for record logs (record_log.h) on a bare simulated disk:
//   - records come back whole and in order; a missing file has none;
//   - a record cut short, or with a wrong checksum, ends the scan there and
//     is reported as a torn tail, with the length of the valid prefix;
//   - TrimTornTail cuts exactly that tail off (and does nothing without
//     one), so records appended afterwards are readable again.
#include "labs/framework/record_log.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "labs/framework/random.h"
#include "labs/framework/sim_disk.h"
#include "labs/framework/simulator.h"

namespace auroralab {
namespace {

class RecordLogTest : public ::testing::Test {
 protected:
  std::string Contents(const std::string& file) { return disk.Read(file).value_or("<missing>"); }

  Simulator sim{1};
  DiskState state;
  DiskConfig config;
  Rng rng{1};
  SimDisk disk{sim, state, config, rng, 0};
};

TEST_F(RecordLogTest, RecordsComeBackWholeAndInOrder) {
  ASSERT_TRUE(AppendRecord(disk, "log", "first").ok());
  ASSERT_TRUE(AppendRecord(disk, "log", "").ok());  // empty records are records too
  ASSERT_TRUE(AppendRecord(disk, "log", std::string("bin\0ary", 7)).ok());
  const RecordScan scan = ReadRecords(disk, "log");
  EXPECT_EQ(scan.records, (std::vector<std::string>{"first", "", std::string("bin\0ary", 7)}));
  EXPECT_FALSE(scan.torn_tail);
  EXPECT_EQ(scan.valid_bytes, Contents("log").size());
  EXPECT_EQ(scan.valid_bytes, 3 * 8 + 5 + 0 + 7u);  // an 8-byte header each
}

TEST_F(RecordLogTest, AMissingFileHasNoRecords) {
  const RecordScan scan = ReadRecords(disk, "nothing");
  EXPECT_TRUE(scan.records.empty());
  EXPECT_EQ(scan.valid_bytes, 0u);
  EXPECT_FALSE(scan.torn_tail);
}

TEST_F(RecordLogTest, ARecordCutShortIsATornTail) {
  ASSERT_TRUE(AppendRecord(disk, "log", "whole").ok());
  const size_t whole = Contents("log").size();
  const std::string next = FrameRecord("cut short");
  for (size_t keep : {size_t{1}, size_t{7}, size_t{8}, next.size() - 1}) {
    ASSERT_TRUE(disk.Write("log", FrameRecord("whole") + next.substr(0, keep)).ok());
    const RecordScan scan = ReadRecords(disk, "log");
    EXPECT_EQ(scan.records, (std::vector<std::string>{"whole"})) << keep;
    EXPECT_TRUE(scan.torn_tail) << keep;
    EXPECT_EQ(scan.valid_bytes, whole) << keep;
  }
}

TEST_F(RecordLogTest, AWrongChecksumEndsTheScan) {
  std::string bytes = FrameRecord("one") + FrameRecord("two") + FrameRecord("three");
  const size_t two_payload = FrameRecord("one").size() + 8;
  bytes[two_payload] ^= 0x01;  // flip a bit of "two"
  ASSERT_TRUE(disk.Write("log", bytes).ok());
  const RecordScan scan = ReadRecords(disk, "log");
  EXPECT_EQ(scan.records, (std::vector<std::string>{"one"}));  // "three" is lost too
  EXPECT_TRUE(scan.torn_tail);
  EXPECT_EQ(scan.valid_bytes, FrameRecord("one").size());
}

TEST_F(RecordLogTest, TrimTornTailLetsNewRecordsBeRead) {
  ASSERT_TRUE(disk.Write("log", FrameRecord("kept") + FrameRecord("torn").substr(0, 6)).ok());
  // Without the trim, a new record would follow the garbage and be lost.
  const RecordScan torn = ReadRecords(disk, "log");
  ASSERT_TRUE(torn.torn_tail);
  ASSERT_TRUE(TrimTornTail(disk, "log", torn).ok());
  EXPECT_EQ(Contents("log"), FrameRecord("kept"));
  ASSERT_TRUE(AppendRecord(disk, "log", "new").ok());
  const RecordScan scan = ReadRecords(disk, "log");
  EXPECT_EQ(scan.records, (std::vector<std::string>{"kept", "new"}));
  EXPECT_FALSE(scan.torn_tail);
}

TEST_F(RecordLogTest, TrimTornTailWithoutATornTailChangesNothing) {
  ASSERT_TRUE(AppendRecord(disk, "log", "a").ok());
  const std::string before = Contents("log");
  ASSERT_TRUE(TrimTornTail(disk, "log", ReadRecords(disk, "log")).ok());
  EXPECT_EQ(Contents("log"), before);
  // Nor does it create a missing file.
  ASSERT_TRUE(TrimTornTail(disk, "nothing", ReadRecords(disk, "nothing")).ok());
  EXPECT_FALSE(disk.Exists("nothing"));
}

TEST_F(RecordLogTest, TrimTornTailReportsAFailedWrite) {
  ASSERT_TRUE(disk.Write("log", FrameRecord("kept") + "junk").ok());
  const RecordScan scan = ReadRecords(disk, "log");
  state.TEST_FailNextWrites(1);
  EXPECT_FALSE(TrimTornTail(disk, "log", scan).ok());
}

}  // namespace
}  // namespace auroralab
