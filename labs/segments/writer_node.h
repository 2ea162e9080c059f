// WriterNode: the provided writer-node shell of labs 2 to 5. It owns, per
// incarnation, the student's log shipper (NewLogShipper) and page reader
// (NewPageReader), labs/aurora's Engine on top of them and, optionally, a
// Workload that starts at once.
//
// Contract:
//  * Start() builds shipper, reader and engine (the engine's history, if
//    set, outlives the node); a crash destroys them all. Lab 3's writer
//    subclasses it and opens (Open) only once recovery has finished.
//  * Observers (tests): `on_durable` hears every VDL the shipper reports,
//    before the engine does; `on_append` every MTR the shipper accepted,
//    numbered, with the VDL reported before it. They only watch.
//  * Garbage collection: every gc_interval (0: never) the shell sends each
//    segment a low-water mark no read can go below: the minimum of the
//    engine's read point, the read point of every read still running, and
//    every segment's known SCL (so no segment ever needs a folded record
//    from a peer).
#ifndef AURORALAB_LABS_SEGMENTS_WRITER_NODE_H_
#define AURORALAB_LABS_SEGMENTS_WRITER_NODE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "labs/aurora/engine.h"
#include "labs/aurora/workload.h"
#include "labs/framework/node.h"
#include "labs/segments/segments.h"

namespace auroralab::segments {

struct WriterOptions {
  LogShipperOptions shipper;
  PageReaderOptions reader;
  aurora::EngineOptions engine;
  std::optional<aurora::WorkloadOptions> workload;
  Duration gc_interval = 0;
  std::function<void(Lsn vdl)> on_durable;
  std::function<void(const std::vector<aurora::RedoRecord>& mtr, Lsn vdl_before)> on_append;
};

// The shipper's and reader's checks, and the same placement in both.
absl::Status ValidateWriterOptions(const WriterOptions& options);

class WriterNode : public Node {
 public:
  WriterNode(NodeContext& ctx, WriterOptions options);
  ~WriterNode() override;

  // Opens a new volume: Open(options.shipper.start, options.engine).
  void Start() override;

  // Whether the engine exists yet (lab 3's writer opens after recovery).
  bool is_open() const { return engine_ != nullptr; }
  aurora::Engine& engine() { return *engine_; }
  LogShipper& shipper() { return *shipper_; }
  // Null if no workload was configured.
  aurora::Workload* workload() { return workload_.get(); }
  // The shipper's most recent refusal of an MTR (OK if none yet), for
  // messages about commits that never complete.
  const absl::Status& last_refusal() const { return last_refusal_; }

 protected:
  // Builds the shipper (its log continuing at `start`), the reader and the
  // engine, then starts the workload and GC. Once per incarnation.
  void Open(const LogStart& start, const aurora::EngineOptions& engine);
  // GC never sends a low-water mark above `limit` (lab 3: the oldest record
  // an undo still needs). kForever-like default: no limit.
  void set_gc_limit(Lsn limit) { gc_limit_ = limit; }
  const WriterOptions& options() const { return options_; }
  // Runs inside Open, after the engine exists and before the workload
  // starts (lab 3 takes the undo locks here).
  virtual void BeforeWorkload() {}

 private:
  class TapSink;
  class TapReader;
  void ScheduleGc();
  void SendLowWaterMark();

  WriterOptions options_;
  // Read points of the reads still running (a multiset as counts).
  std::map<Lsn, int> running_reads_;
  std::unique_ptr<LogShipper> shipper_;
  std::unique_ptr<aurora::PageReader> reader_;
  std::unique_ptr<TapSink> tap_sink_;
  std::unique_ptr<TapReader> tap_reader_;
  std::unique_ptr<aurora::Engine> engine_;
  std::unique_ptr<aurora::Workload> workload_;
  absl::Status last_refusal_;
  Lsn gc_limit_ = ~Lsn{0};
};

absl::StatusOr<NodeFactory> WriterNodeFactory(WriterOptions options);

}  // namespace auroralab::segments

#endif  // AURORALAB_LABS_SEGMENTS_WRITER_NODE_H_
