// Command lines and input files of the grader's small instructor tools
// (gradebook, consistency): the parts every such main() needs.
//
// Contract: flags are spelled --name=VALUE, or --name alone for a switch; the
// first problem (an unknown argument, a value missing or given to a switch,
// a required flag absent) is an InvalidArgument error whose message is ready
// to print above the tool's usage line. Nothing here exits or prints.
#ifndef AURORALAB_GRADER_TOOL_FLAGS_H_
#define AURORALAB_GRADER_TOOL_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace auroralab::grader {

struct ToolFlag {
  std::string name;  // with the dashes: "--rubric"
  bool required = false;
  bool is_switch = false;  // takes no value; present means "1"
};

// The flags given, by name (a switch maps to "1"); the last of a repeated
// flag wins.
absl::StatusOr<std::map<std::string, std::string>> ParseToolFlags(
    int argc, const char* const* argv, const std::vector<ToolFlag>& flags);

// The whole of a (small) input file; an error names the file.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace auroralab::grader

#endif  // AURORALAB_GRADER_TOOL_FLAGS_H_
