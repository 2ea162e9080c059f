// Tests of bazel.h's pure parts: build-log summaries and binary paths.
#include "grader/bazel.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(SummarizeBuildLog, ErrorsFirstThenTail) {
  std::string log = "INFO: Analyzed 3 targets\n";
  for (int i = 0; i < 100; ++i) absl::StrAppend(&log, "noise ", i, "\n");
  absl::StrAppend(&log, "skeleton/quorum_kv/client.cc:12:3: error: 'foo' was not declared\n");
  for (int i = 0; i < 100; ++i) absl::StrAppend(&log, "more noise ", i, "\n");
  absl::StrAppend(&log, "ERROR: Build did NOT complete successfully\n");
  const std::string summary = SummarizeBuildLog(log, 10);
  EXPECT_THAT(summary, StartsWith("Errors:\nskeleton/quorum_kv/client.cc:12:3: error: 'foo'"));
  EXPECT_THAT(summary, HasSubstr("Last 10 lines of the build log:\n"));
  EXPECT_THAT(summary, HasSubstr("more noise 99\n"));
  EXPECT_THAT(summary, Not(HasSubstr("more noise 80\n")));
  EXPECT_THAT(summary, Not(HasSubstr("noise 5\n")));
}

TEST(SummarizeBuildLog, ShortLogWhole) {
  EXPECT_EQ(SummarizeBuildLog("a\nb\n"), "Build log:\na\nb\n");
}

TEST(BinaryPath, FromLabel) {
  EXPECT_EQ(BinaryPath("/out/bin", {"labs/quorum_kv", "quorum_kv_test"}),
            "/out/bin/labs/quorum_kv/quorum_kv_test");
  EXPECT_EQ(BinaryPath("/out/bin", {"", "root_test"}), "/out/bin/root_test");
}

TEST(PackageExists, NeedsABuildFile) {
  const std::filesystem::path root = std::getenv("TEST_TMPDIR");
  std::filesystem::create_directories(root / "with/build");
  std::filesystem::create_directories(root / "without");
  std::ofstream(root / "with/build/BUILD") << "";
  EXPECT_TRUE(PackageExists(root.string(), "with/build"));
  EXPECT_FALSE(PackageExists(root.string(), "without"));
  EXPECT_FALSE(PackageExists(root.string(), "grader/hidden/quorum_kv"));
}

TEST(SummarizeBuildLog, NeverQuotesAHiddenTest) {
  const std::string log =
      "grader/hidden/quorum_kv/hidden_test.cc:12:3: error: no match for 'SecretCall'\n"
      "   12 |   SecretCall(cluster, 42);\n"
      "      |   ^~~~~~~~~~\n"
      "skeleton/quorum_kv/client.cc:3:1: error: expected ';'\n"
      "    3 | int x\n";
  const std::string summary = SummarizeBuildLog(log);
  EXPECT_EQ(summary.find("SecretCall"), std::string::npos) << summary;
  EXPECT_NE(summary.find("withheld"), std::string::npos) << summary;
  EXPECT_NE(summary.find("client.cc:3:1: error: expected ';'"), std::string::npos);
  EXPECT_NE(summary.find("    3 | int x"), std::string::npos);
}

TEST(CompilerMemoryLimitFlags, UlimitInKibibytesThroughGccWrapper) {
  EXPECT_THAT(CompilerMemoryLimitFlags(2),
              ::testing::ElementsAre("--copt=-wrapper",
                                     "--copt=/bin/sh,-c,ulimit -v 2097152 && exec \"$0\" \"$@\""));
}

// The default limit is in .bazelrc's grading config, so that the grader
// passes no extra flags (and shares Bazel's analysis cache with ./lab's build
// of the grader); it must be the one the grader reports.
TEST(CompilerMemoryLimitFlags, DefaultIsTheOneInBazelrc) {
  const std::filesystem::path bazelrc = std::filesystem::path(std::getenv("TEST_SRCDIR")) /
                                        std::getenv("TEST_WORKSPACE") / ".bazelrc";
  std::ifstream in(bazelrc);
  ASSERT_TRUE(in.good()) << "cannot read " << bazelrc;
  const std::vector<std::string> flags = CompilerMemoryLimitFlags(kDefaultCompilerMemoryGiB);
  const std::string expected = absl::StrCat("build:grading ", flags[0], " '", flags[1], "'");
  bool found = false;
  for (std::string line; std::getline(in, line);) found = found || line == expected;
  EXPECT_TRUE(found) << ".bazelrc has no line\n  " << expected;
}

TEST(CompilerMemoryFailures, NamesTheFileThatRanOutOfMemory) {
  const std::string log =
      "INFO: Found 2 targets...\n"
      "ERROR: /ws/skeleton/quorum_kv/BUILD:1:11: Compiling skeleton/quorum_kv/client.cc failed: "
      "(Exit 1): gcc failed: error executing command /usr/bin/gcc -U_FORTIFY_SOURCE\n"
      "virtual memory exhausted: Cannot allocate memory\n"
      "ERROR: /ws/grader/hidden/quorum_kv/BUILD:3:8: Compiling "
      "grader/hidden/quorum_kv/hidden_test.cc failed: (Exit 1): gcc failed\n"
      "cc1plus: out of memory allocating 65536 bytes after a total of 1064960 bytes\n"
      "ERROR: /ws/labs/quorum_kv/BUILD:9:8: Compiling labs/quorum_kv/quorum_kv_test.cc failed\n"
      "labs/quorum_kv/quorum_kv_test.cc:3:1: error: expected ';'\n"
      "Target //labs/quorum_kv:quorum_kv_test failed to build\n";
  EXPECT_THAT(CompilerMemoryFailures(log, 1),
              ::testing::ElementsAre(
                  "the compiler ran out of its 1 GiB memory limit compiling "
                  "skeleton/quorum_kv/client.cc",
                  "the compiler ran out of its 1 GiB memory limit compiling a hidden test (it "
                  "includes your headers)"));
}

TEST(CompilerMemoryFailures, NoneInAnOrdinaryFailedBuild) {
  const std::string log =
      "ERROR: /ws/skeleton/quorum_kv/BUILD:1:11: Compiling skeleton/quorum_kv/client.cc failed\n"
      "skeleton/quorum_kv/client.cc:3:1: error: expected ';'\n"
      "Target //skeleton/quorum_kv:quorum_kv failed to build\n"
      // Out-of-memory words outside a compile's output are not the compiler's.
      "virtual memory exhausted\n";
  EXPECT_THAT(CompilerMemoryFailures(log, 4), ::testing::IsEmpty());
}

}  // namespace
}  // namespace auroralab::grader
