#include "collectors/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rh::collectors {
namespace {

std::vector<std::string> Tokens(std::string_view text) {
  std::vector<std::string> out;
  for (auto t = NextToken(text); !t.empty(); t = NextToken(text)) out.emplace_back(t);
  EXPECT_TRUE(text.empty());
  return out;
}

TEST(NextToken, SplitsOnSpacesAndTabsOnly) {
  EXPECT_EQ(Tokens("  a\tbb   ccc \t"), (std::vector<std::string>{"a", "bb", "ccc"}));
  EXPECT_EQ(Tokens("x\ny z"), (std::vector<std::string>{"x\ny", "z"}));
  EXPECT_TRUE(Tokens("").empty());
  EXPECT_TRUE(Tokens(" \t ").empty());
}

TEST(NextToken, AdvancesPastTheTokenOnly) {
  std::string_view rest = "key  value rest";
  EXPECT_EQ(NextToken(rest), "key");
  EXPECT_EQ(rest, "  value rest");
  EXPECT_EQ(NextToken(rest), "value");
  EXPECT_EQ(rest, " rest");
}

TEST(NextLine, ReturnsEveryLineIncludingAnUnterminatedLast) {
  std::string_view rest = "a\n\nb c\nlast";
  std::vector<std::string> lines;
  while (auto line = NextLine(rest)) lines.emplace_back(*line);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "", "b c", "last"}));
  std::string_view terminated = "one\n";
  EXPECT_EQ(*NextLine(terminated), "one");
  EXPECT_FALSE(NextLine(terminated).has_value());
}

TEST(ParseNumber, WholeTokenOnly) {
  EXPECT_EQ(ParseNumber<std::uint64_t>("18446744073709551615"), 18446744073709551615u);
  EXPECT_FALSE(ParseNumber<std::uint64_t>("18446744073709551616"));
  EXPECT_FALSE(ParseNumber<std::uint64_t>("-1"));
  EXPECT_FALSE(ParseNumber<std::uint64_t>("12x"));
  EXPECT_FALSE(ParseNumber<std::uint64_t>(""));
  EXPECT_EQ(ParseNumber<std::int64_t>("-42"), -42);
}

}  // namespace
}  // namespace rh::collectors
