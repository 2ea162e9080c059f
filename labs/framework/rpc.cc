// Implementation of rpc.h's non-template parts and of the request
// poisoning declared in internal/typed_rpc.h.
#include "labs/framework/rpc.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace auroralab {
namespace {

// The poisoned request blocks still kept inaccessible, oldest first, in a
// fixed array so that the fault handler can read it without allocating.
struct PoisonedBlock {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  const char* method = nullptr;
};
constexpr size_t kPoisonedKept = 4096;
PoisonedBlock poisoned[kPoisonedKept];
size_t poisoned_next = 0;  // where the next block goes (the oldest is there)
struct sigaction previous_segv;
struct sigaction previous_bus;

size_t PageRound(size_t bytes) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}

void WriteStderr(const char* text) {
  const ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

// Names the broken rule if the fault is in a poisoned request, then hands
// the signal to whoever handled it before (a crash reporter, ASan, the
// default action): returning re-runs the faulting access under that handler.
void OnFault(int sig, siginfo_t* info, void*) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (const PoisonedBlock& block : poisoned) {
    if (address >= block.begin && address < block.end) {
      WriteStderr("\nauroralab: the request of a ");
      WriteStderr(block.method);
      WriteStderr(" handler was ");
      WriteStderr(rpc_internal::kUseAfterHandlerMessage);
      WriteStderr(" (see \"Handlers\" in docs/framework.md).\n");
      break;
    }
  }
  sigaction(sig, sig == SIGBUS ? &previous_bus : &previous_segv, nullptr);
}

void InstallFaultHandler() {
  static const bool installed = [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_sigaction = OnFault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv);
    sigaction(SIGBUS, &action, &previous_bus);
    return true;
  }();
  (void)installed;
}

}  // namespace

void* rpc_internal::AllocatePoisonable(size_t bytes) {
  const size_t length = PageRound(bytes);
  // Once the ring of poisoned blocks is full, its oldest block is reused
  // (made accessible again) instead of mapping a new one: one mprotect per
  // request rather than a map and an unmap.
  PoisonedBlock& oldest = poisoned[poisoned_next];
  if (oldest.begin != 0 && oldest.end - oldest.begin == length) {
    void* block = reinterpret_cast<void*>(oldest.begin);
    oldest = PoisonedBlock();
    if (mprotect(block, length, PROT_READ | PROT_WRITE) == 0) return block;
    munmap(block, length);
  }
  void* block = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) {
    std::fprintf(stderr, "auroralab: out of memory for a request message\n");
    std::abort();
  }
  return block;
}

void rpc_internal::Poison(void* block, size_t bytes, const char* method) {
  InstallFaultHandler();
  const size_t length = PageRound(bytes);
  mprotect(block, length, PROT_NONE);
  PoisonedBlock& slot = poisoned[poisoned_next];
  if (slot.begin != 0) munmap(reinterpret_cast<void*>(slot.begin), slot.end - slot.begin);
  slot = PoisonedBlock{reinterpret_cast<uintptr_t>(block),
                       reinterpret_cast<uintptr_t>(block) + length, method};
  poisoned_next = (poisoned_next + 1) % kPoisonedKept;
}

void RawResponder::Reply(std::string_view body) const {
  ReplyWith([body](std::string* out) {
    if (body.size() > kMaxMessageBytes) return false;
    out->assign(body);
    return true;
  });
}

void RawResponder::Fail(const absl::Status& status) const {
  // An OK "failure" would look like an empty reply; make the bug visible.
  route_->Send(status.ok() ? absl::InternalError("Fail() called with an OK status") : status,
               [](std::string*) { return true; });
}

}  // namespace auroralab
