// Trace: the record of everything that happened in one simulated run.
//
// Every send, delivery, drop, timer, crash, restart, partition change and
// node log line is recorded with its virtual time. The trace keeps a running
// 64-bit digest of all events, so two runs can be compared cheaply: the same
// seed must give the same digest (the determinism self-check). The digest
// covers every field of every event and, for messages, a hash of the body
// (and of a reply's status), so runs that differ only in what a message
// says have different digests.
//
// Keeping the events themselves is optional, in three modes:
//   - all events (the default): for tests, whose failures write the whole
//     trace; ~150 bytes per event;
//   - the last N events (set_keep_last(N)): for long runs and benchmarks
//     that still want a failure's recent history; memory stays below 2N
//     events however long the run;
//   - none (set_keep_events(false)): the digest and count only.
// The digest and event count are the same in every mode.
//
// Part of the engine (//labs/framework:engine), which tests, harnesses and
// tools use; a lab implementation cannot (it gets //labs/framework:api).
#ifndef AURORALAB_LABS_FRAMEWORK_TRACE_H_
#define AURORALAB_LABS_FRAMEWORK_TRACE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "labs/framework/time.h"

namespace auroralab {

enum class TraceKind : uint8_t {
  kSend,       // a message left `node` for `peer`
  kDeliver,    // a message from `peer` reached `node`
  kDrop,       // a message from `node` to `peer` was lost (detail says why)
  kDuplicate,  // the network made an extra copy of a message
  kTimer,      // a timer of `node` fired
  kCrash,      // `node` crashed
  kRestart,    // `node` restarted with what its disk kept
  kNetwork,    // a fault-schedule change (partition, heal, slow node, ...)
  kDisk,       // a disk event on `node` (sync, injected failure, loss at crash)
  kLog,        // a line logged by a node or a test
};

const char* TraceKindName(TraceKind kind);

struct TraceEvent {
  Time time = 0;
  TraceKind kind = TraceKind::kLog;
  int node = -1;  // -1: the world itself
  int peer = -1;
  uint64_t id = 0;     // e.g. an RPC call id; 0 when it does not apply
  bool reply = false;  // for message events: an RPC reply, not a request
  std::string detail;
  // For sends: a short summary of the message (SummarizeWireBytes of its
  // body, or a reply's error status), for people and the trace viewer. Not
  // part of the digest.
  std::string payload;
};

// A short, schema-free rendering of protobuf wire bytes, like
// `protoc --decode_raw` on one line: `1:7 2:"key" 3:{1:2}`. Field numbers
// stand in for names (the network carries no types). Text fields are
// quoted and shortened, and the result is cut at about `max_chars` with
// "..." at the end. Bytes that are not a protobuf message: "<N bytes>".
std::string SummarizeWireBytes(std::string_view bytes, size_t max_chars = 80);

class Trace {
 public:
  // Names nodes in the JSON output; index = node id.
  void SetNodeNames(std::vector<std::string> names) { node_names_ = std::move(names); }
  void SetNodeName(int node, std::string name);

  // Whether events are kept in memory (the digest is kept regardless).
  void set_keep_events(bool keep) { keep_events_ = keep; }
  bool keep_events() const { return keep_events_; }
  // Keeps only the most recent `n` events (at least n, at most 2n - 1 of
  // them, so trimming is amortized); 0 keeps all.
  void set_keep_last(size_t n) { keep_last_ = n; }
  size_t keep_last() const { return keep_last_; }
  // Events recorded but no longer kept (trimmed by keep_last).
  uint64_t events_trimmed() const { return events_trimmed_; }

  // `detail` is copied only when events are kept; `id` is a number that
  // belongs to the event (an RPC call id), cheap to record on hot paths.
  void Record(Time time, TraceKind kind, int node, int peer, std::string_view detail,
              uint64_t id = 0, bool reply = false) {
    RecordHashed(time, kind, node, peer, detail, HashDetail(detail), id, reply);
  }
  // Record() for a detail whose HashDetail() the caller keeps (an RPC
  // method name), so hot paths do not hash the same string again.
  void RecordHashed(Time time, TraceKind kind, int node, int peer, std::string_view detail,
                    uint64_t detail_hash, uint64_t id = 0, bool reply = false) {
    uint64_t h = MixWord(digest_, static_cast<uint64_t>(time));
    h = MixWord(h, (static_cast<uint64_t>(reply) << 56) ^ (static_cast<uint64_t>(kind) << 48) ^
                       (static_cast<uint64_t>(static_cast<uint32_t>(node)) << 24) ^
                       static_cast<uint32_t>(peer));
    h = MixWord(h, id);
    digest_ = MixWord(h, detail_hash);
    ++event_count_;
    if (keep_events_) Keep(time, kind, node, peer, detail, id, reply);
  }
  static uint64_t HashDetail(std::string_view detail);
  // Sets the payload summary of the event recorded last (when events are
  // kept). The digest is unchanged.
  void SetLastPayload(std::string payload) {
    if (keep_events_ && !events_.empty()) events_.back().payload = std::move(payload);
  }
  // Folds `word` into `hash` (e.g. a message body's hash into its method's).
  static uint64_t Combine(uint64_t hash, uint64_t word) { return MixWord(hash, word); }

  uint64_t digest() const { return digest_; }
  uint64_t event_count() const { return event_count_; }
  const std::vector<TraceEvent>& events() const { return events_; }

  // One JSON object per line: {"t_us":..,"kind":"send","node":"r1",...};
  // message events also say "rpc":"request" or "rpc":"reply", sends with a
  // payload summary carry "payload". The trace viewer (trace_view.h) reads
  // this format.
  absl::Status WriteJsonLines(const std::string& path) const;
  // The last `n` events as readable lines, for test failure messages.
  std::string Tail(size_t n) const;

 private:
  // A word-at-a-time mix (multiply, xor-shift): fast on the hot path and,
  // unlike absl::Hash, the same in every process.
  static uint64_t MixWord(uint64_t h, uint64_t word) {
    h = (h ^ word) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
  }
  void Keep(Time time, TraceKind kind, int node, int peer, std::string_view detail, uint64_t id,
            bool reply);
  std::string NodeName(int node) const;

  bool keep_events_ = true;
  size_t keep_last_ = 0;
  uint64_t events_trimmed_ = 0;
  uint64_t digest_ = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
  uint64_t event_count_ = 0;
  std::vector<TraceEvent> events_;
  std::vector<std::string> node_names_;
};

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_TRACE_H_
