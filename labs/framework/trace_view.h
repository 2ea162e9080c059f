// Trace viewer pages: a self-contained HTML page per trace that draws the run
// as a space-time diagram (one lane per node, messages as arrows, faults,
// timers and log lines marked; zoom, filters, details on click).
//
// Contract: the input is a trace in trace.h's JSON-lines format (what
// Trace::WriteJsonLines writes, for any lab). The page embeds it whole, with
// the renderer (trace_view.html, compiled into this library) inline, so it
// opens from a file with no network. The same input and options always give
// the same bytes. Input that is not JSON lines of objects is rejected with
// InvalidArgument and the offending line number, never drawn half.
//
// RunSeeds (sim_test.h) writes one of these next to every failing seed's
// trace; `./lab trace FILE.jsonl [OUT.html]` makes one from any trace file.
//
//   TraceViewOptions options;
//   options.title = "Counter.SurvivesCrashes seed 3";
//   absl::Status written =
//       WriteTraceViewHtmlFromFile("/tmp/run.trace.jsonl", "/tmp/run.trace.html", options);
#ifndef AURORALAB_LABS_FRAMEWORK_TRACE_VIEW_H_
#define AURORALAB_LABS_FRAMEWORK_TRACE_VIEW_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace auroralab {

struct TraceViewOptions {
  // Shown at the top of the page, e.g. the test and seed.
  std::string title;
  // The linearizability history page of the same run (linearizability_html.h)
  // and the raw trace file, linked from the top of the page when not empty.
  // Files in the page's own directory are linked by name alone, so the set
  // of files can be moved together.
  std::string linearizability_page;
  std::string jsonl_file;
};

// Writes the viewer page for `jsonl` (trace JSON lines) to `path`.
absl::Status WriteTraceViewHtml(const std::string& path, std::string_view jsonl,
                                const TraceViewOptions& options);

// The same for the trace in the file `jsonl_path`; options.jsonl_file
// defaults to that file.
absl::Status WriteTraceViewHtmlFromFile(const std::string& jsonl_path, const std::string& path,
                                        TraceViewOptions options);

// How a page at `page` links to `target`: the file name alone when both are
// in the same directory, else `target` as given.
std::string RelativeLink(std::string_view page, std::string_view target);

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_TRACE_VIEW_H_
