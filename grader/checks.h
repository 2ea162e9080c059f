// Static checks of a student's code, before and after compiling it: what the
// sandbox cannot stop (student code runs in the same process as the trusted
// test harness) must not be expressible in the first place.
//
// Contract:
// - CheckSource looks at one student file's text before the build: no inline
//   assembly (`asm`, which is how `.incbin` pulls any file into the binary),
//   no `#embed`, `#include` only of the lab's allowed headers (its own files,
//   the lab interface, the framework API, Abseil, protobuf and a list of C++
//   standard headers; never GoogleTest), no GCC attributes (weak symbols,
//   aliases, constructors), no #define before an #include (a macro can
//   change how a library header compiles), and no #define in a header other
//   than its include guard (a header's macros reach whoever includes it).
// - CheckSymbols looks at one compiled object's `nm -C` listing: it may
//   define only the lab's own symbols (namespace auroralab::<lab>::) plus
//   local symbols and weak template/inline instantiations, and may refer
//   only to the C++ standard library's containers, strings, algorithms and
//   smart pointers, Abseil, protobuf, the framework API and the compiler's
//   runtime support. Everything that ends the process with a chosen status,
//   signals, spawns processes, loads code, makes raw system calls, touches
//   files, sockets, threads, the wall clock, the environment or
//   nondeterministic randomness, and anything in GoogleTest, is rejected.
// Both return one message per problem (empty: the code passes), each saying
// what was found, where, and why it is not allowed. Both are pure.
#ifndef AURORALAB_GRADER_CHECKS_H_
#define AURORALAB_GRADER_CHECKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace auroralab::grader {

struct SourcePolicy {
  // Prefixes a quoted #include may start with, e.g. "quorum_kv/",
  // "labs/framework/".
  std::vector<std::string> include_prefixes;
  // Quoted headers refused even though a prefix matches (the test harness).
  std::vector<std::string> denied_includes;
};

// The policy for lab `lab_name` whose student files are `student_files`
// (repo-relative, e.g. "skeleton/quorum_kv/client.cc"). `allowed_dependencies`
// are the repository folders of provided code the rubric lets the lab use
// (its `allowed_dependencies`, e.g. "labs/aurora"): their headers may be
// included too. (The symbol check already lets lab code refer to any
// auroralab:: symbol; it may define only its own.)
SourcePolicy LabSourcePolicy(const std::string& lab_name,
                             const std::vector<std::string>& student_files,
                             const std::vector<std::string>& allowed_dependencies = {});

// Problems in the source `text` of the file shown as `file`.
std::vector<std::string> CheckSource(const std::string& file, const std::string& text,
                                     const SourcePolicy& policy);

// Problems in `nm_output` (the output of `nm -C OBJECT`) of the object
// compiled from the file shown as `file`, for lab `lab_name`.
std::vector<std::string> CheckSymbols(const std::string& file, const std::string& nm_output,
                                      const std::string& lab_name);

// Runs `nm -C` on `object` and returns its output; an error is the grader's
// own failure (no nm).
absl::StatusOr<std::string> ListSymbols(const std::string& object, const std::string& scratch_dir);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_CHECKS_H_
