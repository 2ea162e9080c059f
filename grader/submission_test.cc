// Tests of submission.h: matching submitted files to student files, and the
// file system staging on temp dirs.
#include "grader/submission.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string> kStudentFiles = {"skeleton/quorum_kv/client.cc",
                                                "skeleton/quorum_kv/server.cc"};

// "student_file <- submitted" strings, for readable expectations.
std::vector<std::string> Copies(const SubmissionPlan& plan) {
  std::vector<std::string> copies;
  for (const FileCopy& copy : plan.copies) {
    copies.push_back(copy.student_file + " <- " + copy.submitted);
  }
  return copies;
}

TEST(PlanSubmission, ByRepoRelativePath) {
  const SubmissionPlan plan = PlanSubmission(
      {"skeleton/quorum_kv/client.cc", "skeleton/quorum_kv/server.cc"}, kStudentFiles);
  EXPECT_THAT(Copies(plan),
              ElementsAre("skeleton/quorum_kv/client.cc <- skeleton/quorum_kv/client.cc",
                          "skeleton/quorum_kv/server.cc <- skeleton/quorum_kv/server.cc"));
  EXPECT_THAT(plan.missing, IsEmpty());
  EXPECT_THAT(plan.ignored, IsEmpty());
  EXPECT_THAT(plan.errors, IsEmpty());
}

TEST(PlanSubmission, ByPathInsideATopLevelFolder) {
  const SubmissionPlan plan = PlanSubmission(
      {"auroralab/skeleton/quorum_kv/client.cc", "auroralab/README.md"}, kStudentFiles);
  EXPECT_THAT(
      Copies(plan),
      ElementsAre("skeleton/quorum_kv/client.cc <- auroralab/skeleton/quorum_kv/client.cc"));
  EXPECT_THAT(plan.missing, ElementsAre("skeleton/quorum_kv/server.cc"));
  EXPECT_THAT(plan.ignored, ElementsAre("auroralab/README.md"));
}

TEST(PlanSubmission, ByBasenameAnywhere) {
  const SubmissionPlan plan =
      PlanSubmission({"client.cc", "src/server.cc", "notes.txt"}, kStudentFiles);
  EXPECT_THAT(Copies(plan), ElementsAre("skeleton/quorum_kv/client.cc <- client.cc",
                                        "skeleton/quorum_kv/server.cc <- src/server.cc"));
  EXPECT_THAT(plan.ignored, ElementsAre("notes.txt"));
  EXPECT_THAT(plan.errors, IsEmpty());
}

TEST(PlanSubmission, PathMatchBeatsBasenameMatch) {
  const SubmissionPlan plan = PlanSubmission({"old/client.cc", "skeleton/quorum_kv/client.cc"},
                                             {"skeleton/quorum_kv/client.cc"});
  EXPECT_THAT(Copies(plan),
              ElementsAre("skeleton/quorum_kv/client.cc <- skeleton/quorum_kv/client.cc"));
  EXPECT_THAT(plan.ignored, ElementsAre("old/client.cc"));
}

TEST(PlanSubmission, SeveralFilesWithTheBasenameIsAnError) {
  const SubmissionPlan plan =
      PlanSubmission({"a/client.cc", "b/client.cc", "server.cc"}, kStudentFiles);
  ASSERT_EQ(plan.errors.size(), 1u);
  EXPECT_EQ(plan.errors[0].student_file, "skeleton/quorum_kv/client.cc");
  EXPECT_THAT(plan.errors[0].message, HasSubstr("ambiguous"));
  EXPECT_THAT(plan.errors[0].message, HasSubstr("a/client.cc, b/client.cc"));
  EXPECT_THAT(Copies(plan), ElementsAre("skeleton/quorum_kv/server.cc <- server.cc"));
  // Neither missing (it was submitted) nor ignored (the error names them).
  EXPECT_THAT(plan.missing, IsEmpty());
  EXPECT_THAT(plan.ignored, IsEmpty());
}

TEST(PlanSubmission, BasenameSharedByTwoStudentFilesIsAnError) {
  const std::vector<std::string> students = {"skeleton/quorum_kv/client.cc",
                                             "skeleton/storage/client.cc"};
  const SubmissionPlan plan = PlanSubmission({"client.cc"}, students);
  ASSERT_EQ(plan.errors.size(), 2u);
  EXPECT_THAT(plan.errors[0].message, HasSubstr("could be any of"));
  EXPECT_THAT(plan.copies, IsEmpty());
  // With full paths the same two files are fine.
  const SubmissionPlan full =
      PlanSubmission({"skeleton/quorum_kv/client.cc", "skeleton/storage/client.cc"}, students);
  EXPECT_THAT(full.errors, IsEmpty());
  EXPECT_EQ(full.copies.size(), 2u);
}

TEST(PlanSubmission, SamePathTwiceInsideFoldersIsAnError) {
  const SubmissionPlan plan = PlanSubmission(
      {"v1/skeleton/quorum_kv/client.cc", "v2/skeleton/quorum_kv/client.cc"}, kStudentFiles);
  ASSERT_EQ(plan.errors.size(), 1u);
  EXPECT_THAT(plan.errors[0].message, HasSubstr("more than once"));
}

TEST(PlanSubmission, MissingAndIgnoredAndMacLitter) {
  const SubmissionPlan plan = PlanSubmission(
      {"__MACOSX/._client.cc", ".DS_Store", "labs/quorum_kv/quorum_kv_test.cc", "BUILD"},
      kStudentFiles);
  EXPECT_THAT(plan.copies, IsEmpty());
  EXPECT_THAT(plan.missing,
              ElementsAre("skeleton/quorum_kv/client.cc", "skeleton/quorum_kv/server.cc"));
  // A submitted test or BUILD file is never used.
  EXPECT_THAT(plan.ignored, ElementsAre("labs/quorum_kv/quorum_kv_test.cc", "BUILD"));
}

// File system helpers ------------------------------------------------------

class StagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(std::getenv("TEST_TMPDIR")) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(base_);
    fs::create_directories(base_);
  }

  void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path base_;
};

TEST_F(StagingTest, CopyCourseTreeSkipsBazelLinksGitAndOutput) {
  const fs::path root = base_ / "root";
  Write(root / "WORKSPACE", "workspace");
  Write(root / "skeleton/quorum_kv/client.cc", "skeleton client");
  Write(root / ".git/HEAD", "ref");
  Write(root / "grade-out/results.json", "{}");
  Write(root / "custom-out/results.json", "{}");
  fs::create_directory_symlink("/", root / "bazel-bin");
  fs::create_symlink("client.cc", root / "skeleton/quorum_kv/link.cc");
  const fs::path staged = base_ / "staged";
  ASSERT_TRUE(ClearDirectory(staged.string()).ok());
  ASSERT_TRUE(
      CopyCourseTree(root.string(), staged.string(), {(root / "custom-out").string()}).ok());
  EXPECT_EQ(Read(staged / "WORKSPACE"), "workspace");
  EXPECT_EQ(Read(staged / "skeleton/quorum_kv/client.cc"), "skeleton client");
  EXPECT_TRUE(fs::is_symlink(staged / "skeleton/quorum_kv/link.cc"));
  EXPECT_FALSE(fs::exists(staged / ".git"));
  EXPECT_FALSE(fs::exists(staged / "grade-out"));
  EXPECT_FALSE(fs::exists(staged / "custom-out"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(staged / "bazel-bin")));
}

TEST_F(StagingTest, ClearDirectoryEmptiesButKeeps) {
  Write(base_ / "dir/a/b.txt", "x");
  Write(base_ / "dir/c.txt", "y");
  ASSERT_TRUE(ClearDirectory((base_ / "dir").string()).ok());
  EXPECT_TRUE(fs::is_directory(base_ / "dir"));
  EXPECT_TRUE(fs::is_empty(base_ / "dir"));
}

TEST_F(StagingTest, ListAndApplySubmission) {
  const fs::path submission = base_ / "submission";
  Write(submission / "client.cc", "student client");
  Write(submission / "extra/notes.txt", "notes");
  fs::create_symlink("/etc/passwd", submission / "server.cc");  // never followed
  absl::StatusOr<std::vector<std::string>> files = ListSubmittedFiles(submission.string());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(*files, ElementsAre("client.cc", "extra/notes.txt"));

  const fs::path workspace = base_ / "workspace";
  Write(workspace / "skeleton/quorum_kv/client.cc", "skeleton client");
  Write(workspace / "skeleton/quorum_kv/server.cc", "skeleton server");
  const SubmissionPlan plan = PlanSubmission(*files, kStudentFiles);
  ASSERT_TRUE(ApplySubmission(plan, submission.string(), workspace.string()).ok());
  EXPECT_EQ(Read(workspace / "skeleton/quorum_kv/client.cc"), "student client");
  EXPECT_EQ(Read(workspace / "skeleton/quorum_kv/server.cc"), "skeleton server");
  EXPECT_THAT(plan.missing, ElementsAre("skeleton/quorum_kv/server.cc"));
  EXPECT_THAT(plan.ignored, ElementsAre("extra/notes.txt"));
}

TEST_F(StagingTest, ExtractZip) {
  if (access("/usr/bin/zip", X_OK) != 0) GTEST_SKIP() << "zip is not installed";
  Write(base_ / "src/skeleton/quorum_kv/client.cc", "zipped client");
  const std::string zip = (base_ / "submission.zip").string();
  const std::string command =
      absl::StrCat("cd '", (base_ / "src").string(), "' && zip -qr '", zip, "' skeleton");
  ASSERT_EQ(std::system(command.c_str()), 0);
  const fs::path dest = base_ / "unzipped";
  fs::create_directories(dest);
  ASSERT_TRUE(ExtractZip(zip, dest.string()).ok());
  EXPECT_EQ(Read(dest / "skeleton/quorum_kv/client.cc"), "zipped client");

  Write(base_ / "not_a.zip", "this is not a zip file");
  const absl::Status bad = ExtractZip((base_ / "not_a.zip").string(), dest.string());
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.message()), HasSubstr("cannot extract"));
}

TEST_F(StagingTest, LockCanBeTakenAgainAfterRelease) {
  const std::string dir = (base_ / "ws").string();
  {
    absl::StatusOr<StagingLock> lock = StagingLock::Acquire(dir);
    ASSERT_TRUE(lock.ok()) << lock.status();
  }
  absl::StatusOr<StagingLock> again = StagingLock::Acquire(dir);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST(DefaultStagingDir, UnderHomeCache) {
  EXPECT_THAT(DefaultStagingDir(), HasSubstr("/.cache/auroralab/grade-workspace"));
}

}  // namespace
}  // namespace auroralab::grader
