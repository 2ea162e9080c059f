// Lab 3: the server. YOUR CODE GOES HERE (and in server.cc).
//
// The server is a Node: it reacts to RPCs (kPut, kGet from
// labs/recovery/recovery.h) and owns a Disk. What it must guarantee:
//   - It acknowledges a put only once the put is durable: written to
//     ctx().disk() AND covered by a ctx().disk().Sync() that completed OK.
//     A crash loses everything that was not synced.
//   - After a crash, Start() runs on a fresh instance, which sees only the
//     disk: Recover() rebuilds the map from it.
//
// Add whatever members and helpers you need; keep the class name, the
// methods below and NewServer.
#ifndef AURORALAB_IMPL_RECOVERY_SERVER_H_
#define AURORALAB_IMPL_RECOVERY_SERVER_H_

#include <map>
#include <string>

#include "labs/framework/node.h"
#include "labs/recovery/recovery.h"

namespace auroralab::recovery {

class Server : public Node {
 public:
  using Node::Node;

  // Runs at the first start and after every restart: Recover(), then
  // register HandlePut and HandleGet. Provided; you should not need to
  // change it.
  void Start() override;

 private:
  // Rebuilds values_ from the log on disk.
  //
  // TODO(lab3): read the log (ReadRecords in
  // labs/framework/record_log.h), apply every whole record in order, and cut
  // off a torn tail (TrimTornTail) so that new records follow whole ones.
  void Recover();

  // Sets request.key() to request.value().
  //
  // TODO(lab3): append the put to the log, apply it to values_, and
  // reply only after a Sync issued after the append completes OK; if the
  // append or the sync fails, responder.Fail(...) so the client retries.
  // The request lives only while this runs: copy what a callback needs.
  void HandlePut(const PutRequest& request, Responder<PutReply> responder);

  // Answers with the value of request.key() (found = false if none).
  //
  // TODO(lab3): look the key up in values_.
  void HandleGet(const GetRequest& request, Responder<GetReply> responder);

  std::map<std::string, std::string> values_;
};

}  // namespace auroralab::recovery

#endif  // AURORALAB_IMPL_RECOVERY_SERVER_H_
