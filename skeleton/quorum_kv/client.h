// Lab 1: the quorum KV client. YOUR CODE GOES HERE (and in client.cc).
//
// The client does the quorum work. It runs on its own node and reaches the
// replicas only through ctx().rpc(). Read labs/quorum_kv/quorum_kv.h for the
// full contract of Get and Put, and docs/labs/quorum_kv.md for the design.
//
// The methods below are the shape of a solution: Get and Put are built from
// two kinds of quorum round, ReadRound and WriteRound. Each is declared with
// its contract; fill them in (client.cc), and add whatever members and
// helpers you need. Keep the class name, the declarations of Get and Put, and
// NewKvClient.
#ifndef AURORALAB_IMPL_QUORUM_KV_CLIENT_H_
#define AURORALAB_IMPL_QUORUM_KV_CLIENT_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/node.h"
#include "labs/quorum_kv/quorum_kv.h"

namespace auroralab::quorum_kv {

class KvClientImpl : public KvClient {
 public:
  // `options` is already validated: options_.replicas has quorum.n entries.
  KvClientImpl(NodeContext& ctx, ClientOptions options);

  // Reads `key` from a read quorum.
  //
  // TODO(lab1): one ReadRound; then
  //   Part A (ClientMode::kSingleWriter): return the newest value it heard.
  //   Part B (ClientMode::kLinearizable): first write that value back with a
  //     WriteRound (same key, value AND version: a write-back never makes a
  //     new version), then return it. Without the write-back, a read that saw
  //     a half-finished write could be followed by a read that does not see
  //     it: not linearizable. If the write-back fails, the Get fails
  //     (Unavailable), it does not return the value anyway.
  //
  // A key that no replica in the read quorum has (a key nobody wrote, or a
  // write that has not reached any of them yet): done(GetResult{.found =
  // false}), in both parts WITHOUT a write-back. "Not found" is the state
  // before any write, so there is nothing newer to make durable: any later
  // read that finds a value found a write concurrent with or after this Get.
  //
  // `done` runs exactly once, with the value or with Unavailable when the
  // operation's options_.op_timeout passes first. Never a value heard from
  // fewer than R replicas.
  void Get(const std::string& key, GetDone done) override;

  // Writes `key` = `value` to a write quorum.
  //
  // TODO(lab1): give the write a version higher than any before it, then one
  // WriteRound.
  //   Part A (kSingleWriter): the version is {++counter, client_id}. The
  //     client may crash and restart: start the counter above every version
  //     an earlier incarnation used (ctx().incarnation() << 32 will do).
  //   Part B (kLinearizable): two phases. A ReadRound learns the highest
  //     version a read quorum holds; write {that counter + 1,
  //     options_.client_id}. Equal counters from two writers are ordered by
  //     writer id (VersionLess), on the client and on every replica alike.
  //
  // `done` runs exactly once: OK once W replicas acknowledged, Unavailable
  // at options_.op_timeout (the write may or may not have taken effect, and
  // that is fine).
  void Put(const std::string& key, const std::string& value, PutDone done) override;

 private:
  // What a read round heard: the reply with the highest version among the
  // replicas that answered (found = false if none of them has the key).
  struct Newest {
    bool found = false;
    std::string value;
    Version version;
  };
  using ReadDone = std::function<void(absl::StatusOr<Newest>)>;
  using WriteDone = std::function<void(absl::Status)>;

  // One read round.
  //
  // TODO(lab1): send kRead for `key` to ALL replicas; as soon as R DISTINCT
  // replicas have answered, done(the highest-versioned reply) (VersionLess;
  // never a majority vote). Resend to the replicas that have not answered
  // every options_.retry_interval (messages get lost); an answer to an
  // earlier attempt counts just as well, so let each call wait until
  // `deadline`. Count each replica at most once, however often it answers.
  // At `deadline` without R answers: done(absl::UnavailableError(...)).
  // `done` runs exactly once; ignore answers that arrive after it ran.
  void ReadRound(const std::string& key, Time deadline, ReadDone done);

  // One write round.
  //
  // TODO(lab1): send `request` (kWrite) to ALL replicas; done(OK) as soon as
  // W DISTINCT replicas have acknowledged (the fastest W: never wait for all
  // N). Same retry, counting and deadline rules as ReadRound.
  void WriteRound(WriteRequest request, Time deadline, WriteDone done);

  ClientOptions options_;
};

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_IMPL_QUORUM_KV_CLIENT_H_
