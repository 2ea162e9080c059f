// attack: the same leak through <cstdio>, which is an allowed header.
// expect: uses `fopen`: uses files
#include <cstdio>

namespace {
const bool kLeaked = [] {
  if (std::FILE* file = std::fopen("../../grader/hidden/quorum_kv/hidden_test.cc", "r")) {
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof(buffer), file)) {
      std::printf("%.*s", static_cast<int>(n), buffer);
    }
  }
  return true;
}();
}  // namespace
