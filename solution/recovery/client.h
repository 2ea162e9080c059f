// Lab 3: the client. YOUR CODE GOES HERE (and in client.cc).
//
// The client runs on its own node and reaches the server only through
// ctx().rpc(). Read labs/recovery/recovery.h for the full contract of Put and
// Get.
//
// Add whatever members and helpers you need; keep the class name and
// NewClient.
#ifndef AURORALAB_IMPL_RECOVERY_CLIENT_H_
#define AURORALAB_IMPL_RECOVERY_CLIENT_H_

#include <string>

#include "labs/framework/node.h"
#include "labs/recovery/recovery.h"

namespace auroralab::recovery {

class ClientImpl : public Client {
 public:
  // `options` is already validated.
  ClientImpl(NodeContext& ctx, ClientOptions options);

  // TODO(lab3): send kPut to options_.server with a per-attempt timeout
  // of options_.attempt_timeout; on any error ask again (same request) until
  // options_.op_timeout has passed since the call, then
  // done(absl::UnavailableError(...)). `done` runs exactly once.
  void Put(const std::string& key, const std::string& value, PutDone done) override;

  // TODO(lab3): the same retry rules as Put, with kGet.
  void Get(const std::string& key, GetDone done) override;

 private:
  // One attempt of a put or get; retries until `deadline`.
  void AttemptPut(const PutRequest& request, Time deadline, PutDone done);
  void AttemptGet(const GetRequest& request, Time deadline, GetDone done);

  ClientOptions options_;
};

}  // namespace auroralab::recovery

#endif  // AURORALAB_IMPL_RECOVERY_CLIENT_H_
