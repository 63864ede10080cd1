#include "analysis/sampling_policy.h"

#include <gtest/gtest.h>

namespace rh::analysis {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

class PolicyTest : public ::testing::Test {
 protected:
  PolicyDecision At(double seconds, double score) {
    return policy_.Update(score, static_cast<std::int64_t>(seconds * kSecond));
  }
  SamplingPolicy policy_{config::Sampling{}};
};

TEST_F(PolicyTest, StartsNormalAtTheNormalInterval) {
  auto d = At(0, 10);
  EXPECT_EQ(d.state, SamplingState::kNormal);
  EXPECT_FALSE(d.changed);
  EXPECT_EQ(d.interval_seconds, 5);
}

TEST_F(PolicyTest, ElevatesAtTheThresholdAndSamplesFaster) {
  EXPECT_EQ(At(0, 29.9).state, SamplingState::kNormal);
  auto d = At(5, 30);
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(d.previous, SamplingState::kNormal);
  EXPECT_EQ(d.state, SamplingState::kElevated);
  EXPECT_EQ(d.interval_seconds, 1);
}

TEST_F(PolicyTest, ReturnsToNormalOnlyBelowRecoveryAndAfterTheDwell) {
  At(0, 35);
  EXPECT_EQ(At(10, 19).state, SamplingState::kElevated);  // below recovery, too soon
  EXPECT_EQ(At(31, 25).state, SamplingState::kElevated);  // long enough, but above recovery
  auto d = At(32, 19.9);
  EXPECT_TRUE(d.changed);
  EXPECT_EQ(d.state, SamplingState::kNormal);
  EXPECT_EQ(d.interval_seconds, 5);
}

TEST_F(PolicyTest, APressureBurstElevatesAtOnceAndHoldsItFromTheLatestBurst) {
  EXPECT_EQ(At(0, 5).state, SamplingState::kNormal);
  auto d = policy_.Update(5, 1 * kSecond, true);
  EXPECT_TRUE(d.changed);
  EXPECT_TRUE(d.pressure_burst);
  EXPECT_EQ(d.state, SamplingState::kElevated);
  EXPECT_EQ(d.interval_seconds, 1);
  // Another burst at 20 s: elevated until 50 s, not 31 s.
  EXPECT_FALSE(policy_.Update(5, 20 * kSecond, true).changed);
  EXPECT_EQ(At(40, 5).state, SamplingState::kElevated);
  EXPECT_EQ(At(51, 5).state, SamplingState::kNormal);
  // A burst does not lower a critical state.
  At(60, 80);
  EXPECT_EQ(policy_.Update(80, 61 * kSecond, true).state, SamplingState::kCritical);
}

TEST_F(PolicyTest, DoesNotFlapAtTheBoundary) {
  int changes = 0;
  for (int i = 0; i < 200; ++i) changes += At(i, i % 2 == 0 ? 31 : 29).changed ? 1 : 0;
  EXPECT_EQ(changes, 1);  // elevated once, and stays
  EXPECT_EQ(policy_.state(), SamplingState::kElevated);
}

TEST_F(PolicyTest, OneCriticalTriggerPerEpisode) {
  int triggers = 0;
  double t = 0;
  for (double score : {61.0, 59.0, 62.0, 75.0, 31.0, 60.0})
    triggers += At(t++, score).critical_trigger;
  EXPECT_EQ(triggers, 1);
  EXPECT_EQ(policy_.state(), SamplingState::kCritical);
  auto end = At(t++, 29);  // below the elevation threshold: the episode ends
  EXPECT_TRUE(end.changed);
  EXPECT_EQ(end.state, SamplingState::kElevated);
  EXPECT_TRUE(At(t++, 65).critical_trigger);  // a new episode
  EXPECT_EQ(policy_.critical_episodes(), 2u);
}

TEST_F(PolicyTest, NormalCanGoStraightToCritical) {
  auto d = At(0, 90);
  EXPECT_EQ(d.state, SamplingState::kCritical);
  EXPECT_TRUE(d.critical_trigger);
  EXPECT_EQ(d.interval_seconds, 1);
}

TEST_F(PolicyTest, ThresholdsComeFromConfig) {
  config::Sampling s;
  s.elevation_threshold = 10;
  s.recovery_threshold = 5;
  s.min_elevated_seconds = 0;
  s.elevated_interval = 0.5;
  SamplingPolicy p(s);
  EXPECT_EQ(p.Update(10, 0).interval_seconds, 0.5);
  EXPECT_EQ(p.Update(4, 1).state, SamplingState::kNormal);
}

}  // namespace
}  // namespace rh::analysis
