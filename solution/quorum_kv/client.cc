// Lab 1 reference: the quorum KV client (contract in client.h).
#include "quorum_kv/client.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace auroralab::quorum_kv {

// One quorum round in flight. Its timers and RPC callbacks share it; all of
// them die with the client's incarnation.
struct KvClientImpl::Round {
  bool is_write = false;
  ReadRequest read;    // when !is_write
  WriteRequest write;  // when is_write
  Newest newest;       // read rounds: the highest version answered so far
  int needed = 0;
  Time deadline = 0;
  std::vector<bool> answered;  // by replica index
  int answers = 0;
  bool finished = false;
  EventId retry_timer = kNoEvent;
  EventId deadline_timer = kNoEvent;
  std::function<void(absl::Status)> done;

  std::string What() const {
    return absl::StrCat(is_write ? "write of \"" : "read of \"",
                        is_write ? write.key() : read.key(), "\"");
  }
};

std::unique_ptr<KvClient> NewKvClient(NodeContext& ctx, const ClientOptions& options) {
  return std::make_unique<KvClientImpl>(ctx, options);
}

KvClientImpl::KvClientImpl(NodeContext& ctx, ClientOptions options)
    : KvClient(ctx),
      options_(std::move(options)),
      // A restarted writer must not reuse the versions of its earlier lives:
      // replicas would keep the older writes' higher versions.
      next_counter_(ctx.incarnation() << 32) {}

void KvClientImpl::Put(const std::string& key, const std::string& value, PutDone done) {
  const Time deadline = ctx().Now() + options_.op_timeout;
  WriteRequest request;
  request.set_key(key);
  request.set_value(value);
  if (options_.mode == ClientMode::kSingleWriter) {
    // The only writer: our own counter orders every write.
    request.mutable_version()->set_counter(++next_counter_);
    request.mutable_version()->set_writer_id(options_.client_id);
    WriteRound(std::move(request), deadline, std::move(done));
    return;
  }
  // Phase 1 learns the highest version a read quorum holds; phase 2 writes
  // one above it. Our client id breaks ties with concurrent writers.
  ReadRound(key, deadline,
            [this, deadline, request = std::move(request),
             done = std::move(done)](absl::StatusOr<Newest> newest) mutable {
              if (!newest.ok()) return done(newest.status());
              request.mutable_version()->set_counter(newest->version.counter() + 1);
              request.mutable_version()->set_writer_id(options_.client_id);
              WriteRound(std::move(request), deadline, std::move(done));
            });
}

void KvClientImpl::Get(const std::string& key, GetDone done) {
  const Time deadline = ctx().Now() + options_.op_timeout;
  ReadRound(key, deadline,
            [this, key, deadline, done = std::move(done)](absl::StatusOr<Newest> newest) {
              if (!newest.ok()) return done(newest.status());
              GetResult result{newest->found, newest->value};
              // "Not found" is the state before any write: nothing newer to
              // make durable, so it needs no write-back even in Part B.
              if (options_.mode != ClientMode::kLinearizable || !newest->found) {
                return done(result);
              }
              // Make what we are about to return durable at a write quorum,
              // so that every later read sees it (or something newer).
              WriteRequest request;
              request.set_key(key);
              request.set_value(newest->value);
              *request.mutable_version() = newest->version;
              WriteRound(std::move(request), deadline, [result, done](absl::Status status) {
                if (!status.ok()) return done(status);
                done(result);
              });
            });
}

void KvClientImpl::ReadRound(const std::string& key, Time deadline, ReadDone done) {
  auto round = std::make_shared<Round>();
  round->read.set_key(key);
  round->needed = options_.quorum.r;
  round->deadline = deadline;
  Round* r = round.get();  // the round owns `done`, so no shared_ptr here
  round->done = [r, done = std::move(done)](absl::Status status) {
    if (!status.ok()) return done(status);
    done(r->newest);
  };
  Launch(round);
}

void KvClientImpl::WriteRound(WriteRequest request, Time deadline, WriteDone done) {
  auto round = std::make_shared<Round>();
  round->is_write = true;
  round->write = std::move(request);
  round->needed = options_.quorum.w;
  round->deadline = deadline;
  round->done = std::move(done);
  Launch(round);
}

void KvClientImpl::Launch(const std::shared_ptr<Round>& round) {
  round->answered.assign(options_.replicas.size(), false);
  round->deadline_timer = ctx().SetTimer(round->deadline - ctx().Now(), [this, round] {
    Finish(round, absl::UnavailableError(absl::StrCat(
                      round->What(), ": only ", round->answers, " of the ", round->needed,
                      " replies needed arrived within the operation timeout")));
  });
  SendToSilentReplicas(round);
}

void KvClientImpl::SendToSilentReplicas(const std::shared_ptr<Round>& round) {
  for (int i = 0; i < static_cast<int>(round->answered.size()); ++i) {
    if (!round->answered[i]) SendTo(round, i);
  }
  round->retry_timer =
      ctx().SetTimer(options_.retry_interval, [this, round] { SendToSilentReplicas(round); });
}

void KvClientImpl::SendTo(const std::shared_ptr<Round>& round, int i) {
  // Each attempt may take until the deadline: a slow replica's late answer
  // still counts. Errors are ignored: the next retry asks again.
  const Duration timeout = round->deadline - ctx().Now();
  const NodeId replica = options_.replicas[i];
  if (round->is_write) {
    ctx().rpc().Call(replica, kWrite, round->write, timeout,
                     [this, round, i](absl::StatusOr<WriteReply> reply) {
                       if (reply.ok()) Answered(round, i);
                     });
    return;
  }
  ctx().rpc().Call(
      replica, kRead, round->read, timeout, [this, round, i](absl::StatusOr<ReadReply> reply) {
        if (!reply.ok() || round->finished || round->answered[i]) return;
        Newest& newest = round->newest;
        if (reply->found() && (!newest.found || VersionLess(newest.version, reply->version()))) {
          newest = Newest{true, reply->value(), reply->version()};
        }
        Answered(round, i);
      });
}

void KvClientImpl::Answered(const std::shared_ptr<Round>& round, int i) {
  if (round->finished || round->answered[i]) return;
  round->answered[i] = true;
  if (++round->answers >= round->needed) Finish(round, absl::OkStatus());
}

void KvClientImpl::Finish(const std::shared_ptr<Round>& round, absl::Status status) {
  if (round->finished) return;
  round->finished = true;
  ctx().CancelTimer(round->retry_timer);
  ctx().CancelTimer(round->deadline_timer);
  round->done(std::move(status));
}

}  // namespace auroralab::quorum_kv
