#include "labs/framework/disk.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/simulator.h"

namespace auroralab {

std::string DiskState::Crash(Rng& rng, double torn_write_probability) {
  ++epoch_;
  std::string lost;
  for (auto it = files_.begin(); it != files_.end();) {
    File& f = it->second;
    if (!f.durable_exists) {
      if (!f.current.empty()) absl::StrAppend(&lost, " ", it->first, ":lost-all");
      it = files_.erase(it);
      continue;
    }
    const bool appended_only = f.durable_generation == f.generation;
    if (!appended_only || f.current.size() != f.durable.size()) {
      size_t keep = 0;
      if (appended_only && rng.Bernoulli(torn_write_probability)) {
        keep = rng.Uniform(f.current.size() - f.durable.size());
      }
      absl::StrAppend(&lost, " ", it->first, keep > 0 ? ":torn" : ":lost-unsynced");
      if (appended_only) {
        f.current.resize(f.durable.size() + keep);  // keep == 0: back to durable
      } else {
        f.current = f.durable;
      }
      f.durable = f.current;  // what survived is now simply on disk
      f.durable_generation = f.generation;
    }
    ++it;
  }
  completed_syncs_until = 0;
  return lost.empty() ? "nothing unsynced" : absl::StrCat("unsynced data lost:", lost);
}

Disk::Disk(Simulator& sim, DiskState& state, const DiskConfig& config, Rng& rng, int trace_node)
    : sim_(sim), state_(state), config_(config), rng_(rng), trace_node_(trace_node) {}

bool Disk::Exists(std::string_view file) const {
  return state_.files().count(std::string(file)) > 0;
}

absl::StatusOr<std::string> Disk::Read(std::string_view file) const {
  auto it = state_.files().find(std::string(file));
  if (it == state_.files().end()) return absl::NotFoundError(absl::StrCat("no file ", std::string(file)));
  return it->second.current;
}

std::vector<std::string> Disk::List() const {
  std::vector<std::string> names;
  for (const auto& [name, f] : state_.files()) names.push_back(name);
  return names;
}

absl::Status Disk::CheckWrite(std::string_view file) {
  if (file.empty()) return absl::InvalidArgumentError("empty file name");
  if (state_.fail_next_writes > 0) {
    --state_.fail_next_writes;
    sim_.trace().Record(sim_.Now(), TraceKind::kDisk, trace_node_, -1,
                        absl::StrCat("injected write failure on ", std::string(file)));
    return absl::UnavailableError(absl::StrCat("injected disk write failure on ", std::string(file)));
  }
  return absl::OkStatus();
}

absl::Status Disk::Append(std::string_view file, std::string_view data) {
  if (absl::Status s = CheckWrite(file); !s.ok()) return s;
  state_.files()[std::string(file)].current.append(data);
  return absl::OkStatus();
}

absl::Status Disk::Write(std::string_view file, std::string_view data) {
  if (absl::Status s = CheckWrite(file); !s.ok()) return s;
  DiskState::File& f = state_.files()[std::string(file)];
  f.current.assign(data);
  ++f.generation;
  return absl::OkStatus();
}

absl::Status Disk::Remove(std::string_view file) {
  if (absl::Status s = CheckWrite(file); !s.ok()) return s;
  // Removal is durable at once (a simplification: no lab needs to undo one).
  auto it = state_.files().find(std::string(file));
  if (it == state_.files().end()) return absl::NotFoundError(absl::StrCat("no file ", std::string(file)));
  state_.files().erase(it);
  return absl::OkStatus();
}

void Disk::Sync(std::function<void(absl::Status)> done) {
  // What this sync covers: every file as it is right now. Appended files are
  // recorded by size; a file overwritten since it was last durable needs a
  // copy of its contents.
  struct Covered {
    std::string name;
    uint64_t generation;
    size_t size;
    std::string contents;  // only when overwritten
    bool overwritten;
  };
  std::vector<Covered> covered;
  for (const auto& [name, f] : state_.files()) {
    const bool appended_only = f.durable_exists && f.durable_generation == f.generation;
    if (appended_only && f.current.size() == f.durable.size()) continue;  // clean
    covered.push_back(Covered{name, f.generation, f.current.size(),
                              appended_only ? std::string() : f.current, !appended_only});
  }
  bool fail = false;
  if (state_.fail_next_syncs > 0) {
    --state_.fail_next_syncs;
    fail = true;
  } else if (rng_.Bernoulli(config_.sync_failure_probability)) {
    fail = true;
  }
  const Time complete_at =
      std::max(sim_.Now() + config_.sync_latency + rng_.UniformInt(0, config_.sync_jitter),
               state_.completed_syncs_until);
  state_.completed_syncs_until = complete_at;
  const uint64_t epoch = state_.epoch();
  DiskState* state = &state_;
  Simulator* sim = &sim_;
  const int node = trace_node_;
  sim_.ScheduleAt(complete_at, [state, sim, node, epoch, fail, covered = std::move(covered),
                                done = std::move(done)]() {
    if (state->epoch() != epoch) return;  // the node crashed first: nothing became durable
    if (fail) {
      sim->trace().Record(sim->Now(), TraceKind::kDisk, node, -1, "injected sync failure");
      done(absl::UnavailableError("injected disk sync failure"));
      return;
    }
    for (const Covered& c : covered) {
      auto it = state->files().find(c.name);
      if (it == state->files().end()) continue;  // removed since
      DiskState::File& f = it->second;
      if (f.generation != c.generation) {
        // Overwritten after this sync was issued. What it covered must still
        // become durable (its caller may acknowledge it now), but not the
        // newer, unsynced overwrite.
        if (c.overwritten) {
          f.durable = c.contents;  // durable_generation stays behind: a crash reverts to this
        } else {
          // Only the size of an appended file was recorded and those bytes
          // are gone from memory: flush the newer contents instead, as if the
          // page cache had written them back early.
          f.durable = f.current;
          f.durable_generation = f.generation;
        }
        f.durable_exists = true;
        continue;
      }
      // Only appends happened since the sync was issued, so its first c.size
      // bytes are what it covered.
      if (!f.durable_exists || f.durable_generation != f.generation) {
        f.durable = f.current.substr(0, c.size);
      } else if (c.size > f.durable.size()) {
        f.durable.append(f.current, f.durable.size(), c.size - f.durable.size());
      }
      f.durable_exists = true;
      f.durable_generation = f.generation;
    }
    sim->trace().Record(sim->Now(), TraceKind::kDisk, node, -1, "sync done");
    done(absl::OkStatus());
  });
}

}  // namespace auroralab
