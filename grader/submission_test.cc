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

TEST_F(StagingTest, StagingHoldsTheHandoutPartsAndHiddenTestsButNeverTheSolution) {
  const fs::path root = base_ / "root";
  Write(root / "WORKSPACE", "workspace");
  Write(root / "skeleton/quorum_kv/client.cc", "skeleton client");
  Write(root / "solution/quorum_kv/client.cc", "reference client");
  Write(root / "grader/hidden/quorum_kv/hidden_test.cc", "hidden test");
  Write(root / "grader/mutants/quorum_kv.mutants", "mutants");
  Write(root / "grader/grade.cc", "grader source");
  Write(root / "grader/rubric.textproto", "rubric");
  Write(root / "docs/notes.md", "staff notes");
  Write(root / ".git/HEAD", "ref");
  fs::create_directory_symlink("/", root / "bazel-bin");
  fs::create_symlink("client.cc", root / "skeleton/quorum_kv/link.cc");
  const fs::path staged = base_ / "staged";
  ASSERT_TRUE(ClearDirectory(staged.string()).ok());
  ASSERT_TRUE(StageCourseTree(root.string(), staged.string()).ok());
  EXPECT_EQ(Read(staged / "WORKSPACE"), "workspace");
  EXPECT_EQ(Read(staged / "skeleton/quorum_kv/client.cc"), "skeleton client");
  EXPECT_EQ(Read(staged / "grader/hidden/quorum_kv/hidden_test.cc"), "hidden test");
  EXPECT_EQ(Read(staged / "grader/rubric.textproto"), "rubric");
  EXPECT_TRUE(fs::is_symlink(staged / "skeleton/quorum_kv/link.cc"));
  for (const char* absent :
       {"solution", "grader/mutants", "grader/grade.cc", "docs", ".git", "bazel-bin"}) {
    EXPECT_FALSE(fs::exists(fs::symlink_status(staged / absent))) << absent;
  }
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

// Builds a zip archive by hand (stored entries), so that tests can make
// archives the zip tool refuses to: duplicate names, lying sizes, links.
class ZipWriter {
 public:
  // `unix_mode` 0: no Unix attributes. `declared_size` 0: the data's size.
  void Add(const std::string& name, const std::string& data, uint32_t unix_mode = 0100644,
           uint32_t declared_size = 0) {
    const uint32_t size = declared_size != 0 ? declared_size : data.size();
    std::string local;
    Put32(&local, 0x04034b50);
    Put16(&local, 20);
    Put16(&local, 0);
    Put16(&local, 0);  // stored
    Put32(&local, 0);  // time, date
    Put32(&local, Crc32(data));
    Put32(&local, data.size());
    Put32(&local, size);
    Put16(&local, name.size());
    Put16(&local, 0);
    const uint32_t offset = body_.size();
    body_ += local + name + data;
    Put32(&directory_, 0x02014b50);
    Put16(&directory_, (3 << 8) | 20);  // made by Unix
    Put16(&directory_, 20);
    Put16(&directory_, 0);
    Put16(&directory_, 0);
    Put32(&directory_, 0);
    Put32(&directory_, Crc32(data));
    Put32(&directory_, data.size());
    Put32(&directory_, size);
    Put16(&directory_, name.size());
    Put32(&directory_, 0);  // extra, comment lengths
    Put32(&directory_, 0);  // disk, internal attributes
    Put32(&directory_, unix_mode << 16);
    Put32(&directory_, offset);
    directory_ += name;
    ++count_;
  }

  void WriteTo(const fs::path& path) const {
    std::string end;
    Put32(&end, 0x06054b50);
    Put32(&end, 0);
    Put16(&end, count_);
    Put16(&end, count_);
    Put32(&end, directory_.size());
    Put32(&end, body_.size());
    Put16(&end, 0);
    std::ofstream(path, std::ios::binary) << body_ << directory_ << end;
  }

 private:
  static void Put16(std::string* out, uint32_t value) {
    out->push_back(static_cast<char>(value & 0xff));
    out->push_back(static_cast<char>((value >> 8) & 0xff));
  }
  static void Put32(std::string* out, uint32_t value) {
    Put16(out, value & 0xffff);
    Put16(out, value >> 16);
  }
  static uint32_t Crc32(const std::string& data) {
    uint32_t crc = 0xffffffff;
    for (const char c : data) {
      crc ^= static_cast<unsigned char>(c);
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
    }
    return ~crc;
  }

  std::string body_;
  std::string directory_;
  int count_ = 0;
};

TEST_F(StagingTest, ScanAndExtractOnlyTheNamedEntries) {
  ZipWriter zip;
  zip.Add("sub/quorum_kv/client.cc", "zipped client");
  zip.Add("sub/other.txt", "not wanted");
  zip.Add("sub/", "", 040755);
  zip.WriteTo(base_ / "submission.zip");
  absl::StatusOr<std::vector<ZipEntry>> entries = ScanZip((base_ / "submission.zip").string());
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_FALSE((*entries)[0].directory);
  EXPECT_TRUE((*entries)[2].directory);

  const fs::path dest = base_ / "unzipped";
  fs::create_directories(dest);
  ASSERT_TRUE(ExtractZipEntries((base_ / "submission.zip").string(), {"sub/quorum_kv/client.cc"},
                                dest.string(), base_.string())
                  .ok());
  EXPECT_EQ(Read(dest / "sub/quorum_kv/client.cc"), "zipped client");
  EXPECT_FALSE(fs::exists(dest / "sub/other.txt"));
  // unzip's log is not left anywhere a later step could read it.
  for (const auto& entry : fs::directory_iterator(base_)) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr("unzip-")));
  }
}

TEST_F(StagingTest, HostileArchivesAreRefusedBeforeExtracting) {
  auto scan = [&](const ZipWriter& zip) {
    zip.WriteTo(base_ / "bad.zip");
    absl::StatusOr<std::vector<ZipEntry>> entries = ScanZip((base_ / "bad.zip").string());
    EXPECT_FALSE(entries.ok());
    EXPECT_TRUE(absl::IsInvalidArgument(entries.status())) << entries.status();
    return std::string(entries.status().message());
  };
  ZipWriter link;
  link.Add("client.cc", "/etc/passwd", 0120777);
  EXPECT_THAT(scan(link), HasSubstr("entry 'client.cc' is a symbolic link"));
  ZipWriter twice;
  twice.Add("client.cc", "one");
  twice.Add("client.cc", "two");
  EXPECT_THAT(scan(twice), HasSubstr("appears twice"));
  ZipWriter bomb;
  bomb.Add("a.txt", "x", 0100644, 0x7fffffff);
  EXPECT_THAT(scan(bomb), HasSubstr("zip bomb"));
  ZipWriter escape;
  escape.Add("../../etc/cron.d/x", "x");
  EXPECT_THAT(scan(escape), HasSubstr("points outside the archive"));
  ZipWriter wildcard;
  wildcard.Add("*.cc", "x");
  EXPECT_THAT(scan(wildcard), HasSubstr("unusual character"));
  ZipWriter fifo;
  fifo.Add("pipe", "", 010644);
  EXPECT_THAT(scan(fifo), HasSubstr("not a regular file"));
  ZipWriter many;
  for (size_t i = 0; i <= kMaxZipEntries; ++i) many.Add(absl::StrCat("f", i), "");
  EXPECT_THAT(scan(many), HasSubstr("entries; at most"));
  Write(base_ / "bad.zip", "this is not a zip file");
  absl::StatusOr<std::vector<ZipEntry>> not_zip = ScanZip((base_ / "bad.zip").string());
  EXPECT_THAT(std::string(not_zip.status().message()), HasSubstr("not a .zip file"));
}

TEST_F(StagingTest, AnEntryLargerThanItsHeaderSaysIsCutOff) {
  // The header claims 10 bytes; the data is 2 MB.
  ZipWriter zip;
  zip.Add("client.cc", std::string(2 << 20, 'x'), 0100644, 10);
  zip.WriteTo(base_ / "liar.zip");
  ASSERT_TRUE(ScanZip((base_ / "liar.zip").string()).ok());
  const fs::path dest = base_ / "out";
  fs::create_directories(dest);
  const absl::Status extracted = ExtractZipEntries((base_ / "liar.zip").string(), {"client.cc"},
                                                   dest.string(), base_.string());
  EXPECT_FALSE(extracted.ok());
  EXPECT_LE(fs::file_size(dest / "client.cc"), kMaxStudentFileBytes);
}

TEST_F(StagingTest, LockTimesOut) {
  const std::string dir = (base_ / "ws").string();
  absl::StatusOr<StagingLock> held = StagingLock::Acquire(dir, 1);
  ASSERT_TRUE(held.ok()) << held.status();
  // flock locks belong to the open file: a second open conflicts, also in
  // this process.
  absl::StatusOr<StagingLock> second = StagingLock::Acquire(dir, 1);
  EXPECT_TRUE(absl::IsDeadlineExceeded(second.status())) << second.status();
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("--staging"));
}

TEST_F(StagingTest, LockCanBeTakenAgainAfterRelease) {
  const std::string dir = (base_ / "ws").string();
  {
    absl::StatusOr<StagingLock> lock = StagingLock::Acquire(dir, 5);
    ASSERT_TRUE(lock.ok()) << lock.status();
  }
  absl::StatusOr<StagingLock> again = StagingLock::Acquire(dir, 5);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST(DefaultStagingDir, UnderHomeCache) {
  EXPECT_THAT(DefaultStagingDir(), HasSubstr("/.cache/auroralab/grade-workspace"));
}

}  // namespace
}  // namespace auroralab::grader
