#include "labs/framework/record_log.h"

#include <cstring>

namespace auroralab {
namespace {

uint32_t Checksum(std::string_view data) {
  uint32_t h = 0x811c9dc5u;  // FNV-1a, 32-bit
  for (unsigned char c : data) h = (h ^ c) * 0x01000193u;
  return h;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

std::string FrameRecord(std::string_view payload) {
  std::string out;
  out.reserve(8 + payload.size());
  PutU32(out, static_cast<uint32_t>(payload.size()));
  PutU32(out, Checksum(payload));
  out.append(payload);
  return out;
}

absl::Status AppendRecord(Disk& disk, std::string_view file, std::string_view payload) {
  return disk.Append(file, FrameRecord(payload));
}

RecordScan ReadRecords(const Disk& disk, std::string_view file) {
  RecordScan scan;
  absl::StatusOr<std::string> contents = disk.Read(file);
  if (!contents.ok()) return scan;
  std::string_view rest = *contents;
  size_t offset = 0;
  while (rest.size() - offset >= 8) {
    const std::string_view header = rest.substr(offset, 8);
    const uint32_t length = GetU32(header);
    const uint32_t checksum = GetU32(header.substr(4));
    if (rest.size() - offset - 8 < length) break;  // cut short
    const std::string_view payload = rest.substr(offset + 8, length);
    if (Checksum(payload) != checksum) break;  // garbage
    scan.records.emplace_back(payload);
    offset += 8 + length;
  }
  scan.valid_bytes = offset;
  scan.torn_tail = offset < rest.size();
  return scan;
}

absl::Status TrimTornTail(Disk& disk, std::string_view file, const RecordScan& scan) {
  if (!scan.torn_tail) return absl::OkStatus();
  absl::StatusOr<std::string> contents = disk.Read(file);
  if (!contents.ok()) return contents.status();
  return disk.Write(file, std::string_view(*contents).substr(0, scan.valid_bytes));
}

}  // namespace auroralab
