// Tests of bazel.h's pure parts: build-log summaries and binary paths.
#include "grader/bazel.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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

}  // namespace
}  // namespace auroralab::grader
