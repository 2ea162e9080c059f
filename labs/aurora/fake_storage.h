// InMemoryStorage: a trivial stand-in for the storage tier (a RedoLogSink
// and a PageReader in one), for testing the engine and, in later labs, code
// that needs a database without the lab's real storage.
//
// Contract: Append numbers MTRs with an LsnAllocator and makes each record
// durable on its own after a delay drawn uniformly from
// [min_delay, max_delay] with the node's rng (so records become durable out
// of order). VDL is the highest CPL at or below the highest LSN up to which
// every record is durable; the listener hears every advance. With
// `allocation_limit` > 0, Append refuses (Unavailable) an MTR whose last
// LSN would exceed VDL + allocation_limit (Aurora's LAL). ReadPage answers
// after `read_delay` from the durable records, and refuses (Unavailable) a
// read point above VDL. Nothing is on disk: it is a fake, gone when its
// node crashes.
#ifndef AURORALAB_LABS_AURORA_FAKE_STORAGE_H_
#define AURORALAB_LABS_AURORA_FAKE_STORAGE_H_

#include <map>
#include <vector>

#include "labs/aurora/engine.h"
#include "labs/aurora/lsn_allocator.h"
#include "labs/framework/node.h"

namespace auroralab::aurora {

struct InMemoryStorageOptions {
  Duration min_delay = Micros(100);
  Duration max_delay = Millis(2);
  Duration read_delay = Micros(200);
  Lsn allocation_limit = 0;  // 0: no limit
};

class InMemoryStorage : public RedoLogSink, public PageReader {
 public:
  InMemoryStorage(NodeContext& ctx, InMemoryStorageOptions options = {});

  absl::StatusOr<std::vector<RedoRecord>> Append(std::vector<RedoRecord> mtr) override;
  void SetDurableListener(DurableListener listener) override { listener_ = std::move(listener); }
  void ReadPage(PageId page, Lsn read_point, PageDone done) override;

  Lsn vdl() const { return vdl_; }
  // Every record appended so far, durable or not, by LSN.
  const std::map<Lsn, RedoRecord>& records() const { return records_; }

 private:
  void MakeDurable(Lsn lsn);

  NodeContext& ctx_;
  InMemoryStorageOptions options_;
  LsnAllocator allocator_;
  DurableListener listener_;
  std::map<Lsn, RedoRecord> records_;
  std::map<Lsn, bool> durable_;  // LSN -> durable yet
  Lsn complete_ = kNoLsn;        // every record up to here is durable
  Lsn vdl_ = kNoLsn;
};

}  // namespace auroralab::aurora

#endif  // AURORALAB_LABS_AURORA_FAKE_STORAGE_H_
