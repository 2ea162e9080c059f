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
    absl::StrAppend(&line, R"(,"detail":")", JsonEscape(e.detail), "\"}\n");
    if (std::fputs(line.c_str(), f.get()) < 0) {
      return absl::DataLossError(absl::StrCat("short write to ", path));
    }
  }
  return absl::OkStatus();
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
