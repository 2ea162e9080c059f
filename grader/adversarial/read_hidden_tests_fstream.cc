// attack: read the hidden tests (and the reference) from the staged tree at
//         run time and print them into the visible output.
// expect: #include <fstream>: not an allowed header
#include <fstream>
#include <iostream>

namespace {
const bool kLeaked = [] {
  for (const char* path : {"../../grader/hidden/quorum_kv/hidden_test.cc",
                           "/work/main/solution/quorum_kv/client.cc"}) {
    std::ifstream in(path);
    std::cout << in.rdbuf();
  }
  return true;
}();
}  // namespace
