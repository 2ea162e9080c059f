// consistency: checks that the rubric, the lab tests and the lab docs agree
// (run by `./lab test` after the tests; see check.h for the rules).
//
//   consistency --rubric=FILE --listing=FILE --docs=DIR [--fix-docs]
//
// --listing is the output of `<test binary> --gtest_list_tests` for every
// cc_test of the rubric's labs, each after a "## //pkg:target" line (./lab
// collects it). --docs is checked file by file (*.md, sorted); --fix-docs
// rewrites stale rubric-points blocks in place first. Exit status: 0 when
// consistent, 1 with one line per problem, 2 for usage or I/O errors.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grader/consistency/check.h"
#include "grader/rubric.h"
#include "grader/tool_flags.h"

namespace {

namespace fs = std::filesystem;
using auroralab::grader::CheckDoc;
using auroralab::grader::CheckTestsAgainstRubric;
using auroralab::grader::DocResult;
using auroralab::grader::LoadRubric;
using auroralab::grader::ParseTestListing;
using auroralab::grader::ParseToolFlags;
using auroralab::grader::ReadWholeFile;
using auroralab::grader::Rubric;
using auroralab::grader::TestListing;

int Usage(const std::string& error) {
  std::fprintf(stderr,
               "consistency: %s\nusage: consistency --rubric=FILE --listing=FILE --docs=DIR "
               "[--fix-docs]\n",
               error.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<std::map<std::string, std::string>> flags =
      ParseToolFlags(argc, argv,
                     {{.name = "--rubric", .required = true},
                      {.name = "--listing", .required = true},
                      {.name = "--docs", .required = true},
                      {.name = "--fix-docs", .is_switch = true}});
  if (!flags.ok()) return Usage(std::string(flags.status().message()));
  const std::string listing_path = flags->at("--listing");
  const std::string docs_dir = flags->at("--docs");
  const bool fix = flags->count("--fix-docs") > 0;
  absl::StatusOr<Rubric> rubric = LoadRubric(flags->at("--rubric"));
  if (!rubric.ok()) return Usage(std::string(rubric.status().message()));
  absl::StatusOr<std::string> listing_text = ReadWholeFile(listing_path);
  if (!listing_text.ok()) return Usage(std::string(listing_text.status().message()));
  absl::StatusOr<TestListing> listing = ParseTestListing(*listing_text);
  if (!listing.ok()) {
    return Usage(absl::StrCat(listing_path, ": ", listing.status().message()));
  }

  std::vector<std::string> problems = CheckTestsAgainstRubric(*rubric, *listing);
  std::vector<std::string> docs;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(docs_dir, error)) {
    if (entry.path().extension() == ".md") docs.push_back(entry.path().string());
  }
  if (error) return Usage(absl::StrCat("cannot list ", docs_dir, ": ", error.message()));
  std::sort(docs.begin(), docs.end());
  std::set<std::string> labs_with_blocks;
  for (const std::string& doc : docs) {
    absl::StatusOr<std::string> read = ReadWholeFile(doc);
    if (!read.ok()) return Usage(std::string(read.status().message()));
    const std::string& text = *read;
    DocResult result = CheckDoc(*rubric, doc, text);
    if (fix && result.fixed_text != text) {
      std::ofstream out(doc, std::ios::binary | std::ios::trunc);
      out << result.fixed_text;
      if (!out) return Usage("cannot write " + doc);
      std::printf("consistency: regenerated the rubric-points blocks in %s\n", doc.c_str());
      result = CheckDoc(*rubric, doc, result.fixed_text);
    }
    problems.insert(problems.end(), result.problems.begin(), result.problems.end());
    labs_with_blocks.insert(result.labs.begin(), result.labs.end());
  }
  for (const auto& lab : rubric->lab()) {
    if (labs_with_blocks.count(lab.name()) == 0) {
      problems.push_back(absl::StrCat(
          lab.name(), ": no doc in ", docs_dir, " quotes its points; add the lines\n",
          auroralab::grader::BlockBegin(lab.name()), "\n", auroralab::grader::kBlockEnd,
          "\nto its handout and run ./lab test --fix-docs"));
    }
  }
  if (problems.empty()) {
    std::printf("consistency: rubric, tests and docs agree (%d labs, %zu test targets)\n",
                rubric->lab_size(), listing->size());
    return 0;
  }
  std::fprintf(stderr, "consistency: %zu problem%s:\n  %s\n", problems.size(),
               problems.size() == 1 ? "" : "s", absl::StrJoin(problems, "\n  ").c_str());
  return 1;
}
