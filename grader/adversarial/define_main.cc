// attack: define main() so that no test runs and the process exits 0.
// expect: main\(\) are not the implementation's to define
#include <cstdio>

int main() {
  std::printf("[  PASSED  ] 1 test.\n");
  return 0;
}
