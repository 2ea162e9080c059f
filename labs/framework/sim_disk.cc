// Implementation of sim_disk.h: the simulated disk the engine gives each node.
#include "labs/framework/sim_disk.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "labs/framework/simulator.h"

namespace auroralab {

absl::Status ValidateDiskConfig(const DiskConfig& c) {
  auto probability = [](double p) { return p >= 0 && p <= 1; };  // false for NaN
  if (c.sync_latency < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("disk config: sync_latency = ", c.sync_latency, " (must be >= 0)"));
  }
  if (c.sync_jitter < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("disk config: sync_jitter = ", c.sync_jitter, " (must be >= 0)"));
  }
  if (!probability(c.torn_write_probability)) {
    return absl::InvalidArgumentError(
        absl::StrCat("disk config: torn_write_probability = ", c.torn_write_probability,
                     " (must be in [0, 1])"));
  }
  if (!probability(c.sync_failure_probability)) {
    return absl::InvalidArgumentError(
        absl::StrCat("disk config: sync_failure_probability = ", c.sync_failure_probability,
                     " (must be in [0, 1])"));
  }
  return absl::OkStatus();
}

DiskState::File& DiskState::Open(const std::string& name) {
  auto [it, created] = files_.try_emplace(name);
  if (created) it->second.id = next_file_id_++;
  return it->second;
}

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
  completed_syncs_until_ = 0;
  return lost.empty() ? "nothing unsynced" : absl::StrCat("unsynced data lost:", lost);
}

SimDisk::SimDisk(Simulator& sim, DiskState& state, const DiskConfig& config, Rng& rng,
                 int trace_node)
    : sim_(sim), state_(state), config_(config), rng_(rng), trace_node_(trace_node) {}

bool SimDisk::Exists(std::string_view file) const {
  return state_.files().count(std::string(file)) > 0;
}

absl::StatusOr<std::string> SimDisk::Read(std::string_view file) const {
  auto it = state_.files().find(std::string(file));
  if (it == state_.files().end()) return absl::NotFoundError(absl::StrCat("no file ", std::string(file)));
  return it->second.current;
}

std::vector<std::string> SimDisk::List() const {
  std::vector<std::string> names;
  for (const auto& [name, f] : state_.files()) names.push_back(name);
  return names;
}

absl::Status SimDisk::CheckWrite(std::string_view file) {
  if (closed_) return absl::FailedPreconditionError("the disk's node has crashed");
  if (file.empty()) return absl::InvalidArgumentError("empty file name");
  if (state_.fail_next_writes_ > 0) {
    --state_.fail_next_writes_;
    sim_.trace().Record(sim_.Now(), TraceKind::kDisk, trace_node_, -1,
                        absl::StrCat("injected write failure on ", std::string(file)));
    return absl::UnavailableError(absl::StrCat("injected disk write failure on ", std::string(file)));
  }
  return absl::OkStatus();
}

absl::Status SimDisk::Append(std::string_view file, std::string_view data) {
  if (absl::Status s = CheckWrite(file); !s.ok()) return s;
  state_.Open(std::string(file)).current.append(data);
  return absl::OkStatus();
}

absl::Status SimDisk::Write(std::string_view file, std::string_view data) {
  if (absl::Status s = CheckWrite(file); !s.ok()) return s;
  DiskState::File& f = state_.Open(std::string(file));
  f.current.assign(data);
  ++f.generation;
  return absl::OkStatus();
}

absl::Status SimDisk::Remove(std::string_view file) {
  if (absl::Status s = CheckWrite(file); !s.ok()) return s;
  // Removal is durable at once (a simplification: no lab needs to undo one).
  auto it = state_.files().find(std::string(file));
  if (it == state_.files().end()) return absl::NotFoundError(absl::StrCat("no file ", std::string(file)));
  state_.files().erase(it);
  return absl::OkStatus();
}

void SimDisk::Sync(std::function<void(absl::Status)> done) {
  if (closed_) return;  // a crashed incarnation: its callbacks never run
  // What this sync covers: every file as it is right now. A file only
  // appended to since it was last durable is recorded by its size and its
  // unsynced tail (so a later overwrite cannot change what this sync makes
  // durable); a file overwritten since needs a copy of its contents.
  struct Covered {
    std::string name;
    uint64_t id;
    uint64_t generation;
    size_t size;
    size_t tail_from;      // appended: where the copied tail starts
    std::string contents;  // appended: the tail; overwritten: everything
    bool overwritten;
  };
  std::vector<Covered> covered;
  for (const auto& [name, f] : state_.files()) {
    const bool appended_only = f.durable_exists && f.durable_generation == f.generation;
    if (appended_only && f.current.size() == f.durable.size()) continue;  // clean
    if (appended_only) {
      covered.push_back(Covered{name, f.id, f.generation, f.current.size(), f.durable.size(),
                                f.current.substr(f.durable.size()), false});
    } else {
      covered.push_back(Covered{name, f.id, f.generation, f.current.size(), 0, f.current, true});
    }
  }
  bool fail = false;
  if (state_.fail_next_syncs_ > 0) {
    --state_.fail_next_syncs_;
    fail = true;
  } else if (rng_.Bernoulli(config_.sync_failure_probability)) {
    fail = true;
  }
  const Time complete_at = std::max(
      AddSaturating(sim_.Now(),
                    AddSaturating(config_.sync_latency, rng_.UniformInt(0, config_.sync_jitter))),
      state_.completed_syncs_until_);
  state_.completed_syncs_until_ = complete_at;
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
      // Removed since (and maybe re-created: a new file this sync never saw).
      if (it == state->files().end() || it->second.id != c.id) continue;
      DiskState::File& f = it->second;
      if (f.generation != c.generation) {
        // Overwritten after this sync was issued. What it covered must still
        // become durable (its caller may acknowledge it now), but not the
        // newer, unsynced overwrite: durable_generation stays behind, so a
        // crash reverts to exactly what this sync covered.
        if (c.overwritten) {
          f.durable = c.contents;
        } else {
          // Earlier syncs of the same generation only ever extended the
          // durable prefix this one started from.
          f.durable.resize(c.tail_from);
          f.durable.append(c.contents);
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
