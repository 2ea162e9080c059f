// The trace viewer page writer of trace_view.h: checks the trace lines, then
// fills the compiled-in template (trace_view.html) with the data and links.

#include "labs/framework/trace_view.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "labs/framework/json.h"

namespace auroralab {

// trace_view.html, made into a string by the BUILD file's genrule.
extern const char kTraceViewTemplate[];

namespace {

constexpr std::string_view kDataSlot = "AURORALAB_TRACE_JSONL";
constexpr std::string_view kMetaSlot = "AURORALAB_TRACE_META";

// Inside <script> the only sequences that can end the element early start
// with '<' ("</script>", "<!--"). In trace lines '<' appears only inside JSON
// strings, where \u003c means the same character.
void AppendForScript(std::string_view json, std::string& out) {
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
}

// The events of a trace, one JSON object per non-empty line. A full parse
// happens in the page; a wrong file (not a trace at all) is caught here, with
// its line number.
absl::StatusOr<std::vector<std::string_view>> SplitEvents(std::string_view jsonl) {
  std::vector<std::string_view> events;
  int line_number = 0;
  size_t start = 0;
  while (start < jsonl.size()) {
    size_t end = jsonl.find('\n', start);
    if (end == std::string_view::npos) end = jsonl.size();
    std::string_view line = jsonl.substr(start, end - start);
    ++line_number;
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() != '{' || line.back() != '}' ||
        line.find("\"kind\"") == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number,
                       " is not a trace event (one JSON object with a \"kind\" per line, as "
                       "Trace::WriteJsonLines writes): ",
                       std::string(line.substr(0, 80))));
    }
    events.push_back(line);
  }
  return events;
}

}  // namespace

std::string RelativeLink(std::string_view page, std::string_view target) {
  const auto dir = [](std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
  };
  if (dir(page) == dir(target)) return std::string(target.substr(dir(target).size()));
  return std::string(target);
}

absl::Status WriteTraceViewHtml(const std::string& path, std::string_view jsonl,
                                const TraceViewOptions& options) {
  const absl::StatusOr<std::vector<std::string_view>> events = SplitEvents(jsonl);
  if (!events.ok()) return events.status();
  std::string meta = absl::StrCat(R"({"title":")", JsonEscape(options.title), "\"");
  if (!options.linearizability_page.empty()) {
    absl::StrAppend(&meta, R"(,"linearizability":")",
                    JsonEscape(RelativeLink(path, options.linearizability_page)), "\"");
  }
  if (!options.jsonl_file.empty()) {
    absl::StrAppend(&meta, R"(,"jsonl":")", JsonEscape(RelativeLink(path, options.jsonl_file)),
                    "\"");
  }
  meta += "}";
  // Fill the slots by position, so text inside the data can never be taken
  // for a slot.
  const std::string_view page = kTraceViewTemplate;
  const size_t meta_at = page.find(kMetaSlot);
  const size_t data_at = page.find(kDataSlot);
  if (meta_at == std::string_view::npos || data_at == std::string_view::npos || data_at < meta_at ||
      page.rfind(kMetaSlot) != meta_at || page.rfind(kDataSlot) != data_at) {
    return absl::InternalError("trace_view.html must hold each data slot once, meta first");
  }
  std::string html;
  html.reserve(page.size() + jsonl.size() + jsonl.size() / 8);
  html += page.substr(0, meta_at);
  AppendForScript(meta, html);
  html += page.substr(meta_at + kMetaSlot.size(), data_at - meta_at - kMetaSlot.size());
  // One JSON array, which the page parses in one go.
  html += "[\n";
  for (size_t i = 0; i < events->size(); ++i) {
    if (i > 0) html += ",\n";
    AppendForScript((*events)[i], html);
  }
  html += "\n]";
  html += page.substr(data_at + kDataSlot.size());

  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  const size_t written = std::fwrite(html.data(), 1, html.size(), file);
  const bool closed = std::fclose(file) == 0;
  if (written != html.size() || !closed) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::Status WriteTraceViewHtmlFromFile(const std::string& jsonl_path, const std::string& path,
                                        TraceViewOptions options) {
  std::ifstream in(jsonl_path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read trace ", jsonl_path));
  std::ostringstream text;
  text << in.rdbuf();
  if (options.jsonl_file.empty()) options.jsonl_file = jsonl_path;
  absl::Status written = WriteTraceViewHtml(path, text.str(), options);
  if (written.code() == absl::StatusCode::kInvalidArgument) {
    return absl::InvalidArgumentError(absl::StrCat(jsonl_path, ": ", written.message()));
  }
  return written;
}

}  // namespace auroralab
