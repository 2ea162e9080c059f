#include "labs/framework/trace.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "labs/framework/json.h"

namespace auroralab {

const char* TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kSend: return "send";
    case TraceKind::kDeliver: return "deliver";
    case TraceKind::kDrop: return "drop";
    case TraceKind::kDuplicate: return "duplicate";
    case TraceKind::kTimer: return "timer";
    case TraceKind::kCrash: return "crash";
    case TraceKind::kRestart: return "restart";
    case TraceKind::kNetwork: return "network";
    case TraceKind::kDisk: return "disk";
    case TraceKind::kLog: return "log";
  }
  return "unknown";
}

void Trace::SetNodeName(int node, std::string name) {
  if (node < 0) return;
  if (static_cast<size_t>(node) >= node_names_.size()) node_names_.resize(node + 1);
  node_names_[node] = std::move(name);
}

uint64_t Trace::HashDetail(std::string_view detail) {
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i = 0;
  for (; i + 8 <= detail.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, detail.data() + i, 8);
    h = MixWord(h, word);
  }
  uint64_t tail = detail.size();
  for (; i < detail.size(); ++i) tail = (tail << 8) | static_cast<unsigned char>(detail[i]);
  return MixWord(h, tail);
}

void Trace::Keep(Time time, TraceKind kind, int node, int peer, std::string_view detail,
                 uint64_t id, bool reply) {
  if (keep_last_ > 0 && events_.size() >= 2 * keep_last_ - 1) {
    const size_t trim = events_.size() - (keep_last_ - 1);
    events_.erase(events_.begin(), events_.begin() + static_cast<ptrdiff_t>(trim));
    events_trimmed_ += trim;
  }
  events_.push_back(TraceEvent{time, kind, node, peer, id, reply, std::string(detail)});
}

std::string Trace::NodeName(int node) const {
  if (node < 0) return "world";
  if (static_cast<size_t>(node) < node_names_.size() && !node_names_[node].empty()) {
    return node_names_[node];
  }
  return absl::StrCat("n", node);
}

absl::Status Trace::WriteJsonLines(const std::string& path) const {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), &std::fclose);
  if (f == nullptr) return absl::UnavailableError(absl::StrCat("cannot write trace to ", path));
  if (events_trimmed_ > 0) {
    // A bounded trace says what it left out, as a world event at the time
    // of the first event kept.
    const std::string line = absl::StrFormat(
        R"json({"t_us":%d,"kind":"log","node":"world","detail":"%d earlier events not kept (bounded trace)"})json"
        "\n",
        events_.empty() ? 0 : events_.front().time, events_trimmed_);
    if (std::fputs(line.c_str(), f.get()) < 0) {
      return absl::DataLossError(absl::StrCat("short write to ", path));
    }
  }
  for (const TraceEvent& e : events_) {
    std::string line = absl::StrFormat(R"({"t_us":%d,"kind":"%s","node":"%s")", e.time,
                                       TraceKindName(e.kind), JsonEscape(NodeName(e.node)));
    if (e.peer >= 0) absl::StrAppend(&line, R"(,"peer":")", JsonEscape(NodeName(e.peer)), "\"");
    if (e.id != 0) {
      absl::StrAppend(&line, R"(,"id":)", e.id, R"(,"rpc":")", e.reply ? "reply" : "request", "\"");
    }
    if (!e.payload.empty()) absl::StrAppend(&line, R"(,"payload":")", JsonEscape(e.payload), "\"");
    absl::StrAppend(&line, R"(,"detail":")", JsonEscape(e.detail), "\"}\n");
    if (std::fputs(line.c_str(), f.get()) < 0) {
      return absl::DataLossError(absl::StrCat("short write to ", path));
    }
  }
  return absl::OkStatus();
}

namespace {

// Reads a base-128 varint at `pos`; false if the bytes end first or it is
// longer than 10 bytes.
bool ReadVarint(std::string_view bytes, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && pos < bytes.size(); shift += 7) {
    const uint8_t b = static_cast<uint8_t>(bytes[pos++]);
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Printable ASCII, or UTF-8 continuation/lead bytes: shown as text.
bool LooksLikeText(std::string_view bytes) {
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Appends the fields of one message to `out`; false if `bytes` is not a
// well-formed message (then `out` holds garbage the caller discards).
bool AppendFields(std::string_view bytes, int depth, std::string& out) {
  size_t pos = 0;
  bool first = true;
  while (pos < bytes.size()) {
    uint64_t key = 0;
    if (!ReadVarint(bytes, pos, key) || (key >> 3) == 0) return false;
    if (!first) out += ' ';
    first = false;
    absl::StrAppend(&out, key >> 3, ":");
    switch (key & 7) {
      case 0: {  // varint
        uint64_t v = 0;
        if (!ReadVarint(bytes, pos, v)) return false;
        absl::StrAppend(&out, v);
        break;
      }
      case 1:    // fixed64
      case 5: {  // fixed32
        const size_t width = (key & 7) == 1 ? 8 : 4;
        if (bytes.size() - pos < width) return false;
        uint64_t v = 0;
        std::memcpy(&v, bytes.data() + pos, width);  // little-endian, like the wire
        pos += width;
        absl::StrAppend(&out, v);
        break;
      }
      case 2: {  // length-delimited: text, a nested message, or bytes
        uint64_t length = 0;
        if (!ReadVarint(bytes, pos, length) || length > bytes.size() - pos) return false;
        const std::string_view field = bytes.substr(pos, length);
        pos += length;
        std::string nested;
        if (LooksLikeText(field)) {
          constexpr size_t kMaxText = 24;
          absl::StrAppend(&out, "\"", std::string(field.substr(0, kMaxText)),
                          field.size() > kMaxText ? "...\"" : "\"");
        } else if (depth < 3 && AppendFields(field, depth + 1, nested)) {
          absl::StrAppend(&out, "{", nested, "}");
        } else {
          absl::StrAppend(&out, "<", field.size(), " bytes>");
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

std::string SummarizeWireBytes(std::string_view bytes, size_t max_chars) {
  std::string out;
  if (!AppendFields(bytes, 0, out)) return absl::StrCat("<", bytes.size(), " bytes>");
  if (out.size() > max_chars) {
    // Cut on a character boundary, not inside a UTF-8 sequence.
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
    out.resize(cut);
    out += "...";
  }
  return out;
}

std::string Trace::Tail(size_t n) const {
  std::string out;
  size_t start = events_.size() > n ? events_.size() - n : 0;
  for (size_t i = start; i < events_.size(); ++i) {
    const TraceEvent& e = events_[i];
    absl::StrAppend(&out, FormatTime(e.time), " ", NodeName(e.node), " ", TraceKindName(e.kind));
    if (e.peer >= 0) absl::StrAppend(&out, " ", NodeName(e.peer));
    absl::StrAppend(&out, " ", std::string(e.detail));
    if (e.id != 0) absl::StrAppend(&out, " #", e.id, e.reply ? " (reply)" : "");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace auroralab
