#include "forensics/json_read.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rh::forensics {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(ParseJson, ANumberTooLargeForADoubleIsAnErrorNamingTheField) {
  auto j = ParseJson(R"({"host": {"page_size": 1e999}})", "m.json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().message,
            "m.json: not valid JSON at host.page_size: number overflow parsing '1e999'");
  auto in_array = ParseJson(R"({"files": [{"size": 1}, {"size": -1e400}]})", "m.json");
  ASSERT_FALSE(in_array.ok());
  EXPECT_THAT(in_array.error().message, HasSubstr("m.json: not valid JSON at files[].size: "));
  auto ordered = ParseOrderedJson("[1e999]", "x.json");
  ASSERT_FALSE(ordered.ok());
  EXPECT_THAT(ordered.error().message, HasSubstr("x.json: not valid JSON at []: number overflow"));
}

TEST(ParseJson, SyntaxErrorsAndTruncationAreOneLine) {
  for (const char* text : {"{\"a\": ", "{\"a\" 1}", "", "[1,]", "\"\x01\""}) {
    SCOPED_TRACE(text);
    auto j = ParseJson(text, "f.json");
    ASSERT_FALSE(j.ok());
    EXPECT_THAT(j.error().message, HasSubstr("f.json: not valid JSON"));
    EXPECT_EQ(j.error().message.find('\n'), std::string::npos);
  }
}

TEST(ParseJson, NestingIsBoundedWithoutRecursingOnTheStack) {
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(ok, "f.json").ok());
  for (int depth : {kMaxJsonDepth + 1, 50'000}) {
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    auto j = ParseJson(deep, "f.json");
    ASSERT_FALSE(j.ok());
    EXPECT_THAT(j.error().message, HasSubstr("f.json: not valid JSON at [][]"));
    EXPECT_THAT(j.error().message, HasSubstr("nested deeper than 64 levels"));
  }
  auto objects = ParseJson(std::string(100, '{'), "f.json");
  ASSERT_FALSE(objects.ok());
}

}  // namespace
}  // namespace rh::forensics
