#include "exporter/auth.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace rh::exporter {
namespace {

// bcrypt("fakepassword"), cost 10: the hash exporter-toolkit's documentation uses.
constexpr char kHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

TEST(BasicAuthorization, ParsesUserAndPassword) {
  // "alice:open sesame" and "bob:a:b" (the password may hold ':').
  auto a = ParseBasicAuthorization("Basic YWxpY2U6b3BlbiBzZXNhbWU=");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(a->password, "open sesame");
  auto b = ParseBasicAuthorization("basic   Ym9iOmE6Yg==  ");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->user, "bob");
  EXPECT_EQ(b->password, "a:b");
  EXPECT_FALSE(ParseBasicAuthorization(""));
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!not-base64"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWxpY2U="));  // "alice", no colon
}

TEST(BearerAuthorization, TakesTheToken) {
  EXPECT_EQ(ParseBearerAuthorization("Bearer abc.def"), "abc.def");
  EXPECT_EQ(ParseBearerAuthorization("bearer  tok "), "tok");
  EXPECT_FALSE(ParseBearerAuthorization("Bearer "));
  EXPECT_FALSE(ParseBearerAuthorization("Basic abc"));
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("secret-token", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", "secret-tokem"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token", "secret-token2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(FailureLimiter, BlocksAnAddressAfterRepeatedFailuresForAWhile) {
  test::FakeClock clock;
  FailureLimiter limiter(clock, {3, 60, 30, 100});
  for (int i = 0; i < 2; ++i) limiter.Failed("10.0.0.1");
  EXPECT_EQ(limiter.BlockedFor("10.0.0.1"), 0);
  limiter.Failed("10.0.0.1");
  EXPECT_DOUBLE_EQ(limiter.BlockedFor("10.0.0.1"), 30);
  EXPECT_EQ(limiter.BlockedFor("10.0.0.2"), 0);  // other addresses are not affected
  clock.AdvanceSeconds(29);
  EXPECT_GT(limiter.BlockedFor("10.0.0.1"), 0);
  limiter.Succeeded("10.0.0.1");  // a success does not lift a block
  EXPECT_GT(limiter.BlockedFor("10.0.0.1"), 0);
  clock.AdvanceSeconds(1);
  EXPECT_EQ(limiter.BlockedFor("10.0.0.1"), 0);
}

TEST(FailureLimiter, FailuresOutsideTheWindowDoNotAddUp) {
  test::FakeClock clock;
  FailureLimiter limiter(clock, {3, 60, 30, 100});
  limiter.Failed("a");
  limiter.Failed("a");
  clock.AdvanceSeconds(61);
  limiter.Failed("a");
  EXPECT_EQ(limiter.BlockedFor("a"), 0);
  limiter.Failed("a");
  limiter.Succeeded("a");  // forgets the failures
  limiter.Failed("a");
  EXPECT_EQ(limiter.BlockedFor("a"), 0);
}

TEST(FailureLimiter, TracksABoundedNumberOfAddresses) {
  test::FakeClock clock;
  FailureLimiter limiter(clock, {1, 60, 30, 4});
  for (int i = 0; i < 100; ++i) {
    limiter.Failed("10.0.0." + std::to_string(i));
    clock.AdvanceSeconds(0.01);
  }
  // The newest ones are remembered, the stalest forgotten.
  EXPECT_GT(limiter.BlockedFor("10.0.0.99"), 0);
  EXPECT_EQ(limiter.BlockedFor("10.0.0.0"), 0);
}

TEST(PasswordChecker, ChecksRealBcryptHashesAndCachesTheResult) {
  test::FakeClock clock;
  PasswordChecker checker({{"prometheus", kHash}}, clock, {60, 16});
  EXPECT_TRUE(checker.Check("prometheus", "fakepassword"));
  EXPECT_EQ(checker.computations(), 1u);
  EXPECT_TRUE(checker.Check("prometheus", "fakepassword"));  // cached
  EXPECT_EQ(checker.computations(), 1u);
  EXPECT_FALSE(checker.Check("prometheus", "wrong"));
  EXPECT_EQ(checker.computations(), 2u);
  clock.AdvanceSeconds(61);  // the cache entry expired
  EXPECT_TRUE(checker.Check("prometheus", "fakepassword"));
  EXPECT_EQ(checker.computations(), 3u);
}

TEST(PasswordChecker, AnUnknownUserCostsABcryptToo) {
  test::FakeClock clock;
  PasswordChecker checker({{"prometheus", kHash}}, clock);
  // Even with the known user's right password: the dummy hash never matches.
  EXPECT_FALSE(checker.Check("mallory", "fakepassword"));
  EXPECT_EQ(checker.computations(), 1u);
  EXPECT_FALSE(checker.Check("", ""));
  EXPECT_EQ(checker.computations(), 2u);
}

TEST(Authenticator, AcceptsBasicOrTheTokenAndBlocksGuessers) {
  test::FakeClock clock;
  Authenticator auth({{"prometheus", kHash}}, "0123456789abcdef-token", clock, {3, 60, 60, 100});
  EXPECT_TRUE(auth.required());
  auto ok = auth.Check("Basic cHJvbWV0aGV1czpmYWtlcGFzc3dvcmQ=", "127.0.0.1");
  EXPECT_EQ(ok.verdict, Authenticator::Verdict::kAllowed);
  EXPECT_EQ(ok.principal, "basic:prometheus");
  auto token = auth.Check("Bearer 0123456789abcdef-token", "127.0.0.1");
  EXPECT_EQ(token.verdict, Authenticator::Verdict::kAllowed);
  EXPECT_EQ(token.principal, "token");
  EXPECT_EQ(auth.Check("", "127.0.0.1").verdict, Authenticator::Verdict::kMissing);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(auth.Check("Bearer nope", "10.1.1.1").verdict, Authenticator::Verdict::kWrong);
  }
  auto blocked = auth.Check("Bearer 0123456789abcdef-token", "10.1.1.1");
  EXPECT_EQ(blocked.verdict, Authenticator::Verdict::kBlocked);
  EXPECT_DOUBLE_EQ(blocked.retry_after, 60);
  clock.AdvanceSeconds(60);
  EXPECT_EQ(auth.Check("Bearer 0123456789abcdef-token", "10.1.1.1").verdict,
            Authenticator::Verdict::kAllowed);
}

}  // namespace
}  // namespace rh::exporter
