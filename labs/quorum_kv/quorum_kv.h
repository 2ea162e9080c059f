// Lab 1: a versioned quorum key-value store. The interface.
//
// Six replicas (two in each of three AZs) each keep, per key, the value with
// the highest version they have seen, on disk. Clients run the quorum logic:
// a write goes to all N replicas and succeeds once W have stored it durably;
// a read asks all N and, after R replies, trusts the highest version (never a
// vote). With R + W > N every read quorum meets the latest write quorum; with
// W > N/2 any two write quorums meet.
//
// What is provided here: the messages and methods, versions, configuration
// checks, and factories that validate options before building a node.
// What you write (skeleton/quorum_kv/): the replica (replica.h/.cc) and the
// client (client.h/.cc), through NewKvReplica and NewKvClient below.
#ifndef AURORALAB_LABS_QUORUM_KV_QUORUM_KV_H_
#define AURORALAB_LABS_QUORUM_KV_QUORUM_KV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "labs/framework/node.h"
#include "labs/framework/rpc.h"
#include "labs/quorum_kv/quorum_kv.pb.h"

namespace auroralab::quorum_kv {

inline constexpr Method<ReadRequest, ReadReply> kRead{"QuorumKv.Read"};
inline constexpr Method<WriteRequest, WriteReply> kWrite{"QuorumKv.Write"};

// N copies, write quorum W, read quorum R. Aurora: 6, 4, 3.
struct QuorumConfig {
  int n = 6;
  int w = 4;
  int r = 3;
};

// OK iff 1 <= R, W <= N, R + W > N and W > N / 2; otherwise an
// InvalidArgument error that names the broken rule.
absl::Status ValidateQuorumConfig(const QuorumConfig& config);

// The total order of versions: by counter, then by writer_id.
bool VersionLess(const Version& a, const Version& b);
bool VersionEqual(const Version& a, const Version& b);

enum class ClientMode {
  // Part A: one writer in the whole system. Its versions come from its own
  // counter; reads take the highest version among R replies.
  kSingleWriter,
  // Part B: any number of concurrent clients; every Get and Put is
  // linearizable (two-phase writes, reads that write back).
  kLinearizable,
};

struct ClientOptions {
  QuorumConfig quorum;
  std::vector<NodeId> replicas;  // exactly quorum.n replica nodes
  uint64_t client_id = 0;        // unique among clients, > 0
  ClientMode mode = ClientMode::kLinearizable;
  // An operation that has not reached its quorum after this long fails with
  // Unavailable.
  Duration op_timeout = Millis(1000);
  // How often to resend to replicas that have not answered yet (messages
  // can be lost).
  Duration retry_interval = Millis(25);
};

// Checks the quorum rules, the replica list and the client id.
absl::Status ValidateClientOptions(const ClientOptions& options);

struct GetResult {
  bool found = false;
  std::string value;
};

// The client library. It runs on a client node of its own and talks to the
// replicas only through RPC.
class KvClient : public Node {
 public:
  using Node::Node;
  using GetDone = std::function<void(absl::StatusOr<GetResult>)>;
  using PutDone = std::function<void(absl::Status)>;

  // Reads `key`. `done` gets the value of the highest version among at least
  // R replies (found = false if none of them has the key), or Unavailable if
  // R replies did not arrive within op_timeout. Never a stale or invented
  // value.
  virtual void Get(const std::string& key, GetDone done) = 0;

  // Writes `key` = `value` with a new, higher version. `done` gets OK once W
  // replicas have acknowledged it (each after syncing it to disk), or
  // Unavailable after op_timeout (the write may or may not have happened).
  virtual void Put(const std::string& key, const std::string& value, PutDone done) = 0;
};

// Implemented by the lab (skeleton/quorum_kv or solution/quorum_kv).
// `options` has already passed ValidateClientOptions.
std::unique_ptr<KvClient> NewKvClient(NodeContext& ctx, const ClientOptions& options);
std::unique_ptr<Node> NewKvReplica(NodeContext& ctx);

// Node factories for World::AddNode. The client factory validates `options`
// first, so a bad configuration is rejected before any node exists.
absl::StatusOr<NodeFactory> KvClientFactory(ClientOptions options);
NodeFactory KvReplicaFactory();

}  // namespace auroralab::quorum_kv

#endif  // AURORALAB_LABS_QUORUM_KV_QUORUM_KV_H_
