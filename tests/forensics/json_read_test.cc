#include "forensics/json_read.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "forensics/bundle.h"
#include "forensics/sample_json.h"

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

TEST(JsonInteger, OnlyIntegersThatFitAreRead) {
  EXPECT_EQ(JsonInteger<int>(json(4294967297ULL)), std::nullopt) << "never narrowed to 1";
  EXPECT_EQ(JsonInteger<std::uint32_t>(json(4294967295ULL)), 4294967295u);
  EXPECT_EQ(JsonInteger<std::uint32_t>(json(4294967296ULL)), std::nullopt);
  EXPECT_EQ(JsonInteger<std::uint32_t>(json(-1)), std::nullopt);
  EXPECT_EQ(JsonInteger<std::int32_t>(json(-2147483648LL)), -2147483648);
  EXPECT_EQ(JsonInteger<std::int32_t>(json(-2147483649LL)), std::nullopt);
  EXPECT_EQ(JsonInteger<std::int64_t>(json(std::numeric_limits<std::uint64_t>::max())),
            std::nullopt);
  EXPECT_EQ(JsonInteger<std::uint64_t>(json(std::numeric_limits<std::uint64_t>::max())),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(JsonInteger<int>(json(1.0)), std::nullopt) << "a float is not an integer";
  EXPECT_EQ(JsonInteger<int>(json("1")), std::nullopt);
}

TEST(IntegerFromDouble, RefusesWhatACastWouldMakeUndefined) {
  EXPECT_EQ(IntegerFromDouble<std::int64_t>(1e300), std::nullopt);
  EXPECT_EQ(IntegerFromDouble<std::int64_t>(-1e300), std::nullopt);
  EXPECT_EQ(IntegerFromDouble<std::int64_t>(std::numeric_limits<double>::quiet_NaN()),
            std::nullopt);
  EXPECT_EQ(IntegerFromDouble<std::int64_t>(9223372036854775808.0), std::nullopt);
  EXPECT_EQ(IntegerFromDouble<std::int64_t>(-9223372036854775808.0),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(IntegerFromDouble<std::uint32_t>(-1), std::nullopt);
  EXPECT_EQ(IntegerFromDouble<std::uint32_t>(4294967295.0), 4294967295u);
  EXPECT_EQ(IntegerFromDouble<int>(3.9), 3);
}

TEST(ParseManifest, IntegersThatDoNotFitAreRefusedNotNarrowed) {
  Manifest m;
  m.id = "20261123T101503.812Z-pause";
  m.trigger = "pause";
  const std::string good = ManifestToJson(m);
  ASSERT_TRUE(ParseManifest(good, "m").ok());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    EXPECT_NE(text.find(from), std::string::npos) << from;
    text.replace(text.find(from), from.size(), to);
    return ParseManifest(text, "m");
  };
  auto version = with("\"format_version\": 1", "\"format_version\": 4294967297");
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().message,
            "m: unknown bundle format version 4294967297 (this build reads 1)");
  auto page = with("\"page_size\": 4096", "\"page_size\": 4294967297");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().message, "m: host.page_size is out of range: 4294967297");
  auto ticks = with("\"clock_ticks_per_second\": 100", "\"clock_ticks_per_second\": 4294967396");
  ASSERT_FALSE(ticks.ok());
  EXPECT_EQ(ticks.error().message, "m: host.clock_ticks_per_second is out of range: 4294967396");
}

TEST(SampleJson, AnIntegerFieldThatDoesNotFitIsNamed) {
  analysis::ScoredSample pass;
  pass.sample.processes.top_cpu.push_back({});
  pass.sample.processes.top_cpu[0].pid = 42;
  json j = ToJson(pass);
  ASSERT_TRUE(ScoredSampleFromJson(j).ok());
  j["sample"]["processes"]["top_cpu"][0]["pid"] = 4294967338ULL;  // 42 + 2^32
  auto wide = ScoredSampleFromJson(j);
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error().message, "sample.processes.top_cpu[0].pid is out of range: 4294967338");
  j["sample"]["processes"]["top_cpu"][0]["pid"] = 42.5;
  EXPECT_FALSE(ScoredSampleFromJson(j).ok());
  j = ToJson(pass);
  j["sample"]["loadavg"]["online_cpus"] = -1;
  auto negative = ScoredSampleFromJson(j);
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.error().message, HasSubstr("sample.loadavg.online_cpus is out of range"));
}

TEST(ParseRfc3339, ATimeBeyondWhatNanosecondsHoldIsRefused) {
  EXPECT_TRUE(ParseRfc3339("2262-01-01T00:00:00.000Z").has_value());
  EXPECT_EQ(ParseRfc3339("2263-01-01T00:00:00.000Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59Z"), std::nullopt);
  EXPECT_TRUE(ParseRfc3339("1678-01-01T00:00:00Z").has_value());
  EXPECT_EQ(ParseRfc3339("1000-01-01T00:00:00Z"), std::nullopt);
}

}  // namespace
}  // namespace rh::forensics
