// Tests of tool_flags.h: the instructor tools' flags and input files.
#include "grader/tool_flags.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace auroralab::grader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const std::vector<ToolFlag> kFlags = {
    {.name = "--rubric", .required = true},
    {.name = "--docs", .required = true},
    {.name = "--timestamps"},
    {.name = "--fix-docs", .is_switch = true},
};

absl::StatusOr<std::map<std::string, std::string>> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tool");
  return ParseToolFlags(static_cast<int>(args.size()), args.data(), kFlags);
}

TEST(ParseToolFlags, ValuesAndSwitches) {
  absl::StatusOr<std::map<std::string, std::string>> values =
      Parse({"--rubric=r.textproto", "--fix-docs", "--docs=a=b"});
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre(Pair("--docs", "a=b"), Pair("--fix-docs", "1"),
                                   Pair("--rubric", "r.textproto")));
}

TEST(ParseToolFlags, TheLastOfARepeatedFlagWins) {
  absl::StatusOr<std::map<std::string, std::string>> values =
      Parse({"--rubric=a", "--docs=d", "--rubric=b"});
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(values->at("--rubric"), "b");
}

TEST(ParseToolFlags, ProblemsAreNamed) {
  EXPECT_THAT(Parse({"--rubric=a", "--docs=d", "--nope=1"}).status().message(),
              HasSubstr("unknown argument --nope=1"));
  EXPECT_THAT(Parse({"--rubric=a", "--docs=d", "stray"}).status().message(),
              HasSubstr("unknown argument stray"));
  EXPECT_THAT(Parse({"--rubric", "--docs=d"}).status().message(),
              HasSubstr("--rubric needs a value: --rubric=..."));
  EXPECT_THAT(Parse({"--rubric=", "--docs=d"}).status().message(),
              HasSubstr("--rubric needs a value"));
  EXPECT_THAT(Parse({"--rubric=a", "--docs=d", "--fix-docs=yes"}).status().message(),
              HasSubstr("--fix-docs takes no value"));
  EXPECT_EQ(Parse({}).status().message(), "--rubric, --docs are required");
  EXPECT_EQ(Parse({"--docs=d"}).status().message(), "--rubric is required");
}

TEST(ReadWholeFile, ReadsBytesAndNamesAMissingFile) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/input";
  std::ofstream(path, std::ios::binary) << std::string("a\0b\n", 4);
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, std::string("a\0b\n", 4));
  EXPECT_THAT(ReadWholeFile(path + ".missing").status().message(),
              HasSubstr("cannot read " + path + ".missing"));
}

}  // namespace
}  // namespace auroralab::grader
