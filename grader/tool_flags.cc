// Implementation of tool_flags.h.
#include "grader/tool_flags.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace auroralab::grader {

absl::StatusOr<std::map<std::string, std::string>> ParseToolFlags(
    int argc, const char* const* argv, const std::vector<ToolFlag>& flags) {
  std::map<std::string, std::string> values;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const ToolFlag* flag = nullptr;
    for (const ToolFlag& known : flags) {
      if (known.name == name) flag = &known;
    }
    if (flag == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown argument ", arg));
    if (flag->is_switch) {
      if (equals != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
      }
      values[name] = "1";
      continue;
    }
    if (equals == std::string::npos || equals + 1 == arg.size()) {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value: ", name, "=..."));
    }
    values[name] = arg.substr(equals + 1);
  }
  std::vector<std::string> missing;
  for (const ToolFlag& flag : flags) {
    if (flag.required && values.count(flag.name) == 0) missing.push_back(flag.name);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        absl::StrJoin(missing, ", "), missing.size() == 1 ? " is" : " are", " required"));
  }
  return values;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return buffer.str();
}

}  // namespace auroralab::grader
