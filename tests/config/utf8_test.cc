#include "base/utf8.h"

#include <gtest/gtest.h>

namespace rh {
namespace {

TEST(Utf8, DecodesEverySequenceLength) {
  EXPECT_EQ(DecodeUtf8("a", 0).length, 1u);
  EXPECT_EQ(DecodeUtf8("\xC3\xA9", 0).code_point, U'\u00E9');
  EXPECT_EQ(DecodeUtf8("\xE2\x82\xAC", 0).code_point, U'\u20AC');
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80", 0).code_point, U'\U0001F600');
}

TEST(Utf8, RejectsWhatIsNotUtf8) {
  for (const char* bad : {"\xff", "\x80", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "\xC3\x28"}) {
    EXPECT_EQ(DecodeUtf8(bad, 0).length, 0u) << bad;
    EXPECT_FALSE(IsValidUtf8(bad));
  }
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8(std::string("nul\0inside", 10)));
}

TEST(Utf8, ToValidUtf8ReplacesEachBadByte) {
  EXPECT_EQ(ToValidUtf8("ok"), "ok");
  EXPECT_EQ(ToValidUtf8("a\xff"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xF4\x90\x80\x80 \xED\xA0\x80 \xC3")));
}

}  // namespace
}  // namespace rh
