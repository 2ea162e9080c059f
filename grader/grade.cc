// grade: the auroralab autograder (./lab grade).
//
// Contract: checks the student files of each graded lab (source check),
// builds the lab's test targets with Bazel (--config=grading: statically
// linked, with the verdict listener), checks the compiled student objects
// (symbol check), runs every rubric test case in its own sandboxed process
// with a time limit (a failing one twice, to spot nondeterminism), prints one
// line per test and a final table, and ALWAYS writes <out>/results.json in
// Gradescope's format (also when a check or build fails, the submission is
// unusable, the rubric is bad or the job's deadline passes). A submission is
// graded in a staged tree that holds only StagedPaths() (never solution/). Exit status: 0 when
// grading finished, whatever the score; 1 when the grading environment failed (Bazel, file system);
// 2 for usage errors and an unreadable or invalid rubric; 130 when interrupted. The grader adds no
// randomness: the same tree gives the same grades.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "grader/bazel.h"
#include "grader/checks.h"
#include "grader/results.h"
#include "grader/rubric.h"
#include "grader/runner.h"
#include "grader/submission.h"

namespace auroralab::grader {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] = R"(usage: grade --root=DIR [options]
       ./lab grade [options]

Builds and runs the rubric's tests and writes Gradescope's results.json.

  --root=DIR          the course tree (./lab passes its own directory)
  --impl=solution|skeleton
                      implementation to grade (default: solution if DIR/solution
                      exists, else skeleton)
  --submission=PATH   grade a student's submission: a folder or a .zip. Its
                      student files (see the rubric) replace the skeleton's in a
                      staged copy of DIR's handout parts and hidden tests (never
                      solution/); implies --impl=skeleton
  --staging=DIR       where a submission is staged (default:
                      ~/.cache/auroralab/grade-workspace); give concurrent jobs
                      one each
  --deadline=SECONDS  the whole job's time limit (default: 1800); tests not run
                      by then score 0 with a note
  --build-timeout=SECONDS
                      time limit of one lab's build (default: 900)
  --compiler-memory=GIB
                      memory limit of each compiler process (default: 4); a
                      compile that runs out of it fails the lab's build
  --lab=NAME          grade only this lab (repeatable, or comma-separated;
                      default: every lab in the rubric)
  --out=DIR           where results.json, logs/ and artifacts/ go
                      (default: DIR/grade-out)
  --rubric=FILE       the rubric (default: DIR/grader/rubric.textproto)
  --disk_cache=DIR    Bazel's --disk_cache for the grader's builds (./lab passes
                      $HOME/.cache/auroralab/disk-cache)
  --help              this text

Exit status: 0 when grading finished (whatever the score), 1 when the grading
environment failed, 2 for usage errors or a bad rubric. results.json is
written in every case where the output directory is usable.
)";

// Cap on "ignored: ..." lines, so that a student zipping their whole home
// directory does not bury everything else.
constexpr size_t kMaxIgnoredWarnings = 20;

constexpr int kDefaultDeadlineSeconds = 1800;
constexpr int kDefaultBuildTimeoutSeconds = 900;
// Longest wait for another job's staging lock.
constexpr int kMaxLockWaitSeconds = 600;

struct Options {
  std::string root;
  std::string impl;  // empty: default
  std::string submission;
  std::string deadline;         // seconds, validated in Run()
  std::string build_timeout;    // seconds, validated in Run()
  std::string compiler_memory;  // GiB, validated in Run()
  std::vector<std::string> labs;
  std::string out;
  std::string rubric;
  std::string staging;     // empty: DefaultStagingDir()
  std::string disk_cache;  // empty: Bazel's own setting
  bool help = false;
};

// Usage errors are collected, not fatal at once, so that --out is still known
// and results.json can carry the message.
Options ParseFlags(int argc, char** argv, std::vector<std::string>* errors) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      options.help = true;
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const bool has_value = equals != std::string::npos;
    const std::string value = has_value ? arg.substr(equals + 1) : "";
    std::string* target = nullptr;
    if (name == "--root") {
      target = &options.root;
    } else if (name == "--impl") {
      target = &options.impl;
    } else if (name == "--submission") {
      target = &options.submission;
    } else if (name == "--staging") {
      target = &options.staging;
    } else if (name == "--deadline") {
      target = &options.deadline;
    } else if (name == "--build-timeout") {
      target = &options.build_timeout;
    } else if (name == "--compiler-memory") {
      target = &options.compiler_memory;
    } else if (name == "--out") {
      target = &options.out;
    } else if (name == "--rubric") {
      target = &options.rubric;
    } else if (name == "--disk_cache") {
      target = &options.disk_cache;
    } else if (name == "--lab") {
      if (!has_value || value.empty()) {
        errors->push_back("--lab needs a value: --lab=NAME");
        continue;
      }
      for (absl::string_view lab : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        options.labs.push_back(std::string(lab));
      }
      continue;
    } else {
      errors->push_back(arg.rfind("-", 0) == 0 ? absl::StrCat("unknown option ", arg)
                                               : absl::StrCat("unexpected argument ", arg));
      continue;
    }
    if (!has_value || value.empty()) {
      errors->push_back(absl::StrCat(name, " needs a value: ", name, "=..."));
      continue;
    }
    *target = value;
  }
  return options;
}

std::string Absolute(const std::string& path) {
  std::error_code error;
  const fs::path absolute = fs::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// "Prefix/Suite.Name/0" must not create directories under logs/.
std::string FileSafe(const std::string& name) {
  std::string safe = name;
  for (char& c : safe) {
    if (c == '/') c = '_';
  }
  return safe;
}

void Print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);  // Gradescope and CI read stdout through a pipe
}

// Multi-line messages (a rubric's list of problems) are indented under the
// first line.
void PrintError(const std::string& text) {
  std::string indented = text;
  for (size_t at = indented.find('\n'); at != std::string::npos; at = indented.find('\n', at + 3)) {
    indented.replace(at, 1, "\n  ");
  }
  std::fflush(stdout);
  std::fprintf(stderr, "grade: error: %s\n", indented.c_str());
  std::fflush(stderr);
}

void OnSignal(int) { RequestStop(); }

// Removes the empty directories under `dir`, deepest first (most tests write
// no artifacts), and `dir` itself if nothing is left. Never follows a link.
void RemoveEmptyDirs(const fs::path& dir, int depth = 0) {
  std::error_code error;
  if (depth > 32 || !fs::is_directory(fs::symlink_status(dir, error))) return;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (fs::is_directory(entry.symlink_status(error))) RemoveEmptyDirs(entry.path(), depth + 1);
  }
  if (fs::is_empty(dir, error)) fs::remove(dir, error);
}

// A positive number (seconds, GiB) from a flag value ("" gives `fallback`).
std::optional<int> ParsePositive(const std::string& value, int fallback) {
  if (value.empty()) return fallback;
  int seconds = 0;
  if (!absl::SimpleAtoi(value, &seconds) || seconds <= 0) return std::nullopt;
  return seconds;
}

// The student file as it sits in the graded tree: the reference keeps its
// copy under solution/ where the rubric names skeleton/.
std::string ImplPath(const std::string& student_file, const std::string& impl) {
  if (impl == "solution" && absl::StartsWith(student_file, "skeleton/")) {
    return "solution/" + student_file.substr(9);
  }
  return student_file;
}

// Runs the whole grading session; owns the report, the console output and
// the exit status.
class Grader {
 public:
  explicit Grader(std::chrono::steady_clock::time_point start) : start_(start) {}

  int Run(int argc, char** argv);

 private:
  struct LabPlan {
    const Lab* lab = nullptr;
    std::vector<const TestCase*> tests;  // to run (hidden tests may be skipped)
    int skipped_hidden = 0;
    double skipped_points = 0;
    std::string failure;  // set: every test of the lab scores 0 with this text
  };

  // Writes results.json and returns `status`. Needs PrepareOutDir() done.
  int Finish(int status);
  // Fails the whole run: message to stderr and results.json, which keeps
  // what was graded so far. `status` is the exit status (130 after Ctrl-C).
  int Abort(int status, const std::string& message);

  absl::Status PrepareOutDir();
  absl::Status StageSubmission(const std::vector<const Lab*>& labs,
                               std::map<std::string, std::string>* lab_failures);
  // Which tests of each lab run. Hidden tests need grader/hidden/, which a
  // student handout does not have: they are skipped with a note.
  std::vector<LabPlan> PlanLabs(const std::vector<const Lab*>& labs,
                                const std::map<std::string, std::string>& lab_failures);
  // An error is the grader's own failure (Bazel or a test could not be
  // started); whatever the student's code does is a result.
  absl::Status GradeLab(const LabPlan& plan, const std::vector<std::string>& bazel_flags,
                        const std::string& bazel_bin);
  // A result for `test` with its identity and points filled in.
  static TestResult NewResult(const std::string& lab, const TestCase& test,
                              const std::string& log_name);
  void FailLab(const LabPlan& plan, const std::string& why, const std::string& details);
  // A lab refused as a whole (`refusal`, e.g. "rejected by the source check"):
  // a console line, every test failed with `why` and `details`, a note with
  // `problems`, and the lab's summary marked `summary_note`.
  void RefuseLab(const LabPlan& plan, LabSummary summary, const std::string& refusal,
                 const std::string& why, const std::string& details, const std::string& problems,
                 const std::string& summary_note);
  void AddNote(const std::string& note) {
    notes_.push_back(note);
    Print(absl::StrCat("  ", note, "\n"));
  }

  // Seconds left before the job's deadline (never negative).
  int SecondsLeft() const {
    const double left =
        std::chrono::duration<double>(deadline_ - std::chrono::steady_clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(left);
  }
  // A lab of the rubric by name (depends_on_labs names are validated).
  const Lab& LabNamed(const std::string& name) const;
  // The student files a lab's build compiles from the graded code, each with
  // the lab it belongs to: its own, and its CUMULATIVE earlier labs'. (An
  // ISOLATED lab's earlier labs are the reference's: trusted, not checked.)
  std::vector<std::pair<const Lab*, std::string>> GradedFiles(const Lab& lab) const;
  // In a staged submission: puts the version of every file `lab` builds on
  // that grading it needs into the tree: the submission's for the lab itself
  // and CUMULATIVE earlier labs, the reference's for ISOLATED ones. "" when
  // done; else why the lab cannot be graded (no reference here).
  absl::StatusOr<std::string> ArrangeEarlierLabs(const Lab& lab);
  // The source and symbol checks of a lab's graded files: "" when they pass,
  // else the problems for the student. An error is the grader's own failure.
  std::string SourceProblems(const Lab& lab);
  // `allow_missing`: after a failed build some objects do not exist (Bazel
  // deletes an action's outputs before it runs, so none is a stale one).
  absl::StatusOr<std::string> SymbolProblems(const Lab& lab, const std::string& bazel_bin,
                                             bool allow_missing = false);

  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point deadline_;
  int deadline_seconds_ = kDefaultDeadlineSeconds;
  int build_timeout_seconds_ = kDefaultBuildTimeoutSeconds;
  int compiler_memory_gib_ = kDefaultCompilerMemoryGiB;
  std::string impl_;
  Options options_;
  std::string out_dir_;    // absolute; empty until known and created
  std::string workspace_;  // the tree that is built: root or the staged copy
  Rubric rubric_;
  // A staged submission's version of every student file it was planned for
  // (the skeleton's where it had none), by repository path: earlier labs'
  // files are swapped per graded lab (ArrangeEarlierLabs).
  std::map<std::string, std::string> submitted_versions_;
  std::optional<StagingLock> staging_lock_;
  std::vector<std::string> notes_;
  std::vector<LabSummary> summaries_;
  GradeReport report_;
  std::string failure_;  // set by Abort: why nothing (more) was graded
  bool deadline_missed_ = false;
  std::vector<std::string> nondeterministic_tests_;
  size_t name_width_ = 30;  // the progress lines' name column
};

int Grader::Run(int argc, char** argv) {
  std::vector<std::string> usage_errors;
  options_ = ParseFlags(argc, argv, &usage_errors);
  if (options_.help) {
    Print(kUsage);
    return 0;
  }
  options_.root = Absolute(options_.root.empty() ? "." : options_.root);
  if (!fs::is_directory(options_.root)) {
    usage_errors.push_back(absl::StrCat("--root=", options_.root, " is not a directory"));
    // Do not create <missing root>/grade-out just to report that.
    if (options_.out.empty()) {
      for (const std::string& error : usage_errors) PrintError(error);
      return 2;
    }
  }
  if (absl::Status out = PrepareOutDir(); !out.ok()) {
    PrintError(std::string(out.message()));
    for (const std::string& error : usage_errors) PrintError(error);
    return 2;  // nowhere to write results.json
  }
  if (!options_.submission.empty() && !fs::exists(Absolute(options_.submission))) {
    usage_errors.push_back(absl::StrCat("--submission=", options_.submission, " does not exist"));
  }
  const std::optional<int> deadline = ParsePositive(options_.deadline, kDefaultDeadlineSeconds);
  const std::optional<int> build_timeout =
      ParsePositive(options_.build_timeout, kDefaultBuildTimeoutSeconds);
  if (!deadline.has_value()) usage_errors.push_back("--deadline must be a positive number");
  if (!build_timeout.has_value()) {
    usage_errors.push_back("--build-timeout must be a positive number");
  }
  const std::optional<int> compiler_memory =
      ParsePositive(options_.compiler_memory, kDefaultCompilerMemoryGiB);
  if (!compiler_memory.has_value() || *compiler_memory > kMaxCompilerMemoryGiB) {
    usage_errors.push_back(absl::StrCat("--compiler-memory must be a number of GiB from 1 to ",
                                        kMaxCompilerMemoryGiB));
  }
  compiler_memory_gib_ = compiler_memory.value_or(kDefaultCompilerMemoryGiB);
  deadline_seconds_ = deadline.value_or(kDefaultDeadlineSeconds);
  build_timeout_seconds_ = build_timeout.value_or(kDefaultBuildTimeoutSeconds);
  deadline_ = start_ + std::chrono::seconds(deadline_seconds_);
  if (!usage_errors.empty()) {
    return Abort(
        2, absl::StrCat(absl::StrJoin(usage_errors, "\n"), "\n(run ./lab grade --help for usage)"));
  }

  // The implementation: a submission is graded as the skeleton, since the
  // student's files are dropped into skeleton/.
  std::string impl = options_.impl;
  const bool has_solution = fs::is_directory(fs::path(options_.root) / "solution");
  if (!options_.submission.empty()) {
    if (impl == "solution") return Abort(2, "--submission grades the skeleton; drop --impl");
    impl = "skeleton";
  } else if (impl.empty()) {
    impl = has_solution ? "solution" : "skeleton";
  }
  if (impl != "solution" && impl != "skeleton") {
    return Abort(2, absl::StrCat("--impl must be solution or skeleton, not '", impl, "'"));
  }
  if (impl == "solution" && !has_solution) {
    return Abort(2, absl::StrCat("--impl=solution: there is no solution/ in ", options_.root));
  }
  impl_ = impl;

  const std::string rubric_path = Absolute(
      options_.rubric.empty() ? (fs::path(options_.root) / "grader/rubric.textproto").string()
                              : options_.rubric);
  absl::StatusOr<Rubric> rubric = LoadRubric(rubric_path);
  if (!rubric.ok()) {
    return Abort(2, absl::StrCat("bad rubric (", rubric_path, "):\n", rubric.status().message()));
  }
  rubric_ = *std::move(rubric);
  absl::StatusOr<std::vector<const Lab*>> labs = SelectLabs(rubric_, options_.labs);
  if (!labs.ok()) return Abort(2, std::string(labs.status().message()));

  Print(absl::StrCat("grade: ", labs->size(), labs->size() == 1 ? " lab" : " labs", " against the ",
                     impl, " implementation",
                     options_.submission.empty() ? "" : " with the submission ",
                     options_.submission, "\n"));
  if (labs->empty()) AddNote(absl::StrCat("note: the rubric has no labs yet (", rubric_path, ")"));

  workspace_ = options_.root;
  std::map<std::string, std::string> lab_failures;  // lab name -> submission error
  if (!options_.submission.empty()) {
    if (absl::Status staged = StageSubmission(*labs, &lab_failures); !staged.ok()) {
      return Abort(staged.code() == absl::StatusCode::kInvalidArgument ? 2 : 1,
                   std::string(staged.message()));
    }
  }

  const std::vector<LabPlan> plans = PlanLabs(*labs, lab_failures);
  const bool any_tests = std::any_of(plans.begin(), plans.end(), [](const LabPlan& plan) {
    return !plan.tests.empty() && plan.failure.empty();
  });

  // The grading config, and the implementation switch (tools/build/lab.bzl;
  // skeleton is its default).
  std::vector<std::string> bazel_flags = {"--config=grading"};
  if (impl == "solution") bazel_flags.push_back("--//tools/build:impl=solution");
  // The default limit is in .bazelrc's grading config; GCC uses the last
  // -wrapper it is given.
  if (compiler_memory_gib_ != kDefaultCompilerMemoryGiB) {
    for (const std::string& flag : CompilerMemoryLimitFlags(compiler_memory_gib_)) {
      bazel_flags.push_back(flag);
    }
  }
  if (!options_.disk_cache.empty()) {
    bazel_flags.push_back(absl::StrCat("--disk_cache=", Absolute(options_.disk_cache)));
  }
  std::string bazel_bin;
  if (any_tests) {
    // Without a working sandbox every test would fail and look like the
    // student's fault: that is the grader's failure.
    if (absl::Status sandbox = CheckSandbox(); !sandbox.ok()) {
      return Abort(1, std::string(sandbox.message()));
    }
    absl::StatusOr<std::string> info =
        BazelInfo(workspace_, bazel_flags, "bazel-bin", out_dir_ + "/logs/bazel-info.log");
    if (!info.ok()) return Abort(1, std::string(info.status().message()));
    bazel_bin = *info;
  }

  for (const LabPlan& plan : plans) {
    if (StopRequested()) break;
    if (absl::Status graded = GradeLab(plan, bazel_flags, bazel_bin); !graded.ok()) {
      return Abort(1, absl::StrCat("grader error: ", graded.message()));
    }
  }
  if (StopRequested()) {
    notes_.push_back("grading was interrupted; the results are incomplete");
    Print("grade: interrupted\n");
    return Finish(130);
  }
  return Finish(0);
}

std::vector<Grader::LabPlan> Grader::PlanLabs(
    const std::vector<const Lab*>& labs, const std::map<std::string, std::string>& lab_failures) {
  std::vector<LabPlan> plans;
  for (const Lab* lab : labs) {
    LabPlan plan;
    plan.lab = lab;
    for (const TestCase& test : lab->test()) {
      const Label label = *ParseLabel(test.target());  // validated with the rubric
      if (test.hidden() && !PackageExists(workspace_, label.package)) {
        ++plan.skipped_hidden;
        plan.skipped_points += test.points();
        continue;
      }
      plan.tests.push_back(&test);
      const size_t width = test.gtest().size() + (test.hidden() ? 9 : 0);  // " (hidden)"
      name_width_ = std::max(name_width_, std::min<size_t>(width, 64));
    }
    if (auto it = lab_failures.find(lab->name()); it != lab_failures.end()) {
      plan.failure = it->second;
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

absl::Status Grader::PrepareOutDir() {
  const std::string out = Absolute(
      options_.out.empty() ? (fs::path(options_.root) / "grade-out").string() : options_.out);
  std::error_code error;
  fs::create_directories(out, error);
  if (error || !fs::is_directory(out)) {
    return absl::UnavailableError(absl::StrCat("cannot create --out=", out, ": ", error.message()));
  }
  // Only what this grader writes is removed: --out may point anywhere.
  for (const char* stale : {"logs", "artifacts", "results.json"}) {
    fs::remove_all(fs::path(out) / stale, error);
  }
  fs::create_directories(fs::path(out) / "logs", error);
  out_dir_ = out;
  return absl::OkStatus();
}

absl::Status Grader::StageSubmission(const std::vector<const Lab*>& labs,
                                     std::map<std::string, std::string>* lab_failures) {
  const std::string submission = Absolute(options_.submission);
  std::error_code error;
  const std::string staging =
      options_.staging.empty() ? DefaultStagingDir() : Absolute(options_.staging);
  absl::StatusOr<StagingLock> lock =
      StagingLock::Acquire(staging, std::min(kMaxLockWaitSeconds, SecondsLeft()));
  if (!lock.ok()) return lock.status();
  // Held until the grader exits: grading uses the staged tree to the end.
  staging_lock_.emplace(std::move(*lock));

  // Whatever a crashed job left is removed first.
  if (absl::Status cleared = ClearDirectory(staging); !cleared.ok()) return cleared;
  if (absl::Status copied = StageCourseTree(options_.root, staging); !copied.ok()) {
    return copied;
  }
  workspace_ = staging;
  auto fail_all = [&](const std::string& message) {
    for (const Lab* lab : labs) (*lab_failures)[lab->name()] = message;
    AddNote(absl::StrCat("error: ", message));
  };

  // The graded labs' files, then those of the earlier labs they build on
  // (an earlier lab's file that cannot be used fails the lab built on it).
  std::vector<std::string> student_files;
  std::map<std::string, std::string> lab_of_file;
  for (const bool own : {true, false}) {
    for (const Lab* lab : labs) {
      for (const auto& [owner, file] : GradedFiles(*lab)) {
        if ((owner == lab) != own) continue;
        if (lab_of_file.emplace(file, lab->name()).second) student_files.push_back(file);
      }
    }
  }

  // A .zip is scanned, then only the files the plan uses are unpacked, into
  // a fresh folder outside the tree Bazel sees.
  std::string submission_dir = submission;
  std::string unpacked;
  absl::Cleanup remove_unpacked = [&unpacked] {
    std::error_code ignored;
    if (!unpacked.empty()) fs::remove_all(unpacked, ignored);
  };
  SubmissionPlan plan;
  if (!fs::is_directory(submission, error)) {
    absl::StatusOr<std::vector<ZipEntry>> entries = ScanZip(submission);
    if (!entries.ok()) {
      if (!absl::IsInvalidArgument(entries.status())) return entries.status();
      fail_all(std::string(entries.status().message()));
      return absl::OkStatus();
    }
    std::vector<std::string> names;
    for (const ZipEntry& entry : *entries) {
      if (!entry.directory) names.push_back(entry.name);
    }
    plan = PlanSubmission(names, student_files);
    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp",
                                       "/auroralab-submission-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot create ", pattern));
    }
    unpacked = pattern;
    fs::create_directory(unpacked + "/files", error);
    std::vector<std::string> wanted;
    for (const FileCopy& copy : plan.copies) wanted.push_back(copy.submitted);
    absl::Status extracted = ExtractZipEntries(submission, wanted, unpacked + "/files", unpacked);
    if (!extracted.ok()) {
      // Only an unusable archive is the student's failure (graded); no unzip
      // or a Ctrl-C is the grader's.
      if (!absl::IsInvalidArgument(extracted)) return extracted;
      fail_all(std::string(extracted.message()));
      return absl::OkStatus();
    }
    submission_dir = unpacked + "/files";
  } else {
    absl::StatusOr<std::vector<std::string>> files = ListSubmittedFiles(submission_dir);
    if (!files.ok()) {
      if (!absl::IsInvalidArgument(files.status())) return files.status();
      fail_all(std::string(files.status().message()));
      return absl::OkStatus();
    }
    plan = PlanSubmission(*files, student_files);
  }

  if (absl::Status applied = ApplySubmission(plan, submission_dir, staging); !applied.ok()) {
    if (!absl::IsInvalidArgument(applied)) return applied;
    fail_all(std::string(applied.message()));
    return absl::OkStatus();
  }
  for (const FileCopy& copy : plan.copies) {
    Print(absl::StrCat("  using ", copy.submitted, " as ", copy.student_file, "\n"));
  }
  for (const std::string& file : student_files) {
    submitted_versions_[file] =
        ReadFileTail((fs::path(staging) / file).string(), kMaxStudentFileBytes + 1);
  }
  for (const std::string& missing : plan.missing) {
    AddNote(absl::StrCat("missing: ", missing,
                         " (not in the submission; the skeleton version is graded)"));
  }
  for (const FileError& file_error : plan.errors) {
    AddNote(absl::StrCat("error: ", file_error.message));
    std::string& failure = (*lab_failures)[lab_of_file[file_error.student_file]];
    absl::StrAppend(&failure, failure.empty() ? "" : "\n", file_error.message);
  }
  for (size_t i = 0; i < plan.ignored.size() && i < kMaxIgnoredWarnings; ++i) {
    AddNote(absl::StrCat("ignored: ", plan.ignored[i], " (not a student file of the graded labs)"));
  }
  if (plan.ignored.size() > kMaxIgnoredWarnings) {
    AddNote(absl::StrCat("ignored ", plan.ignored.size() - kMaxIgnoredWarnings, " more files"));
  }
  return absl::OkStatus();
}

const Lab& Grader::LabNamed(const std::string& name) const {
  for (const Lab& lab : rubric_.lab()) {
    if (lab.name() == name) return lab;
  }
  std::abort();  // ValidateRubric guarantees every depends_on_labs name
}

std::vector<std::pair<const Lab*, std::string>> Grader::GradedFiles(const Lab& lab) const {
  std::vector<std::pair<const Lab*, std::string>> files;
  for (const std::string& file : lab.student_files()) files.push_back({&lab, file});
  if (lab.earlier_labs() == CUMULATIVE) {
    for (const std::string& earlier : lab.depends_on_labs()) {
      const Lab& earlier_lab = LabNamed(earlier);
      for (const std::string& file : earlier_lab.student_files()) {
        files.push_back({&earlier_lab, file});
      }
    }
  }
  return files;
}

absl::StatusOr<std::string> Grader::ArrangeEarlierLabs(const Lab& lab) {
  std::vector<std::pair<std::string, std::string>> versions;  // path, content
  for (const std::string& file : lab.student_files()) {
    versions.push_back({file, submitted_versions_[file]});
  }
  for (const std::string& earlier : lab.depends_on_labs()) {
    Print(absl::StrCat("  [", lab.name(), "] builds on ", earlier, ": ",
                       lab.earlier_labs() == CUMULATIVE
                           ? "the submission's files (earlier_labs: CUMULATIVE)"
                           : "the reference's files (earlier_labs: ISOLATED)",
                       "\n"));
    for (const std::string& file : LabNamed(earlier).student_files()) {
      if (lab.earlier_labs() == CUMULATIVE) {
        versions.push_back({file, submitted_versions_[file]});
        continue;
      }
      // The reference is read from the course tree, never staged whole.
      const fs::path reference = fs::path(options_.root) / ImplPath(file, "solution");
      std::error_code error;
      if (!fs::is_regular_file(reference, error)) {
        return absl::StrCat("this lab is graded with ", earlier,
                            "'s reference (earlier_labs: ISOLATED), and this grading tree has "
                            "no reference file ",
                            ImplPath(file, "solution"));
      }
      versions.push_back({file, ReadFileTail(reference.string(), kMaxStudentFileBytes + 1)});
    }
  }
  for (const auto& [file, content] : versions) {
    const std::string path = (fs::path(workspace_) / file).string();
    // Unchanged files keep their timestamps (and Bazel its work).
    if (ReadFileTail(path, kMaxStudentFileBytes + 1) == content) continue;
    if (absl::Status written = WriteFileAtomically(path, content); !written.ok()) return written;
  }
  return std::string();
}

std::string Grader::SourceProblems(const Lab& lab) {
  // The lab may include its own folders and those of the labs it builds on.
  std::vector<std::string> includable(lab.student_files().begin(), lab.student_files().end());
  for (const std::string& earlier : lab.depends_on_labs()) {
    const Lab& earlier_lab = LabNamed(earlier);
    includable.insert(includable.end(), earlier_lab.student_files().begin(),
                      earlier_lab.student_files().end());
  }
  std::vector<std::string> problems;
  for (const auto& [owner, file] : GradedFiles(lab)) {
    const SourcePolicy policy =
        owner == &lab
            ? LabSourcePolicy(
                  lab.name(), includable,
                  {lab.allowed_dependencies().begin(), lab.allowed_dependencies().end()})
            : LabSourcePolicy(
                  owner->name(), {owner->student_files().begin(), owner->student_files().end()},
                  {owner->allowed_dependencies().begin(), owner->allowed_dependencies().end()});
    const std::string path = (fs::path(workspace_) / ImplPath(file, impl_)).string();
    const std::string text = ReadFileTail(path, kMaxStudentFileBytes + 1);
    if (text.size() > kMaxStudentFileBytes) {
      problems.push_back(absl::StrCat(file, ": larger than ", kMaxStudentFileBytes >> 10, " KB"));
      continue;
    }
    const std::vector<std::string> found =
        CheckSource(fs::path(file).filename().string(), text, policy);
    problems.insert(problems.end(), found.begin(), found.end());
  }
  return absl::StrJoin(problems, "\n");
}

absl::StatusOr<std::string> Grader::SymbolProblems(const Lab& lab, const std::string& bazel_bin,
                                                   bool allow_missing) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string scratch =
      absl::StrCat(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp", "/auroralab-nm-XXXXXX");
  if (::mkdtemp(scratch.data()) == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot create ", scratch));
  }
  absl::Cleanup remove_scratch = [&scratch] {
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
  };
  std::vector<std::string> problems;
  for (const auto& [owner, file] : GradedFiles(lab)) {
    const fs::path source(ImplPath(file, impl_));
    if (source.extension() != ".cc") continue;  // headers compile into the .cc files
    // Bazel puts objects at bazel-bin/<package>/_objs/<target>/<stem>[.pic].o.
    std::vector<std::string> objects;
    std::error_code error;
    const fs::path objs = fs::path(bazel_bin) / source.parent_path() / "_objs";
    for (const fs::directory_entry& target : fs::directory_iterator(objs, error)) {
      for (const char* suffix : {".pic.o", ".o"}) {
        const fs::path object = target.path() / (source.stem().string() + suffix);
        if (fs::is_regular_file(object, error)) {
          objects.push_back(object.string());
          break;
        }
      }
    }
    // An earlier lab's files are compiled only if this lab's targets use them.
    if (objects.empty() && (allow_missing || owner != &lab)) continue;
    if (objects.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no compiled object of ", source.string(), " under ", objs.string()));
    }
    for (const std::string& object : objects) {
      absl::StatusOr<std::string> symbols = ListSymbols(object, scratch);
      if (!symbols.ok()) return symbols.status();
      const std::vector<std::string> found =
          CheckSymbols(source.filename().string(), *symbols, owner->name());
      problems.insert(problems.end(), found.begin(), found.end());
    }
  }
  return absl::StrJoin(problems, "\n");
}

TestResult Grader::NewResult(const std::string& lab, const TestCase& test,
                             const std::string& log_name) {
  TestResult result;
  result.lab = lab;
  result.gtest = test.gtest();
  result.max_score = test.points();
  // A hidden test's output stays withheld from students (results.h).
  result.hidden = test.hidden();
  result.visibility = VisibilityName(test);
  result.log_name = log_name;
  return result;
}

void Grader::FailLab(const LabPlan& plan, const std::string& why, const std::string& details) {
  const std::string lab_name = plan.lab->name();
  for (const TestCase* test : plan.tests) {
    // The build log may quote a hidden test's source: hidden tests withhold
    // it; the visible tests of the lab show the errors.
    TestResult result = NewResult(lab_name, *test, absl::StrCat("logs/", lab_name, ".build.log"));
    result.output =
        TailText(absl::StrCat(why, "; this test was not run.\n\n", details), kMaxTestOutputBytes);
    report_.tests.push_back(result);
  }
}

void Grader::RefuseLab(const LabPlan& plan, LabSummary summary, const std::string& refusal,
                       const std::string& why, const std::string& details,
                       const std::string& problems, const std::string& summary_note) {
  Print(absl::StrCat("  [", plan.lab->name(), "] ", refusal, ": all tests score 0\n"));
  FailLab(plan, why, details);
  AddNote(absl::StrCat("error: ", plan.lab->name(), ": ", problems));
  summary.note = summary_note;
  summaries_.push_back(summary);
}

absl::Status Grader::GradeLab(const LabPlan& plan, const std::vector<std::string>& bazel_flags,
                              const std::string& bazel_bin) {
  const Lab& lab = *plan.lab;
  LabSummary summary;
  summary.name = lab.name();
  summary.title = lab.title();
  for (const TestCase* test : plan.tests) summary.max_score += test->points();
  if (plan.skipped_hidden > 0) {
    const std::string tests =
        absl::StrCat(plan.skipped_hidden, " hidden test", plan.skipped_hidden == 1 ? "" : "s");
    summary.note = absl::StrCat(tests, " not run");
    AddNote(absl::StrCat("note: ", lab.name(), ": ", tests, " (", FormatPoints(plan.skipped_points),
                         " points) not run: ", plan.skipped_hidden == 1 ? "its" : "their",
                         " package is not in this tree"));
  }

  if (!plan.failure.empty()) {
    Print(absl::StrCat("  [", lab.name(), "] submission error: all tests score 0\n"));
    FailLab(plan, "Submission error", plan.failure);
    summary.note = "submission error";
    summaries_.push_back(summary);
    return absl::OkStatus();
  }
  if (plan.tests.empty()) {
    summaries_.push_back(summary);
    return absl::OkStatus();
  }
  if (!submitted_versions_.empty()) {
    absl::StatusOr<std::string> unusable = ArrangeEarlierLabs(lab);
    if (!unusable.ok()) {
      summaries_.push_back(summary);
      return unusable.status();
    }
    if (!unusable->empty()) {
      RefuseLab(plan, summary, "cannot be graded here", "Not graded", *unusable, *unusable,
                "not graded");
      return absl::OkStatus();
    }
  }
  if (const std::string problems = SourceProblems(lab); !problems.empty()) {
    RefuseLab(plan, summary, "rejected by the source check",
              "Rejected by the source check (before building)", problems,
              "the source check refused:\n" + problems, "rejected");
    return absl::OkStatus();
  }

  // One build per lab: a compile error costs only this lab's points.
  std::vector<std::string> targets;
  std::set<std::string> seen;
  for (const TestCase* test : plan.tests) {
    if (seen.insert(test->target()).second) targets.push_back(test->target());
  }
  const std::string build_log = absl::StrCat(out_dir_, "/logs/", lab.name(), ".build.log");
  Print(absl::StrCat("  [", lab.name(), "] building ", targets.size(), " target",
                     targets.size() == 1 ? "" : "s", " ... "));
  const int build_timeout = std::min(build_timeout_seconds_, SecondsLeft());
  absl::StatusOr<BuildOutcome> build =
      build_timeout <= 0 ? absl::StatusOr<BuildOutcome>(BuildOutcome{
                               .timeout = absl::StrCat("the grading job's deadline (",
                                                       deadline_seconds_, "s) passed")})
                         : BazelBuild(workspace_, bazel_flags, targets, build_log, build_timeout);
  if (!build.ok()) {
    Print("cannot run Bazel\n");
    return build.status();
  }
  if (build->interrupted) {
    Print("interrupted\n");
    summary.note = "interrupted";
    summaries_.push_back(summary);
    return absl::OkStatus();
  }
  if (!build->ok) {
    Print(absl::StrCat("FAILED (see logs/", lab.name(), ".build.log)\n"));
    const std::string log = ReadFileTail(build_log, 1 << 20);
    std::string details = build->timeout.empty() ? "" : build->timeout + "\n\n";
    const std::vector<std::string> out_of_memory =
        CompilerMemoryFailures(log, compiler_memory_gib_);
    if (!out_of_memory.empty()) {
      const std::string message = absl::StrJoin(out_of_memory, "\n");
      Print(absl::StrCat(
          "  [", lab.name(), "] ",
          absl::StrReplaceAll(message, {{"\n", absl::StrCat("\n  [", lab.name(), "] ")}}), "\n"));
      absl::StrAppend(&details, message,
                      "\n(a template or constant expression that needs that much memory to "
                      "compile; make it smaller)\n\n");
    }
    details += SummarizeBuildLog(log);
    // A link that failed on a duplicate definition is clearer from the
    // student's objects: check the ones this build compiled.
    absl::StatusOr<std::string> problems = SymbolProblems(lab, bazel_bin, /*allow_missing=*/true);
    if (problems.ok() && !problems->empty()) {
      RefuseLab(plan, summary, "rejected by the symbol check",
                "Rejected by the symbol check (after compiling)",
                absl::StrCat(*problems, "\n\n", details), "the symbol check refused:\n" + *problems,
                "rejected");
      return absl::OkStatus();
    }
    FailLab(plan, "Build failed", details);
    summary.note = "build failed";
    summaries_.push_back(summary);
    return absl::OkStatus();
  }
  Print(absl::StrFormat("ok (%.1fs)\n", build->seconds));
  absl::StatusOr<std::string> symbol_problems = SymbolProblems(lab, bazel_bin);
  if (!symbol_problems.ok()) {
    summaries_.push_back(summary);
    return symbol_problems.status();
  }
  if (!symbol_problems->empty()) {
    RefuseLab(plan, summary, "rejected by the symbol check",
              "Rejected by the symbol check (after compiling)", *symbol_problems,
              "the symbol check refused:\n" + *symbol_problems, "rejected");
    return absl::OkStatus();
  }

  for (const TestCase* test : plan.tests) {
    const Label label = *ParseLabel(test->target());  // validated with the rubric
    const std::string name = FileSafe(test->gtest());
    TestResult result =
        NewResult(lab.name(), *test, absl::StrCat("logs/", lab.name(), "/", name, ".log"));
    GtestSpec spec;
    spec.binary = BinaryPath(bazel_bin, label);
    spec.gtest = test->gtest();
    spec.target = test->target();
    spec.log_path = absl::StrCat(out_dir_, "/", result.log_name);
    spec.artifacts_dir = absl::StrCat(out_dir_, "/artifacts/", lab.name(), "/", name);
    spec.timeout_seconds = std::min(TimeoutSeconds(*test), SecondsLeft());
    if (spec.timeout_seconds <= 0) {
      result.output = absl::StrCat("Not run: the grading job's deadline (", deadline_seconds_,
                                   "s) passed before this test's turn.");
      Print(FormatProgressLine(result, 0, "not run: deadline passed", name_width_) + "\n");
      report_.tests.push_back(std::move(result));
      deadline_missed_ = true;
      continue;
    }
    absl::StatusOr<GtestOutcome> outcome = RunGtestCheckingDeterminism(spec);
    if (!outcome.ok()) {
      summaries_.push_back(summary);
      return outcome.status();
    }
    if (outcome->interrupted) {
      summary.note = "interrupted";
      break;
    }
    if (outcome->nondeterministic) nondeterministic_tests_.push_back(test->gtest());
    result.passed = outcome->passed;
    result.score = outcome->passed ? test->points() : 0;
    const std::string header = outcome->passed
                                   ? absl::StrFormat("Passed in %.1fs.\n\n", outcome->seconds)
                                   : absl::StrCat("Failed: ", outcome->reason, "\n\n");
    result.output = header + TailText(outcome->log_tail,
                                      kMaxTestOutputBytes - std::min<size_t>(header.size(), 1024));
    Print(FormatProgressLine(result, outcome->seconds, outcome->reason, name_width_) + "\n");
    summary.score += result.score;
    report_.tests.push_back(std::move(result));
  }
  summaries_.push_back(summary);
  return absl::OkStatus();
}

int Grader::Abort(int status, const std::string& message) {
  PrintError(message);
  failure_ = absl::StrCat("Grading failed: ", message);
  return Finish(StopRequested() ? 130 : status);
}

int Grader::Finish(int status) {
  RemoveEmptyDirs(fs::path(out_dir_) / "artifacts");
  if (deadline_missed_) {
    AddNote(absl::StrCat("error: the grading job's deadline (", deadline_seconds_,
                         "s) passed; the tests not run by then score 0"));
  }
  if (!nondeterministic_tests_.empty()) {
    AddNote(absl::StrCat(
        "warning: nondeterministic: ", absl::StrJoin(nondeterministic_tests_, ", "),
        " gave a different verdict when run again. The simulation replays exactly, so the code "
        "depends on something else: unordered/hash container iteration order, pointer values, "
        "uninitialized variables or static state. Use ctx().rng() and ordered containers."));
  }
  // Students read this on Gradescope: a fatal error first, then the table
  // (unless nothing was graded), then the notes and warnings.
  const std::string table = FormatSummaryTable(summaries_);
  std::vector<std::string> sections;
  if (!failure_.empty()) sections.push_back(failure_ + "\n");
  if (failure_.empty() || !summaries_.empty()) {
    sections.push_back(FormatStudentSummaryTable(summaries_, report_.tests));
  }
  if (!notes_.empty()) sections.push_back(absl::StrJoin(notes_, "\n") + "\n");
  report_.output = absl::StrJoin(sections, "\n");
  report_.execution_time_seconds = static_cast<int>(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() + 0.5);
  const std::string results = out_dir_ + "/results.json";
  absl::Status written = WriteFileAtomically(results, ToGradescopeJson(report_));
  if (failure_.empty() || !summaries_.empty()) Print(absl::StrCat("\n", table, "\n"));
  if (!written.ok()) {
    PrintError(std::string(written.message()));
    return status == 0 ? 1 : status;
  }
  Print(absl::StrCat("results: ", results, "\nlogs:    ", out_dir_, "/logs/\n"));
  return status;
}

}  // namespace
}  // namespace auroralab::grader

int main(int argc, char** argv) {
  const auto start = std::chrono::steady_clock::now();
  // Ctrl-C / SIGTERM: kill the running test's process group, write partial
  // results, exit. SA_RESTART is off so blocking waits notice.
  struct sigaction action = {};
  action.sa_handler = auroralab::grader::OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  auroralab::grader::Grader grader(start);
  return grader.Run(argc, argv);
}
