// make_trace_view: writes the trace viewer page (trace_view.h) for a trace
// file. `./lab trace FILE.jsonl [OUT.html]` runs it.
//
//   make_trace_view FILE.jsonl [OUT.html]
//
// OUT.html defaults to FILE with ".jsonl" replaced by ".html" (or ".html"
// appended). If a linearizability history page of the same run sits next to
// the trace (<name>.linearizability.html for <name>.trace.jsonl, as RunSeeds
// names them), the page links to it. Prints the page's path; exit status 0
// on success, 1 on bad input or an unwritable output, 2 on bad usage.
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "labs/framework/trace_view.h"

namespace {

std::string WithoutSuffix(const std::string& text, std::string_view suffix) {
  return text.ends_with(suffix) ? text.substr(0, text.size() - suffix.size()) : text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || std::string_view(argv[1]).empty() || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s FILE.jsonl [OUT.html]\n", argv[0]);
    return 2;
  }
  const std::string input = argv[1];
  const std::string stem = WithoutSuffix(input, ".jsonl");
  const std::string output = argc == 3 ? argv[2] : stem + ".html";
  auroralab::TraceViewOptions options;
  options.title = std::filesystem::path(WithoutSuffix(stem, ".trace")).filename().string();
  const std::string history = WithoutSuffix(stem, ".trace") + ".linearizability.html";
  if (stem.ends_with(".trace") && std::filesystem::exists(history)) {
    options.linearizability_page = history;
  }
  const absl::Status written = auroralab::WriteTraceViewHtmlFromFile(input, output, options);
  if (!written.ok()) {
    std::fprintf(stderr, "make_trace_view: %s\n", std::string(written.message()).c_str());
    return 1;
  }
  std::printf("%s\n", output.c_str());
  return 0;
}
