// JSON string escaping, shared by traces (trace.h) and the grader's
// results.json: any bytes in, valid JSON string contents out.
#ifndef AURORALAB_LABS_FRAMEWORK_JSON_H_
#define AURORALAB_LABS_FRAMEWORK_JSON_H_

#include <string>
#include <string_view>

namespace auroralab {

// The contents of a JSON string (without the quotes) for arbitrary bytes:
// quotes, backslashes and control characters escaped, valid UTF-8 kept, and
// every byte of invalid UTF-8 (node logs and student output can hold
// anything) replaced by U+FFFD, so strict parsers accept the result.
std::string JsonEscape(std::string_view text);

}  // namespace auroralab

#endif  // AURORALAB_LABS_FRAMEWORK_JSON_H_
