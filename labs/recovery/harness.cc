// The lab 3 test harness (harness.h has the contract).
#include "labs/recovery/harness.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/sim_test.h"
#include "labs/segments/segments.h"

namespace auroralab::recovery {

using aurora::RedoRecord;

namespace {

// A node that only lends its context to the probe calls.
class Probe : public Node {
 public:
  using Node::Node;
  NodeContext& context() { return ctx(); }
};

}  // namespace

aurora::RedoRecord OldRecord(const aurora::VolumeLayout& layout, aurora::RecordKind kind,
                             aurora::TxnId txn, Epoch epoch, const std::string& key,
                             const std::string& value, std::optional<std::string> old_value) {
  RedoRecord record;
  record.set_pg(0);
  record.set_txn(txn);
  record.set_kind(kind);
  record.set_volume_epoch(epoch);
  if (kind == aurora::PUT || kind == aurora::UNDO) {
    record.set_page(*layout.PageOf(key));
    aurora::Change* change = record.mutable_change();
    change->set_key(key);
    change->set_new_present(true);
    change->set_new_value(value);
    change->set_old_present(old_value.has_value());
    change->set_old_value(old_value.value_or(""));
  } else {
    record.set_page(aurora::kTxnTablePage);
  }
  return record;
}

void Chain(std::vector<RedoRecord>& records, Lsn first, Lsn prev, std::set<Lsn> cpl_at) {
  Lsn lsn = first;
  for (RedoRecord& record : records) {
    record.set_lsn(lsn);
    record.set_prev_lsn_in_pg(prev);
    record.set_cpl(cpl_at.contains(lsn));
    prev = lsn++;
  }
}

TruncationRange Range(Lsn first, Lsn last, Epoch epoch) {
  TruncationRange range;
  range.set_first(first);
  range.set_last(last);
  range.set_epoch(epoch);
  return range;
}

TruncationSet SetOf(Epoch epoch, std::vector<TruncationRange> ranges) {
  TruncationSet set;
  set.set_epoch(epoch);
  for (TruncationRange& range : ranges) *set.add_ranges() = std::move(range);
  return set;
}

RecoveryCluster::RecoveryCluster(World& world, RecoveryClusterOptions options)
    : world_(world), options_(std::move(options)), layout_(*aurora::VolumeLayout::Create(1)) {
  absl::StatusOr<aurora::VolumeLayout> layout =
      aurora::VolumeLayout::Create(options_.num_keys, options_.keys_per_page, 1);
  if (!layout.ok()) {
    status_ = layout.status();
    return;
  }
  layout_ = *layout;
  if (options_.writers < 1) {
    status_ = absl::InvalidArgumentError("RecoveryClusterOptions.writers must be >= 1");
    return;
  }
  // Node ids in order: the six segments, the writers, the probe.
  Placement placement;
  placement.pgs.emplace_back();
  for (int i = 0; i < kSegmentsPerPg; ++i) placement.pgs[0].push_back(world_.num_nodes() + i);
  for (int i = 0; i < kSegmentsPerPg; ++i) {
    SegmentOptions segment;
    segment.pg = 0;
    segment.index = i;
    segment.peers = placement.pgs[0];
    segment.gossip_interval = options_.gossip_interval;
    absl::StatusOr<NodeFactory> made =
        FencedStorageNodeFactory(segments::StorageNodeOptions{{segment}});
    if (!made.ok()) {
      status_ = made.status();
      return;
    }
    segments_.push_back(world_.AddNode(absl::StrCat("s", i), i % 3, *std::move(made)));
  }
  for (int k = 0; k < options_.writers; ++k) {
    RecoveringWriterOptions writer;
    writer.writer.shipper.placement = placement;
    writer.writer.shipper.lal = options_.lal;
    writer.writer.shipper.resend_interval = options_.resend_interval;
    writer.writer.reader.placement = placement;
    writer.writer.reader.attempt_timeout = options_.attempt_timeout;
    writer.writer.reader.read_deadline = options_.read_deadline;
    writer.writer.engine.layout = layout_;
    writer.writer.engine.history = &history_;
    writer.writer.workload = options_.workload;
    if (writer.writer.workload.has_value()) writer.writer.workload->set_up = k == 0;
    writer.writer.gc_interval = options_.gc_interval;
    writer.writer.on_durable = [this, k](Lsn vdl) { OnDurable(k, vdl); };
    writer.writer.on_append = [this, k](const std::vector<RedoRecord>& mtr, Lsn) {
      OnAppend(k, mtr);
    };
    writer.recovery.placement = placement;
    writer.recovery.lal = options_.lal;
    writer.recovery.retry_interval = options_.retry_interval;
    writer.standby = k > 0 || !options_.first_writer_starts;
    absl::StatusOr<NodeFactory> made = RecoveringWriterFactory(std::move(writer));
    if (!made.ok()) {
      status_ = made.status();
      return;
    }
    writers_.push_back(world_.AddNode(absl::StrCat("w", k), 0, *std::move(made)));
  }
  probe_ =
      world_.AddNode("probe", 0, [](NodeContext& ctx) { return std::make_unique<Probe>(ctx); });
}

FencedReplica& RecoveryCluster::fenced(int i) {
  return *world_.node<FencedStorageNode>(segment(i)).fenced(0, i);
}

void RecoveryCluster::TakeOver(int k) {
  if (!world_.IsUp(writer(k))) {
    world_.Restart(writer(k));
    // A restarted standby is a standby again: take over at once.
  }
  writer_node(k).TakeOver();
}

absl::Status RecoveryCluster::AwaitOpen(int k, Duration max) {
  const bool settled = world_.RunUntil(
      [this, k] {
        if (!world_.IsUp(writer(k))) return true;
        const RecoveringWriter::Phase phase = writer_node(k).phase();
        return phase == RecoveringWriter::Phase::kOpen || phase == RecoveringWriter::Phase::kFailed;
      },
      max);
  if (!world_.IsUp(writer(k))) {
    return absl::UnavailableError(absl::StrCat("writer w", k, " is down"));
  }
  if (!settled) {
    return absl::DeadlineExceededError(absl::StrCat(
        "writer w", k, "'s recovery did not finish within ", FormatTime(max),
        " of virtual time (it needs answers from 4 of the 6 segments at each write step)"));
  }
  return writer_node(k).recovery_status();
}

absl::Status RecoveryCluster::AwaitUndo(int k, Duration max) {
  if (absl::Status open = AwaitOpen(k, max); !open.ok()) return open;
  if (!world_.RunUntil(
          [this, k] { return !world_.IsUp(writer(k)) || writer_node(k).undos_pending() == 0; },
          max)) {
    return absl::DeadlineExceededError(
        absl::StrCat("writer w", k, "'s undo did not finish within ", FormatTime(max)));
  }
  if (!world_.IsUp(writer(k))) return absl::UnavailableError("the writer crashed");
  return writer_node(k).undo_status();
}

bool RecoveryCluster::AwaitCommits(int k, int n, Duration max) {
  return world_.RunUntil(
      [this, k, n] {
        if (!world_.IsUp(writer(k)) || !writer_node(k).is_open()) return false;
        const aurora::Workload* workload = writer_node(k).workload();
        return workload != nullptr && workload->stats().committed >= n;
      },
      max);
}

int RecoveryCluster::AckedInEpoch(Epoch epoch) const {
  int acked = 0;
  for (const aurora::AckedCommit& commit : history_.acked) {
    acked += (commit.txn >> 32) == epoch ? 1 : 0;
  }
  return acked;
}

void RecoveryCluster::CutWriterFrom(int k, const std::vector<int>& segments) {
  for (int i : segments) {
    network().BlockLink(writer(k), segment(i));
    network().BlockLink(segment(i), writer(k));
  }
}

void RecoveryCluster::Violation(std::string message) {
  if (first_violation_.ok()) first_violation_ = absl::FailedPreconditionError(std::move(message));
}

void RecoveryCluster::OnAppend(int k, const std::vector<RedoRecord>& mtr) {
  const uint64_t incarnation = world_.incarnation(writer(k));
  if (shipped_incarnation_[k] != incarnation) {
    shipped_incarnation_[k] = incarnation;
    shipped_[k].clear();
    checked_up_to_[k] = aurora::kNoLsn;
  }
  for (const RedoRecord& record : mtr) shipped_[k][record.lsn()] = record;
  const RecoveringWriter& node = writer_node(k);
  if (!node.recovered().has_value() || mtr.empty()) return;
  const RecoveredVolume& volume = *node.recovered();
  for (const RedoRecord& record : mtr) {
    for (const TruncationRange& range : volume.truncations.ranges()) {
      if (record.lsn() >= range.first() && record.lsn() <= range.last()) {
        return Violation(absl::StrCat("writer w", k, " allocated LSN ", record.lsn(),
                                      " inside the truncation range [", range.first(), ", ",
                                      range.last(), "] it wrote: allocate above the range"));
      }
    }
  }
}

int RecoveryCluster::DurableCopies(int i, const RedoRecord& record) {
  const std::string needle = record.SerializeAsString();
  const std::string prefix = segments::SegmentFilePrefix(0, i);
  int copies = 0;
  for (const auto& [name, file] : world_.disk_state(segment(i)).files()) {
    if (name.rfind(prefix, 0) != 0 || !file.durable_exists) continue;
    for (size_t at = file.durable.find(needle); at != std::string::npos;
         at = file.durable.find(needle, at + 1)) {
      ++copies;
    }
  }
  return copies;
}

int RecoveryCluster::DisksDurablyHolding(const RedoRecord& record) {
  int holding = 0;
  for (int i = 0; i < kSegmentsPerPg; ++i) holding += DurableCopies(i, record) > 0 ? 1 : 0;
  return holding;
}

void RecoveryCluster::OnDurable(int k, Lsn vdl) {
  auto& shipped = shipped_[k];
  auto it = shipped.find(vdl);
  if (it == shipped.end()) {
    // The recovered VDL itself is announced before anything is shipped.
    const RecoveringWriter& node = writer_node(k);
    if (node.recovered().has_value() && node.recovered()->vdl == vdl) return;
    return Violation(absl::StrCat("writer w", k, " reported VDL ", vdl, " at ",
                                  FormatTime(world_.Now()), ", a record it never shipped"));
  }
  if (!it->second.cpl()) {
    return Violation(absl::StrCat("writer w", k, " reported VDL ", vdl,
                                  ", which is not a CPL (the last record of an MTR)"));
  }
  // Records up to an earlier signal were checked then (GC may have folded
  // them off the disks since).
  Lsn& checked = checked_up_to_[k];
  for (auto r = shipped.upper_bound(checked); r != shipped.end() && r->first <= vdl; ++r) {
    const int disks = DisksDurablyHolding(r->second);
    if (disks < kWriteQuorum) {
      return Violation(absl::StrCat("writer w", k, " reported VDL ", vdl, " at ",
                                    FormatTime(world_.Now()), ", but record ", r->first,
                                    " is durable on ", disks, " segment disks only"));
    }
  }
  shipped.erase(shipped.begin(), shipped.upper_bound(checked));  // VDL only grows
  checked = vdl;
}

void RecoveryCluster::RecordAcked(aurora::TxnId txn, Lsn commit_lsn) {
  history_.acked.push_back({txn, commit_lsn, world_.Now()});
}

absl::Status RecoveryCluster::CheckAll() const {
  if (!first_violation_.ok()) return first_violation_;
  return aurora::CheckDurability(history_);
}

absl::Status RecoveryCluster::CheckQuiet() const {
  if (absl::Status all = CheckAll(); !all.ok()) return all;
  return aurora::CheckUndoComplete(history_);
}

template <typename T>
T RecoveryCluster::RunFor(int k, std::shared_ptr<std::optional<T>> result, Duration max,
                          const char* what) {
  if (!world_.RunUntil([&result] { return result->has_value(); }, max)) {
    std::string refusal;
    if (world_.IsUp(writer(k)) && !writer_node(k).last_refusal().ok()) {
      refusal = absl::StrCat("; the log shipper's last refusal of an MTR: ",
                             writer_node(k).last_refusal().ToString());
    }
    return T(absl::InternalError(absl::StrCat(what, " through w", k, " did not finish within ",
                                              FormatTime(max), " of virtual time", refusal)));
  }
  return **result;
}

void RecoveryCluster::StartPutAll(int k, std::vector<std::pair<std::string, std::string>> writes,
                                  std::function<void(absl::StatusOr<Lsn>)> done) {
  engine(k).PutAll(std::move(writes), [done = std::move(done)](absl::StatusOr<Lsn> lsn) {
    if (done) done(std::move(lsn));
  });
}

absl::StatusOr<Lsn> RecoveryCluster::PutAll(int k,
                                            std::vector<std::pair<std::string, std::string>> writes,
                                            Duration max) {
  auto result = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
  StartPutAll(k, std::move(writes),
              [result](absl::StatusOr<Lsn> lsn) { *result = std::move(lsn); });
  return RunFor(k, result, max, "PutAll");
}

absl::StatusOr<std::optional<std::string>> RecoveryCluster::Get(int k, const std::string& key,
                                                                Duration max) {
  using Value = absl::StatusOr<std::optional<std::string>>;
  auto result = std::make_shared<std::optional<Value>>();
  aurora::Engine& db = engine(k);
  const aurora::TxnId txn = db.Begin();
  db.Get(txn, key, [result, &db, txn](Value value) {
    (void)db.Abort(txn);  // read-only
    *result = std::move(value);
  });
  return RunFor(k, result, max, "Get");
}

absl::Status RecoveryCluster::CheckBankTotal(int k, int64_t total, Duration max) {
  using Pages = absl::StatusOr<std::vector<aurora::PageImage>>;
  auto result = std::make_shared<std::optional<Pages>>();
  std::vector<aurora::PageId> pages;
  for (int p = 1; p <= layout_.num_data_pages(); ++p) pages.push_back(p);
  engine(k).ReadSnapshot(pages, [result](Pages got) { *result = std::move(got); });
  Pages got = RunFor(k, result, max, "ReadSnapshot");
  if (!got.ok()) return got.status();
  return aurora::CheckBankTotal(*got, total);
}

absl::Status RecoveryCluster::SetUpBank(int k, int64_t balance) {
  std::vector<std::pair<std::string, std::string>> balances;
  for (const std::string& key : layout_.AllKeys())
    balances.emplace_back(key, absl::StrCat(balance));
  absl::StatusOr<Lsn> done = PutAll(k, std::move(balances));
  return done.ok() ? absl::OkStatus() : done.status();
}

template <typename Reply, typename Request>
absl::StatusOr<Reply> RecoveryCluster::ProbeCall(int i, const Method<Request, Reply>& method,
                                                 const Request& request, Duration timeout) {
  auto result = std::make_shared<std::optional<absl::StatusOr<Reply>>>();
  world_.node<Probe>(probe_).context().rpc().Call(
      segment(i), method, request, timeout,
      [result](absl::StatusOr<Reply> reply) { *result = std::move(reply); });
  if (!world_.RunUntil([&result] { return result->has_value(); }, timeout + Millis(1))) {
    return absl::InternalError("the probe got no answer at all");
  }
  return **result;
}

absl::StatusOr<segments::AppendReply> RecoveryCluster::Append(int i,
                                                              std::vector<RedoRecord> records,
                                                              Duration timeout) {
  segments::AppendRequest request;
  request.set_pg(0);
  request.set_segment(i);
  for (RedoRecord& record : records) *request.add_records() = std::move(record);
  return ProbeCall(i, segments::kAppend, request, timeout);
}

absl::StatusOr<BumpEpochReply> RecoveryCluster::BumpEpoch(int i, Epoch epoch, Duration timeout) {
  BumpEpochRequest request;
  request.set_pg(0);
  request.set_segment(i);
  request.set_epoch(epoch);
  return ProbeCall(i, kBumpEpoch, request, timeout);
}

absl::StatusOr<TruncateReply> RecoveryCluster::Truncate(int i, const TruncationSet& set,
                                                        Duration timeout) {
  TruncateRequest request;
  request.set_pg(0);
  request.set_segment(i);
  *request.mutable_truncations() = set;
  return ProbeCall(i, kTruncate, request, timeout);
}

absl::StatusOr<SegmentStateReply> RecoveryCluster::State(int i, Duration timeout) {
  SegmentStateRequest request;
  request.set_pg(0);
  request.set_segment(i);
  return ProbeCall(i, kSegmentState, request, timeout);
}

absl::StatusOr<segments::ReadPageReply> RecoveryCluster::ReadPage(int i, aurora::PageId page,
                                                                  Lsn read_point,
                                                                  Duration timeout) {
  segments::ReadPageRequest request;
  request.set_pg(0);
  request.set_segment(i);
  request.set_page(page);
  request.set_read_point(read_point);
  // The probe reads as the current writer would: with the segment's epoch.
  if (world_.IsUp(segment(i))) request.set_volume_epoch(fenced(i).epoch());
  return ProbeCall(i, segments::kReadPage, request, timeout);
}

absl::Status RecoveryCluster::Establish(const TruncationSet& set,
                                        const std::vector<int>& segments) {
  for (int i : segments) {
    absl::StatusOr<TruncateReply> reply = Truncate(i, set);
    if (!reply.ok()) return reply.status();
    if (!reply->accepted()) {
      return absl::FailedPreconditionError(
          absl::StrCat("segment ", i, " refused the truncation set of epoch ", set.epoch(),
                       " (it has epoch ", reply->epoch(), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace auroralab::recovery
