#include "labs/framework/time.h"

#include "absl/strings/str_format.h"

namespace auroralab {

std::string FormatTime(Time t) {
  if (t == kForever) return "forever";
  return absl::StrFormat("%.3fms", static_cast<double>(t) / kMillisecond);
}

}  // namespace auroralab
