#include "analysis/self_limits.h"

#include <gtest/gtest.h>

namespace rh::analysis {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kMiB = 1 << 20;

config::SelfLimits Budgets() {
  config::SelfLimits s;
  s.cpu_share = 0.05;
  s.resident_bytes = 100 * kMiB;
  s.open_fds = 100;
  s.window_seconds = 60;
  s.hold_seconds = 300;
  return s;
}

class SelfLimitsTest : public ::testing::Test {
 protected:
  // A reading at `seconds` with `cpu_share` of one CPU used since the previous reading.
  std::vector<SelfLimitTransition> At(double seconds, double cpu_share,
                                      std::uint64_t resident = 10 * kMiB, std::uint64_t fds = 20,
                                      double deferred = 0) {
    cpu_ += cpu_share * (seconds - last_);
    last_ = seconds;
    SelfReading r;
    r.monotonic_ns = static_cast<std::int64_t>(seconds * kSecond);
    r.cpu_seconds = cpu_;
    r.resident_bytes = resident;
    r.open_fds = fds;
    r.deferred_cpu_share = deferred;
    return limits_.Update(r);
  }
  SelfLimits limits_{Budgets()};
  double cpu_ = 0;
  double last_ = 0;
};

TEST_F(SelfLimitsTest, UnderEveryBudgetNothingHappens) {
  for (int s = 0; s <= 600; s += 5) EXPECT_TRUE(At(s, 0.01).empty()) << s;
  EXPECT_FALSE(limits_.any_active());
  ASSERT_TRUE(limits_.cpu_share().has_value());
  EXPECT_NEAR(*limits_.cpu_share(), 0.01, 1e-9);
}

TEST_F(SelfLimitsTest, CpuIsJudgedOnlyOverAWholeWindow) {
  At(0, 0);
  for (int s = 5; s < 60; s += 5) {
    EXPECT_TRUE(At(s, 0.5).empty()) << s;  // ten times the budget, but not a window yet
    EXPECT_FALSE(limits_.cpu_share().has_value());
  }
  auto t = At(60, 0.5);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].limit, SelfLimit::kCpu);
  EXPECT_TRUE(t[0].entered);
  EXPECT_NEAR(t[0].value, 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(t[0].budget, 0.05);
  EXPECT_TRUE(limits_.active(SelfLimit::kCpu));
}

TEST_F(SelfLimitsTest, TheCpuShareIsAveragedOverTheWindowNotOnePass) {
  for (int s = 0; s <= 120; s += 5) At(s, 0.01);
  // One busy pass of 5 s at 0.3 raises the 60 s average to about 0.034: under the budget.
  EXPECT_TRUE(At(125, 0.3).empty());
  EXPECT_NEAR(*limits_.cpu_share(), (0.3 * 5 + 0.01 * 55) / 60, 1e-9);
}

TEST_F(SelfLimitsTest, ResidentMemoryEntersAtOnceAndLeavesWithHysteresisAndHold) {
  auto t = At(0, 0, 150 * kMiB);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].limit, SelfLimit::kResident);
  EXPECT_TRUE(t[0].entered);
  EXPECT_TRUE(At(5, 0, 160 * kMiB).empty()) << "one transition per crossing, not per pass";
  // Under the budget but above 80% of it: still backing off.
  EXPECT_TRUE(At(400, 0, 90 * kMiB).empty());
  EXPECT_TRUE(limits_.active(SelfLimit::kResident));
  // Under 80% of the budget, and the back-off has lasted hold_seconds (300 s): it ends.
  t = At(405, 0, 70 * kMiB);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_FALSE(t[0].entered);
  EXPECT_EQ(t[0].limit, SelfLimit::kResident);
  EXPECT_FALSE(limits_.any_active());
}

TEST_F(SelfLimitsTest, ABackOffLastsAtLeastTheHoldTime) {
  ASSERT_EQ(At(0, 0, 0, 500).size(), 1u);  // descriptors above 100
  for (int s = 5; s < 300; s += 5) EXPECT_TRUE(At(s, 0, 0, 10).empty()) << s;
  EXPECT_TRUE(limits_.active(SelfLimit::kOpenFds));
  auto t = At(300, 0, 0, 10);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_FALSE(t[0].entered);
  EXPECT_EQ(t[0].limit, SelfLimit::kOpenFds);
}

TEST_F(SelfLimitsTest, CpuRecoveryCountsWhatTheBackOffSaves) {
  for (int s = 0; s <= 60; s += 5) At(s, 0.2);
  ASSERT_TRUE(limits_.active(SelfLimit::kCpu));
  // Backed off, the daemon uses 0.01, but scanning as often again would add 0.19: no recovery.
  for (int s = 65; s <= 900; s += 5) EXPECT_TRUE(At(s, 0.01, 10 * kMiB, 20, 0.19).empty()) << s;
  EXPECT_TRUE(limits_.active(SelfLimit::kCpu));
  // The machine has fewer processes now: scanning would add only 0.02. 0.01 + 0.02 <= 0.04.
  auto t = At(905, 0.01, 10 * kMiB, 20, 0.02);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_FALSE(t[0].entered);
  EXPECT_NEAR(t[0].value, 0.03, 1e-9);
}

TEST_F(SelfLimitsTest, SeveralBudgetsAreJudgedEachOnItsOwn) {
  auto t = At(0, 0, 150 * kMiB, 500);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].limit, SelfLimit::kResident);
  EXPECT_EQ(t[1].limit, SelfLimit::kOpenFds);
  t = At(400, 0, 150 * kMiB, 10);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].limit, SelfLimit::kOpenFds);
  EXPECT_FALSE(t[0].entered);
  EXPECT_TRUE(limits_.any_active());
}

TEST_F(SelfLimitsTest, DisablingEndsEveryBackOffAndStartsNone) {
  ASSERT_EQ(At(0, 0, 150 * kMiB).size(), 1u);
  config::SelfLimits off = Budgets();
  off.enabled = false;
  limits_.Reconfigure(off);
  auto t = At(5, 0, 150 * kMiB, 500);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_FALSE(t[0].entered);
  EXPECT_FALSE(limits_.any_active());
  EXPECT_TRUE(At(10, 0, 150 * kMiB, 500).empty());
}

TEST_F(SelfLimitsTest, AReloadedBudgetIsJudgedAtTheNextReading) {
  EXPECT_TRUE(At(0, 0, 50 * kMiB).empty());
  config::SelfLimits tighter = Budgets();
  tighter.resident_bytes = 40 * kMiB;
  limits_.Reconfigure(tighter);
  auto t = At(5, 0, 50 * kMiB);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].entered);
}

}  // namespace
}  // namespace rh::analysis
