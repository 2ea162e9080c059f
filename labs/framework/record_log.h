// Record logs: length- and checksum-framed records appended to a Disk file.
//
// A crash can tear the last unsynced append, so a reader must tell a whole
// record from a partial one. Each record is written as
//   [payload length: 4 bytes LE][checksum of payload: 4 bytes LE][payload]
// and ReadRecords stops at the first record that is cut short or whose
// checksum does not match, reporting how many bytes were valid. Recovery code
// should then cut the file back to that prefix (TrimTornTail) before
// appending again, so new records never follow garbage.
#ifndef AURORALAB_LABS_FRAMEWORK_RECORD_LOG_H_
#define AURORALAB_LABS_FRAMEWORK_RECORD_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "labs/framework/disk.h"

namespace auroralab {

// Appends one framed record. Durable only after the next successful Sync.
absl::Status AppendRecord(Disk& disk, std::string_view file, std::string_view payload);

struct RecordScan {
  std::vector<std::string> records;  // every whole record, in order
  size_t valid_bytes = 0;            // length of the prefix holding them
  bool torn_tail = false;            // bytes after that prefix were discarded
};

// Reads every whole record of `file`. A missing file has no records.
RecordScan ReadRecords(const Disk& disk, std::string_view file);

// Cuts `file` back to the whole records `scan` (its ReadRecords result)
// found; does nothing if the scan saw no torn tail. The rewrite is durable
// after the next successful Sync (the prefix it keeps already was).
absl::Status TrimTornTail(Disk& disk, std::string_view file, const RecordScan& scan);

// Frames `payload` as AppendRecord would (for writing many records at once).
std::string FrameRecord(std::string_view payload);

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_RECORD_LOG_H_
