#include "labs/examples/counter/counter.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "labs/framework/record_log.h"

namespace auroralab::examples::counter {
namespace {

constexpr char kLog[] = "counter.log";  // one AddRequest per record

}  // namespace

void CounterServer::Start() {
  // Recovery: replay every whole record. A crash may have torn the last,
  // unsynced one; cut it off so that new records follow whole ones.
  const RecordScan log = ReadRecords(ctx().disk(), kLog);
  for (const std::string& record : log.records) {
    AddRequest add;
    if (add.ParseFromString(record)) Apply(add);
  }
  if (absl::Status s = TrimTornTail(ctx().disk(), kLog, log); !s.ok()) {
    ctx().Log(absl::StrCat("cannot trim the log: ", s.message()));
  }
  ctx().Log(absl::StrCat("recovered value ", value_, " from ", log.records.size(), " records"));

  ctx().rpc().Handle(kAdd, [this](const AddRequest& add, Responder<AddReply> responder) {
    HandleAdd(add, std::move(responder));
  });
}

bool CounterServer::IsNew(const AddRequest& add) const {
  auto it = applied_seq_.find(add.client_id());
  return it == applied_seq_.end() || add.seq() > it->second;
}

void CounterServer::Apply(const AddRequest& add) {
  if (!IsNew(add)) return;
  applied_seq_[add.client_id()] = add.seq();
  value_ += add.delta();
}

void CounterServer::HandleAdd(const AddRequest& add, Responder<AddReply> responder) {
  if (IsNew(add)) {
    // Write ahead: the log first, then memory.
    if (absl::Status s = AppendRecord(ctx().disk(), kLog, add.SerializeAsString()); !s.ok()) {
      return responder.Fail(absl::UnavailableError(absl::StrCat("disk: ", s.message())));
    }
    Apply(add);
  }
  // Answer only once a Sync issued after the append has completed. A retry
  // of an applied add waits for one too: the first attempt's sync may still
  // be running.
  AddReply reply;
  reply.set_value(value_);
  ctx().disk().Sync([responder, reply](absl::Status synced) {
    if (synced.ok()) return responder.Reply(reply);
    responder.Fail(absl::UnavailableError(absl::StrCat("sync: ", synced.message())));
  });
}

void CounterClient::Add(int64_t delta, AddDone done) {
  AddRequest request;
  // The incarnation keeps a restarted client from reusing its old seqs.
  request.set_client_id(static_cast<uint64_t>(ctx().id()) << 32 | ctx().incarnation());
  request.set_seq(++next_seq_);
  request.set_delta(delta);
  Attempt(request, ctx().Now() + kAddTimeout, std::move(done));
}

void CounterClient::Attempt(const AddRequest& request, Time deadline, AddDone done) {
  if (ctx().Now() >= deadline) {
    return done(absl::UnavailableError(
        absl::StrCat("add #", request.seq(), " not acknowledged within the timeout")));
  }
  const Duration timeout = std::min(kAttemptTimeout, deadline - ctx().Now());
  ctx().rpc().Call(server_, kAdd, request, timeout,
                   [this, request, deadline, done](absl::StatusOr<AddReply> reply) {
                     if (reply.ok()) return done(reply->value());
                     // Request lost, reply lost, server down: ask again, same
                     // seq. A short pause keeps fast errors from spinning.
                     ctx().Log(absl::StrCat("add #", request.seq(), ": ",
                                            reply.status().ToString(), "; retrying"));
                     ctx().SetTimer(Millis(5), [this, request, deadline, done] {
                       Attempt(request, deadline, done);
                     });
                   });
}

}  // namespace auroralab::examples::counter
