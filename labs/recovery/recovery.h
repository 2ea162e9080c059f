// Lab 3: Crash recovery without consensus. The interface.
//
// STARTER from ./lab new-lab (TODO(lab3): replace with the lab's real
// interface, and keep the split). A server keeps a key-value map on its
// disk; a client on its own node reaches it only through RPC and retries
// until an overall deadline. One client, one operation at a time.
//
// What is provided here: the messages and methods, options and their
// checks, and factories that validate options before building a node.
// What students write (skeleton/recovery/): the server (server.h/.cc) and the
// client (client.h/.cc), through NewServer and NewClient below.
#ifndef AURORALAB_LABS_RECOVERY_RECOVERY_H_
#define AURORALAB_LABS_RECOVERY_RECOVERY_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/recovery/recovery.pb.h"

namespace auroralab::recovery {

inline constexpr Method<PutRequest, PutReply> kPut{"Recovery.Put"};
inline constexpr Method<GetRequest, GetReply> kGet{"Recovery.Get"};

struct ClientOptions {
  NodeId server = -1;  // the server's node
  // How long one attempt may take before the client asks again.
  Duration attempt_timeout = Millis(50);
  // An operation not answered after this long fails with Unavailable.
  Duration op_timeout = Millis(1000);
};

// OK iff server >= 0 and 0 < attempt_timeout <= op_timeout; otherwise an
// InvalidArgument error that names the broken rule.
absl::Status ValidateClientOptions(const ClientOptions& options);

struct GetResult {
  bool found = false;
  std::string value;
};

class Client : public Node {
 public:
  using Node::Node;
  using PutDone = std::function<void(absl::Status)>;
  using GetDone = std::function<void(absl::StatusOr<GetResult>)>;

  // Sets `key` to `value`. `done` gets OK once the server has the put on
  // disk, or Unavailable after op_timeout (the put may or may not have
  // happened). `done` runs exactly once.
  virtual void Put(const std::string& key, const std::string& value, PutDone done) = 0;

  // Reads `key`: the value of the last acknowledged put (found = false if
  // there was none), or Unavailable after op_timeout. `done` runs exactly
  // once.
  virtual void Get(const std::string& key, GetDone done) = 0;
};

// Implemented by the lab (skeleton/recovery or solution/recovery). `options`
// has already passed ValidateClientOptions.
std::unique_ptr<Client> NewClient(NodeContext& ctx, const ClientOptions& options);
std::unique_ptr<Node> NewServer(NodeContext& ctx);

// Node factories for World::AddNode. The client factory validates `options`
// first, so a bad configuration is rejected before any node exists.
absl::StatusOr<NodeFactory> ClientFactory(ClientOptions options);
NodeFactory ServerFactory();

}  // namespace auroralab::recovery

#endif  // AURORALAB_LABS_RECOVERY_RECOVERY_H_
