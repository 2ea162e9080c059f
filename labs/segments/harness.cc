// The lab 2 test harness (harness.h has the contract).
#include "labs/segments/harness.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "labs/aurora/lsn_allocator.h"
#include "labs/framework/record_log.h"
#include "labs/framework/sim_test.h"
#include "labs/segments/storage_node.h"

namespace auroralab::segments {

using aurora::RedoRecord;

namespace {

// A stand-in for a segment: stores and syncs every record before it
// answers, follows backlinks like a segment, but reports an SCL no higher
// than `cap`. Reads are answered up to its true SCL; gossip and GC are
// acknowledged and ignored.
class ScriptedSegment : public Node {
 public:
  ScriptedSegment(NodeContext& ctx, int index) : Node(ctx), index_(index) {}
  Lsn cap = UINT64_MAX;
  // Records with these LSNs are acknowledged as if they had arrived, but
  // neither stored nor counted: a hole the writer cannot see.
  std::set<Lsn> ignored;
  // Stores nothing, yet answers every read (with an older page).
  bool stale_liar = false;

  void Start() override {
    ctx().rpc().Handle(kAppend, [this](const AppendRequest& request, Responder<AppendReply> out) {
      for (const RedoRecord& record : request.records()) {
        if (records_.contains(record.lsn()) || ignored.contains(record.lsn()) || stale_liar) {
          continue;
        }
        (void)AppendRecord(ctx().disk(), absl::StrCat(SegmentFilePrefix(0, index_), "log"),
                           record.SerializeAsString());
        records_[record.lsn()] = record;
        next_by_prev_[record.prev_lsn_in_pg()] = record.lsn();
      }
      // The SCL over what this sync covers: records written so far.
      Lsn covered = scl_;
      for (auto next = next_by_prev_.find(covered); next != next_by_prev_.end();
           next = next_by_prev_.find(covered)) {
        covered = next->second;
      }
      ctx().disk().Sync([this, covered, out = std::move(out)](absl::Status synced) {
        if (!synced.ok()) return out.Fail(absl::UnavailableError("sync failed"));
        scl_ = std::max(scl_, covered);
        AppendReply reply;
        reply.set_scl(std::min(scl_, cap));
        out.Reply(reply);
      });
    });
    ctx().rpc().Handle(kReadPage,
                       [this](const ReadPageRequest& request, Responder<ReadPageReply> out) {
                         if (request.read_point() > scl_ && !stale_liar) {
                           return out.Fail(absl::UnavailableError("behind"));
                         }
                         std::vector<RedoRecord> records;
                         for (const auto& [lsn, record] : records_) records.push_back(record);
                         absl::StatusOr<aurora::PageImage> page =
                             aurora::MaterializePage(request.page(), records, request.read_point());
                         if (!page.ok()) return out.Fail(page.status());
                         ReadPageReply reply;
                         *reply.mutable_page() = *page;
                         reply.set_scl(std::min(scl_, cap));
                         out.Reply(reply);
                       });
    ctx().rpc().Handle(kGossip, [](const GossipRequest&, Responder<GossipReply> out) {
      out.Reply(GossipReply());
    });
    ctx().rpc().Handle(kLowWaterMark,
                       [](const LowWaterMarkRequest&, Responder<LowWaterMarkReply> out) {
                         out.Reply(LowWaterMarkReply());
                       });
  }

 private:
  int index_;
  std::map<Lsn, RedoRecord> records_;
  std::map<Lsn, Lsn> next_by_prev_;  // backlink -> the record that has it
  Lsn scl_ = aurora::kNoLsn;
};

template <typename Reply>
absl::StatusOr<Reply> AwaitReply(World& world,
                                 std::shared_ptr<std::optional<absl::StatusOr<Reply>>> result,
                                 Duration timeout) {
  if (!world.RunUntil([&result] { return result->has_value(); }, timeout + Millis(1))) {
    return absl::InternalError("the probe got no answer at all");
  }
  return **result;
}

}  // namespace

std::vector<RedoRecord> MakeRecords(int n, int num_pages, int mtr_size) {
  std::vector<RedoRecord> all;
  aurora::LsnAllocator allocator;
  std::vector<RedoRecord> mtr;
  for (int i = 1; i <= n; ++i) {
    RedoRecord record;
    record.set_pg(0);
    record.set_page(1 + (i - 1) % num_pages);
    record.set_txn(1 + (i - 1) / mtr_size);
    record.set_kind(aurora::PUT);
    // Keys are per page so every page keeps at most kMaxSlotsPerPage slots.
    record.mutable_change()->set_key(absl::StrCat("k", record.page(), ".", i % 3));
    record.mutable_change()->set_new_present(true);
    record.mutable_change()->set_new_value(absl::StrCat("v", i));
    mtr.push_back(std::move(record));
    if (static_cast<int>(mtr.size()) == mtr_size || i == n) {
      allocator.Number(mtr);
      for (RedoRecord& r : mtr) all.push_back(std::move(r));
      mtr.clear();
    }
  }
  return all;
}

SegmentsCluster::SegmentsCluster(World& world, ClusterOptions options)
    : world_(world), options_(std::move(options)), layout_(*aurora::VolumeLayout::Create(1)) {
  absl::StatusOr<aurora::VolumeLayout> layout =
      aurora::VolumeLayout::Create(options_.num_keys, options_.keys_per_page, 1);
  if (!layout.ok()) {
    status_ = layout.status();
    return;
  }
  layout_ = *layout;
  // Node ids are handed out in order: the six segments first, then the
  // writer and the probe.
  Placement placement;
  placement.pgs.emplace_back();
  for (int i = 0; i < kSegmentsPerPg; ++i) placement.pgs[0].push_back(world_.num_nodes() + i);
  for (int i = 0; i < kSegmentsPerPg; ++i) {
    NodeFactory factory;
    if (options_.scripted_segments) {
      factory = [i](NodeContext& ctx) { return std::make_unique<ScriptedSegment>(ctx, i); };
    } else {
      SegmentOptions segment;
      segment.pg = 0;
      segment.index = i;
      segment.peers = placement.pgs[0];
      segment.gossip_interval = options_.gossip_interval;
      absl::StatusOr<NodeFactory> made = StorageNodeFactory(StorageNodeOptions{{segment}});
      if (!made.ok()) {
        status_ = made.status();
        return;
      }
      factory = *std::move(made);
    }
    segments_.push_back(world_.AddNode(absl::StrCat("s", i), i % 3, std::move(factory)));
  }
  WriterOptions writer;
  writer.shipper.placement = placement;
  writer.shipper.lal = options_.lal;
  writer.shipper.resend_interval = options_.resend_interval;
  writer.reader.placement = placement;
  writer.reader.attempt_timeout = options_.attempt_timeout;
  writer.reader.read_deadline = options_.read_deadline;
  writer.engine.layout = layout_;
  writer.engine.history = &history_;
  writer.workload = options_.workload;
  writer.gc_interval = options_.gc_interval;
  writer.on_durable = [this](Lsn vdl) { OnDurable(vdl); };
  writer.on_append = [this](const std::vector<RedoRecord>& mtr, Lsn vdl_before) {
    OnAppend(mtr, vdl_before);
  };
  absl::StatusOr<NodeFactory> writer_factory = WriterNodeFactory(std::move(writer));
  if (!writer_factory.ok()) {
    status_ = writer_factory.status();
    return;
  }
  writer_ = world_.AddNode("w", 0, *std::move(writer_factory));
  probe_ = world_.AddNode("probe", 0,
                          [](NodeContext& ctx) { return std::make_unique<SegmentProbe>(ctx); });
}

std::vector<int> SegmentsCluster::SegmentsInAz(int az) const {
  std::vector<int> indices;
  for (int i = 0; i < static_cast<int>(segments_.size()); ++i) {
    if (world_.az(segments_[i]) == az) indices.push_back(i);
  }
  return indices;
}

void SegmentsCluster::CutWriterFrom(const std::vector<int>& segments) {
  for (int i : segments) {
    network().BlockLink(writer_, segment(i));
    network().BlockLink(segment(i), writer_);
  }
}

void SegmentsCluster::SetSclCap(int i, Lsn cap) {
  world_.node<ScriptedSegment>(segment(i)).cap = cap;
}

void SegmentsCluster::SetIgnoredLsns(int i, std::set<Lsn> lsns) {
  world_.node<ScriptedSegment>(segment(i)).ignored = std::move(lsns);
}

void SegmentsCluster::SetStaleLiar(int i) {
  world_.node<ScriptedSegment>(segment(i)).stale_liar = true;
}

void SegmentsCluster::Violation(std::string message) {
  if (first_violation_.ok()) first_violation_ = absl::FailedPreconditionError(std::move(message));
}

void SegmentsCluster::OnAppend(const std::vector<RedoRecord>& mtr, Lsn vdl_before) {
  for (const RedoRecord& record : mtr) shipped_[record.lsn()] = record;
  if (!mtr.empty() && mtr.back().lsn() > vdl_before + options_.lal) {
    Violation(absl::StrCat("the log shipper accepted an MTR ending at LSN ", mtr.back().lsn(),
                           " while VDL was ", vdl_before, ": beyond VDL + LAL (", options_.lal,
                           ") at ", FormatTime(world_.Now())));
  }
}

int SegmentsCluster::DisksDurablyHolding(const RedoRecord& record) {
  const std::string needle = record.SerializeAsString();
  int holding = 0;
  for (int i = 0; i < static_cast<int>(segments_.size()); ++i) {
    if (seen_durable_.contains({i, record.lsn()})) {
      ++holding;
      continue;
    }
    if (DurableCopies(*this, i, needle) > 0) {
      if (options_.gc_interval == 0) seen_durable_.insert({i, record.lsn()});
      ++holding;
    }
  }
  return holding;
}

void SegmentsCluster::OnDurable(Lsn vdl) {
  signals_.push_back(vdl);
  if (signals_.size() >= 2 && vdl <= signals_[signals_.size() - 2]) {
    Violation(absl::StrCat("VDL went from ", signals_[signals_.size() - 2], " to ", vdl,
                           ": it must only advance"));
  }
  auto it = shipped_.find(vdl);
  if (it == shipped_.end() || !it->second.cpl()) {
    Violation(absl::StrCat("the log shipper reported VDL ", vdl, " at ", FormatTime(world_.Now()),
                           ", which is not a CPL (the last record of a mini-transaction)",
                           it == shipped_.end() ? " (no such record was shipped)" : "",
                           ": VDL is the highest CPL at or below VCL"));
    return;
  }
  if (!options_.check_signals_on_disk) return;
  for (auto r = shipped_.upper_bound(oracle_checked_up_to_); r != shipped_.end() && r->first <= vdl;
       ++r) {
    const int disks = DisksDurablyHolding(r->second);
    if (disks < kWriteQuorum) {
      Violation(absl::StrCat("the log shipper reported VDL ", vdl, " at ", FormatTime(world_.Now()),
                             ", but record ", r->first, " is durable on ", disks,
                             " segment disks only (need ", kWriteQuorum, ")"));
      return;
    }
    oracle_checked_up_to_ = r->first;
  }
}

absl::Status SegmentsCluster::CheckAll() const {
  if (!first_violation_.ok()) return first_violation_;
  return aurora::CheckDurability(history_);
}

template <typename T>
T SegmentsCluster::RunFor(std::shared_ptr<std::optional<T>> result, Duration max,
                          const char* what) {
  if (!world_.RunUntil([&result] { return result->has_value(); }, max)) {
    std::string refusal;
    if (world_.IsUp(writer_) && !writer_node().last_refusal().ok()) {
      refusal = absl::StrCat("; the log shipper's last refusal of an MTR: ",
                             writer_node().last_refusal().ToString());
    }
    return T(absl::InternalError(absl::StrCat(what, " did not finish within ", FormatTime(max),
                                              " of virtual time", refusal)));
  }
  return **result;
}

void SegmentsCluster::StartPutAll(std::vector<std::pair<std::string, std::string>> writes,
                                  std::function<void(absl::StatusOr<Lsn>)> done) {
  engine().PutAll(std::move(writes), [done = std::move(done)](absl::StatusOr<Lsn> lsn) {
    if (done) done(std::move(lsn));
  });
}

absl::StatusOr<Lsn> SegmentsCluster::PutAll(std::vector<std::pair<std::string, std::string>> writes,
                                            Duration max) {
  auto result = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
  StartPutAll(std::move(writes), [result](absl::StatusOr<Lsn> lsn) { *result = std::move(lsn); });
  return RunFor(result, max, "PutAll");
}

absl::StatusOr<Lsn> SegmentsCluster::Transfer(const std::string& from, const std::string& to,
                                              int64_t amount, Duration max) {
  auto result = std::make_shared<std::optional<absl::StatusOr<Lsn>>>();
  engine().Transfer(from, to, amount,
                    [result](absl::StatusOr<Lsn> lsn) { *result = std::move(lsn); });
  return RunFor(result, max, "Transfer");
}

absl::StatusOr<std::optional<std::string>> SegmentsCluster::Get(const std::string& key,
                                                                Duration max) {
  using Value = absl::StatusOr<std::optional<std::string>>;
  auto result = std::make_shared<std::optional<Value>>();
  aurora::Engine& db = engine();
  const aurora::TxnId txn = db.Begin();
  db.Get(txn, key, [result, &db, txn](Value value) {
    (void)db.Abort(txn);  // read-only: nothing to commit
    *result = std::move(value);
  });
  return RunFor(result, max, "Get");
}

absl::StatusOr<std::vector<aurora::PageImage>> SegmentsCluster::ReadAllPages(Duration max) {
  using Pages = absl::StatusOr<std::vector<aurora::PageImage>>;
  auto result = std::make_shared<std::optional<Pages>>();
  std::vector<PageId> pages;
  for (int p = 1; p <= layout_.num_data_pages(); ++p) pages.push_back(p);
  engine().ReadSnapshot(pages, [result](Pages got) { *result = std::move(got); });
  return RunFor(result, max, "ReadSnapshot");
}

bool SegmentsCluster::RunWorkload(Duration max) {
  return world_.RunUntil(
      [this] {
        if (!world_.IsUp(writer_)) return false;
        aurora::Workload* workload = writer_node().workload();
        return workload != nullptr && workload->done();
      },
      max);
}

absl::StatusOr<AppendReply> SegmentProbe::Append(World& world, NodeId node, int segment,
                                                 std::vector<RedoRecord> records,
                                                 Duration timeout) {
  auto result = std::make_shared<std::optional<absl::StatusOr<AppendReply>>>();
  StartAppend(
      node, segment, std::move(records),
      [result](absl::StatusOr<AppendReply> reply) { *result = std::move(reply); }, timeout);
  return AwaitReply(world, result, timeout);
}

void SegmentProbe::StartAppend(NodeId node, int segment, std::vector<RedoRecord> records,
                               std::function<void(absl::StatusOr<AppendReply>)> done,
                               Duration timeout) {
  AppendRequest request;
  request.set_pg(0);
  request.set_segment(segment);
  for (size_t k = 0; k < records.size(); ++k) *request.add_records() = std::move(records[k]);
  ctx().rpc().Call(node, kAppend, request, timeout, std::move(done));
}

absl::StatusOr<ReadPageReply> SegmentProbe::ReadPage(World& world, NodeId node, int segment,
                                                     PageId page, Lsn read_point,
                                                     Duration timeout) {
  auto result = std::make_shared<std::optional<absl::StatusOr<ReadPageReply>>>();
  ReadPageRequest request;
  request.set_pg(0);
  request.set_segment(segment);
  request.set_page(page);
  request.set_read_point(read_point);
  ctx().rpc().Call(node, kReadPage, request, timeout,
                   [result](absl::StatusOr<ReadPageReply> reply) { *result = std::move(reply); });
  return AwaitReply(world, result, timeout);
}

absl::StatusOr<LowWaterMarkReply> SegmentProbe::LowWaterMark(World& world, NodeId node, int segment,
                                                             Lsn mark, Duration timeout) {
  auto result = std::make_shared<std::optional<absl::StatusOr<LowWaterMarkReply>>>();
  LowWaterMarkRequest request;
  request.set_pg(0);
  request.set_segment(segment);
  request.set_low_water_mark(mark);
  ctx().rpc().Call(
      node, kLowWaterMark, request, timeout,
      [result](absl::StatusOr<LowWaterMarkReply> reply) { *result = std::move(reply); });
  return AwaitReply(world, result, timeout);
}

absl::StatusOr<GossipReply> SegmentProbe::Gossip(World& world, NodeId node,
                                                 const GossipRequest& request, Duration timeout) {
  auto result = std::make_shared<std::optional<absl::StatusOr<GossipReply>>>();
  ctx().rpc().Call(node, kGossip, request, timeout,
                   [result](absl::StatusOr<GossipReply> reply) { *result = std::move(reply); });
  return AwaitReply(world, result, timeout);
}

SegmentProbe& Probe(SegmentsCluster& cluster) {
  return cluster.world().node<SegmentProbe>(cluster.probe());
}

absl::StatusOr<Lsn> AppendTo(SegmentsCluster& cluster, int i, std::vector<RedoRecord> records) {
  absl::StatusOr<AppendReply> reply =
      Probe(cluster).Append(cluster.world(), cluster.segment(i), i, std::move(records));
  if (!reply.ok()) return reply.status();
  return reply->scl();
}

void ExpectPagesAt(SegmentsCluster& cluster, int i, const std::vector<RedoRecord>& records,
                   Lsn read_point, int num_pages) {
  for (PageId page = 1; page <= static_cast<PageId>(num_pages); ++page) {
    absl::StatusOr<ReadPageReply> got =
        Probe(cluster).ReadPage(cluster.world(), cluster.segment(i), i, page, read_point);
    ASSERT_OK(got) << "segment " << i << " page " << page << " at read point " << read_point;
    const aurora::PageImage want = *aurora::MaterializePage(page, records, read_point);
    EXPECT_EQ(got->page().SerializeAsString(), want.SerializeAsString())
        << "segment " << i << " page " << page << " at read point " << read_point << ":\n got  "
        << got->page().ShortDebugString() << "\n want " << want.ShortDebugString();
  }
}

int DurableCopies(SegmentsCluster& cluster, int i, const std::string& needle) {
  int copies = 0;
  const std::string prefix = SegmentFilePrefix(0, i);
  for (const auto& [name, file] : cluster.world().disk_state(cluster.segment(i)).files()) {
    if (name.rfind(prefix, 0) != 0 || !file.durable_exists) continue;
    for (size_t at = file.durable.find(needle); at != std::string::npos;
         at = file.durable.find(needle, at + 1)) {
      ++copies;
    }
  }
  return copies;
}

}  // namespace auroralab::segments
