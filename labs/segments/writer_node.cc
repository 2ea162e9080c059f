// The provided writer-node shell (writer_node.h has the contract).
#include "labs/segments/writer_node.h"

#include <algorithm>
#include <utility>

namespace auroralab::segments {

absl::Status ValidateWriterOptions(const WriterOptions& options) {
  if (absl::Status s = ValidateLogShipperOptions(options.shipper); !s.ok()) return s;
  if (absl::Status s = ValidatePageReaderOptions(options.reader); !s.ok()) return s;
  if (options.shipper.placement.pgs != options.reader.placement.pgs) {
    return absl::InvalidArgumentError("WriterOptions: shipper and reader placements differ");
  }
  if (static_cast<size_t>(options.engine.layout.num_pgs()) !=
      options.shipper.placement.pgs.size()) {
    return absl::InvalidArgumentError("WriterOptions: the layout's PGs and the placement differ");
  }
  if (options.gc_interval < 0) return absl::InvalidArgumentError("WriterOptions.gc_interval < 0");
  return absl::OkStatus();
}

absl::StatusOr<NodeFactory> WriterNodeFactory(WriterOptions options) {
  if (absl::Status valid = ValidateWriterOptions(options); !valid.ok()) return valid;
  return NodeFactory([options = std::move(options)](NodeContext& ctx) -> std::unique_ptr<Node> {
    return std::make_unique<WriterNode>(ctx, options);
  });
}

// Passes everything to the shipper and tells the observers.
class WriterNode::TapSink : public aurora::RedoLogSink {
 public:
  TapSink(LogShipper& inner, const WriterOptions& options, absl::Status& last_refusal)
      : inner_(inner), options_(options), last_refusal_(last_refusal) {}
  absl::StatusOr<std::vector<aurora::RedoRecord>> Append(
      std::vector<aurora::RedoRecord> mtr) override {
    const Lsn vdl_before = last_vdl_;
    absl::StatusOr<std::vector<aurora::RedoRecord>> numbered = inner_.Append(std::move(mtr));
    if (!numbered.ok()) last_refusal_ = numbered.status();
    if (numbered.ok() && options_.on_append) options_.on_append(*numbered, vdl_before);
    return numbered;
  }
  void SetDurableListener(DurableListener listener) override {
    inner_.SetDurableListener([this, listener = std::move(listener)](Lsn vdl) {
      last_vdl_ = std::max(last_vdl_, vdl);
      if (options_.on_durable) options_.on_durable(vdl);
      listener(vdl);
    });
  }

 private:
  LogShipper& inner_;
  const WriterOptions& options_;
  absl::Status& last_refusal_;
  Lsn last_vdl_ = aurora::kNoLsn;
};

// Passes reads to the student's reader and remembers which are running.
class WriterNode::TapReader : public aurora::PageReader {
 public:
  TapReader(aurora::PageReader& inner, std::map<Lsn, int>& running)
      : inner_(inner), running_(running) {}
  void ReadPage(PageId page, Lsn read_point, PageDone done) override {
    ++running_[read_point];
    inner_.ReadPage(
        page, read_point,
        [this, read_point, done = std::move(done)](absl::StatusOr<aurora::PageImage> got) {
          auto it = running_.find(read_point);
          if (it != running_.end() && --it->second == 0) running_.erase(it);
          done(std::move(got));
        });
  }

 private:
  aurora::PageReader& inner_;
  std::map<Lsn, int>& running_;
};

WriterNode::WriterNode(NodeContext& ctx, WriterOptions options)
    : Node(ctx), options_(std::move(options)) {}

// Members die in reverse order: the workload and engine before the reader
// and shipper they use.
WriterNode::~WriterNode() = default;

void WriterNode::Start() { Open(options_.shipper.start, options_.engine); }

void WriterNode::Open(const LogStart& start, const aurora::EngineOptions& engine) {
  LogShipperOptions shipper = options_.shipper;
  shipper.start = start;
  shipper_ = NewLogShipper(ctx(), shipper);
  PageReaderOptions reader = options_.reader;
  reader.volume_epoch = engine.volume_epoch;
  reader_ = NewPageReader(ctx(), reader, *shipper_);
  tap_sink_ = std::make_unique<TapSink>(*shipper_, options_, last_refusal_);
  tap_reader_ = std::make_unique<TapReader>(*reader_, running_reads_);
  engine_ = std::make_unique<aurora::Engine>(ctx(), engine, *tap_sink_, *tap_reader_);
  BeforeWorkload();
  if (options_.workload.has_value()) {
    workload_ = std::make_unique<aurora::Workload>(ctx(), *engine_, *options_.workload);
    workload_->Start();
  }
  if (options_.gc_interval > 0) ScheduleGc();
}

void WriterNode::ScheduleGc() {
  ctx().SetTimer(options_.gc_interval, [this] {
    SendLowWaterMark();
    ScheduleGc();
  });
}

void WriterNode::SendLowWaterMark() {
  const auto& pgs = options_.shipper.placement.pgs;
  for (PgId pg = 0; pg < pgs.size(); ++pg) {
    Lsn mark = std::min(engine_->read_point(), gc_limit_);
    if (!running_reads_.empty()) mark = std::min(mark, running_reads_.begin()->first);
    for (int s = 0; s < kSegmentsPerPg; ++s) mark = std::min(mark, shipper_->known_scl(pg, s));
    if (mark == aurora::kNoLsn) continue;
    for (int segment = 0; segment < kSegmentsPerPg; ++segment) {
      LowWaterMarkRequest request;
      request.set_pg(pg);
      request.set_segment(segment);
      request.set_low_water_mark(mark);
      ctx().rpc().Call(pgs[pg][segment], kLowWaterMark, request, options_.gc_interval,
                       [](absl::StatusOr<LowWaterMarkReply>) {});
    }
  }
}

}  // namespace auroralab::segments
