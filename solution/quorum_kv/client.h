// Lab 1 reference: the quorum KV client.
//
// Every operation is one or two quorum rounds. A round sends a request to
// all N replicas, resends to the silent ones every retry_interval (messages
// get lost), and finishes when enough distinct replicas have answered, or
// fails with Unavailable when the operation's deadline passes first.
//   Put, single writer: one write round with the next version of our counter.
//   Put, linearizable:  a read round for the highest version, then a write
//                       round with (that counter + 1, our client id).
//   Get:                a read round; in linearizable mode the value found is
//                       written back to a write quorum before it is returned,
//                       so no later read can see an older value ("not found"
//                       needs no write-back).
//
// The public and private methods a student writes are declared exactly as in
// skeleton/quorum_kv/client.h (whose comments give their contracts); the
// helpers after them are this reference's own.
#ifndef AURORALAB_IMPL_QUORUM_KV_CLIENT_H_
#define AURORALAB_IMPL_QUORUM_KV_CLIENT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/node.h"
#include "labs/quorum_kv/quorum_kv.h"

namespace auroralab::quorum_kv {

class KvClientImpl : public KvClient {
 public:
  KvClientImpl(NodeContext& ctx, ClientOptions options);

  void Get(const std::string& key, GetDone done) override;
  void Put(const std::string& key, const std::string& value, PutDone done) override;

 private:
  struct Round;
  // The newest value seen by a read round.
  struct Newest {
    bool found = false;
    std::string value;
    Version version;
  };
  using ReadDone = std::function<void(absl::StatusOr<Newest>)>;
  using WriteDone = std::function<void(absl::Status)>;

  // A read round: done(newest) once R distinct replicas answered.
  void ReadRound(const std::string& key, Time deadline, ReadDone done);
  // A write round: done(OK) once W distinct replicas acknowledged.
  void WriteRound(WriteRequest request, Time deadline, WriteDone done);

  // The reference's helpers for both kinds of round.
  // Starts `round`: sends to every replica, arms the retry and deadline timers.
  void Launch(const std::shared_ptr<Round>& round);
  void SendToSilentReplicas(const std::shared_ptr<Round>& round);
  void SendTo(const std::shared_ptr<Round>& round, int replica);
  // Counts replica `i`'s answer; finishes the round when it completes a quorum.
  void Answered(const std::shared_ptr<Round>& round, int i);
  void Finish(const std::shared_ptr<Round>& round, absl::Status status);

  ClientOptions options_;
  uint64_t next_counter_;  // single-writer mode only
};

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_IMPL_QUORUM_KV_CLIENT_H_
