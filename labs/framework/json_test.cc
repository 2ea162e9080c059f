// Tests for JsonEscape (json.h): JSON's escapes and control characters,
// valid UTF-8 kept as is, every byte of invalid UTF-8 replaced.
#include "labs/framework/json.h"

#include <string>

#include "gtest/gtest.h"

namespace auroralab {
namespace {

TEST(JsonEscape, EscapesSpecialCharacters) {
  EXPECT_EQ(JsonEscape("plain"), "plain");
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape("line1\nline2\r\tend"), "line1\\nline2\\r\\tend");
  EXPECT_EQ(JsonEscape(std::string("nul\0bell\x07", 9)), "nul\\u0000bell\\u0007");
  EXPECT_EQ(JsonEscape("\x1b[31mred"), "\\u001b[31mred");
}

TEST(JsonEscape, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonEscape("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
  EXPECT_EQ(JsonEscape("bad \xff\xfe end"), "bad \\ufffd\\ufffd end");
  EXPECT_EQ(JsonEscape("cut \xe2\x9c"), "cut \\ufffd\\ufffd");
  EXPECT_EQ(JsonEscape("overlong \xc0\xaf"), "overlong \\ufffd\\ufffd");
  EXPECT_EQ(JsonEscape("surrogate \xed\xa0\x80"), "surrogate \\ufffd\\ufffd\\ufffd");
}

}  // namespace
}  // namespace auroralab
