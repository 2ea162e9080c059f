// grade: the auroralab autograder (./lab grade).
//
// Contract: builds each graded lab's test targets with Bazel, runs every
// rubric test case in its own process with a time limit, prints one line per
// test and a final table, and ALWAYS writes <out>/results.json in
// Gradescope's format (also when a build fails, the submission is unusable
// or the rubric is bad). Exit status: 0 when grading finished, whatever the
// score; 1 when the grading environment failed (Bazel, file system); 2 for
// usage errors and an unreadable or invalid rubric; 130 when interrupted.
// The grader adds no randomness: the same tree gives the same grades.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "grader/bazel.h"
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
                      copy of DIR staged at ~/.cache/auroralab/grade-workspace;
                      implies --impl=skeleton
  --lab=NAME          grade only this lab (repeatable, or comma-separated;
                      default: every lab in the rubric)
  --out=DIR           where results.json, logs/ and artifacts/ go
                      (default: DIR/grade-out)
  --rubric=FILE       the rubric (default: DIR/grader/rubric.textproto)
  --staging=DIR       where a --submission is staged (default:
                      ~/.cache/auroralab/grade-workspace); give each of several
                      grading jobs that run at once its own
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

struct Options {
  std::string root;
  std::string impl;  // empty: default
  std::string submission;
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
    } else if (name == "--out") {
      target = &options.out;
    } else if (name == "--rubric") {
      target = &options.rubric;
    } else if (name == "--staging") {
      target = &options.staging;
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
// no artifacts), and `dir` itself if nothing is left.
void RemoveEmptyDirs(const fs::path& dir) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_directory(error)) RemoveEmptyDirs(entry.path());
  }
  if (fs::is_empty(dir, error)) fs::remove(dir, error);
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
  void AddNote(const std::string& note) {
    notes_.push_back(note);
    Print(absl::StrCat("  ", note, "\n"));
  }

  std::chrono::steady_clock::time_point start_;
  Options options_;
  std::string out_dir_;    // absolute; empty until known and created
  std::string workspace_;  // the tree that is built: root or the staged copy
  std::optional<StagingLock> staging_lock_;
  std::vector<std::string> notes_;
  std::vector<LabSummary> summaries_;
  GradeReport report_;
  std::string failure_;     // set by Abort: why nothing (more) was graded
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

  const std::string rubric_path = Absolute(
      options_.rubric.empty() ? (fs::path(options_.root) / "grader/rubric.textproto").string()
                              : options_.rubric);
  absl::StatusOr<Rubric> rubric = LoadRubric(rubric_path);
  if (!rubric.ok()) {
    return Abort(2, absl::StrCat("bad rubric (", rubric_path, "):\n", rubric.status().message()));
  }
  absl::StatusOr<std::vector<const Lab*>> labs = SelectLabs(*rubric, options_.labs);
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

  // The implementation switch (tools/build/lab.bzl); skeleton is its default.
  std::vector<std::string> bazel_flags;
  if (impl == "solution") bazel_flags.push_back("--//tools/build:impl=solution");
  if (!options_.disk_cache.empty()) {
    bazel_flags.push_back(absl::StrCat("--disk_cache=", Absolute(options_.disk_cache)));
  }
  std::string bazel_bin;
  if (any_tests) {
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
  absl::StatusOr<StagingLock> lock = StagingLock::Acquire(staging);
  if (!lock.ok()) return lock.status();
  // Held until the grader exits: grading uses the staged tree to the end.
  staging_lock_.emplace(std::move(*lock));

  if (absl::Status cleared = ClearDirectory(staging); !cleared.ok()) return cleared;
  if (absl::Status copied = CopyCourseTree(options_.root, staging, {out_dir_, staging});
      !copied.ok()) {
    return copied;
  }

  // A .zip is unpacked next to the workspace, outside the tree Bazel sees.
  std::string submission_dir = submission;
  absl::Cleanup remove_unpacked = [&submission_dir, &submission] {
    std::error_code ignored;
    if (submission_dir != submission) fs::remove_all(submission_dir, ignored);
  };
  if (!fs::is_directory(submission, error)) {
    submission_dir = staging + ".submission";
    fs::remove_all(submission_dir, error);
    fs::create_directories(submission_dir, error);
    if (absl::Status extracted = ExtractZip(submission, submission_dir); !extracted.ok()) {
      // Only an unusable archive is the student's failure (graded); no unzip
      // or a Ctrl-C is the grader's.
      if (!absl::IsInvalidArgument(extracted)) return extracted;
      for (const Lab* lab : labs) (*lab_failures)[lab->name()] = std::string(extracted.message());
      AddNote(absl::StrCat("error: ", extracted.message()));
      workspace_ = staging;
      return absl::OkStatus();
    }
  }
  absl::StatusOr<std::vector<std::string>> files = ListSubmittedFiles(submission_dir);
  if (!files.ok()) return files.status();

  std::vector<std::string> student_files;
  std::map<std::string, std::string> lab_of_file;
  for (const Lab* lab : labs) {
    for (const std::string& file : lab->student_files()) {
      if (lab_of_file.emplace(file, lab->name()).second) student_files.push_back(file);
    }
  }
  const SubmissionPlan plan = PlanSubmission(*files, student_files);
  if (absl::Status applied = ApplySubmission(plan, submission_dir, staging); !applied.ok()) {
    return applied;
  }
  for (const FileCopy& copy : plan.copies) {
    Print(absl::StrCat("  using ", copy.submitted, " as ", copy.student_file, "\n"));
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
  workspace_ = staging;
  return absl::OkStatus();
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

  // One build per lab: a compile error costs only this lab's points.
  std::vector<std::string> targets;
  std::set<std::string> seen;
  for (const TestCase* test : plan.tests) {
    if (seen.insert(test->target()).second) targets.push_back(test->target());
  }
  const std::string build_log = absl::StrCat(out_dir_, "/logs/", lab.name(), ".build.log");
  Print(absl::StrCat("  [", lab.name(), "] building ", targets.size(), " target",
                     targets.size() == 1 ? "" : "s", " ... "));
  absl::StatusOr<BuildOutcome> build = BazelBuild(workspace_, bazel_flags, targets, build_log);
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
    std::string details = build->timeout.empty() ? "" : build->timeout + "\n\n";
    details += SummarizeBuildLog(ReadFileTail(build_log, 1 << 20));
    FailLab(plan, "Build failed", details);
    summary.note = "build failed";
    summaries_.push_back(summary);
    return absl::OkStatus();
  }
  Print(absl::StrFormat("ok (%.1fs)\n", build->seconds));

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
    spec.timeout_seconds = TimeoutSeconds(*test);
    absl::StatusOr<GtestOutcome> outcome = RunGtest(spec);
    if (!outcome.ok()) {
      summaries_.push_back(summary);
      return outcome.status();
    }
    if (outcome->interrupted) {
      summary.note = "interrupted";
      break;
    }
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
