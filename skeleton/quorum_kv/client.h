// Lab 1: the quorum KV client. YOUR CODE GOES HERE (and in client.cc).
//
// The client does the quorum work. It runs on its own node and reaches the
// replicas only through ctx().rpc(). Read labs/quorum_kv/quorum_kv.h for the
// full contract of Get and Put, and docs/labs/quorum-kv.md for the design.
//
// Add whatever members and helpers you need; keep the class name and
// NewKvClient.
#ifndef AURORALAB_IMPL_QUORUM_KV_CLIENT_H_
#define AURORALAB_IMPL_QUORUM_KV_CLIENT_H_

#include <string>

#include "labs/framework/node.h"
#include "labs/quorum_kv/quorum_kv.h"

namespace auroralab::quorum_kv {

class KvClientImpl : public KvClient {
 public:
  // `options` is already validated: options_.replicas has quorum.n entries.
  KvClientImpl(NodeContext& ctx, ClientOptions options);

  // Reads `key` from a read quorum.
  //
  // TODO(lab1): send kRead to ALL replicas; as soon as R distinct replicas
  // have answered, take the reply with the highest version (VersionLess).
  //   Part A (ClientMode::kSingleWriter): return it.
  //   Part B (ClientMode::kLinearizable): first write it back to a write
  //     quorum (same key, value AND version), then return it. Without the
  //     write-back, a read that saw a half-finished write could be followed
  //     by a read that does not see it: not linearizable.
  //
  // Edge cases:
  //   - No reply has the key: done(GetResult{.found = false}).
  //   - Messages get lost: resend to replicas that have not answered every
  //     options_.retry_interval. Count each replica at most once.
  //   - R answers not in by options_.op_timeout: done(absl::UnavailableError(..)).
  //     Never return a value you did not read from R replicas.
  //   - `done` must run exactly once.
  void Get(const std::string& key, GetDone done) override;

  // Writes `key` = `value` to a write quorum.
  //
  // TODO(lab1): give the write a version higher than any before it, send
  // kWrite to ALL replicas, and call done(OK) once W distinct replicas have
  // acknowledged.
  //   Part A (kSingleWriter): the version is {++counter, client_id}. The
  //     client may crash and restart: start the counter above every version
  //     an earlier incarnation used (ctx().incarnation() << 32 will do).
  //   Part B (kLinearizable): two phases. Read the highest version from a
  //     read quorum, then write {that counter + 1, options_.client_id}.
  //
  // Edge cases:
  //   - Slow replicas: do not wait for all N, only for the fastest W.
  //   - Same timeout and retry rules as Get; on timeout the write may or may
  //     not have taken effect, and that is fine.
  //
  // Hint: both operations are "send to all, wait for k answers, retry, give
  // up at a deadline". Write that once as a helper and use it for every
  // phase. Timers (ctx().SetTimer) and RPC callbacks can share per-operation
  // state through a std::shared_ptr.
  void Put(const std::string& key, const std::string& value, PutDone done) override;

 private:
  ClientOptions options_;
};

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_IMPL_QUORUM_KV_CLIENT_H_
