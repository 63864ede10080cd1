#include "forensics/flight_recorder.h"

#include <gtest/gtest.h>

#include <thread>

namespace rh::forensics {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kStart = 1'795'000'000 * kSecond;

std::shared_ptr<const analysis::ScoredSample> At(std::uint64_t sequence, std::int64_t realtime_ns) {
  auto s = std::make_shared<analysis::ScoredSample>();
  s->sequence = sequence;
  s->sample.clock.realtime_ns = realtime_ns;
  return s;
}

std::vector<std::uint64_t> Sequences(
    const std::vector<std::shared_ptr<const analysis::ScoredSample>>& samples) {
  std::vector<std::uint64_t> out;
  for (const auto& s : samples) out.push_back(s->sequence);
  return out;
}

TEST(FlightRecorder, HoldsTheLast120SamplesByDefault) {
  FlightRecorder recorder;
  EXPECT_EQ(recorder.capacity(), 120u);
  EXPECT_EQ(recorder.size(), 0u);
  EXPECT_TRUE(recorder.All().empty());
  for (std::uint64_t i = 1; i <= 200; ++i) recorder.Push(At(i, kStart + i * kSecond));
  EXPECT_EQ(recorder.size(), 120u);
  auto all = recorder.All();
  ASSERT_EQ(all.size(), 120u);
  EXPECT_EQ(all.front()->sequence, 81u);
  EXPECT_EQ(all.back()->sequence, 200u);
}

TEST(FlightRecorder, KeepsOrderOldestFirstAcrossTheWrap) {
  FlightRecorder recorder(3);
  recorder.Push(At(1, kStart));
  recorder.Push(At(2, kStart + kSecond));
  EXPECT_EQ(Sequences(recorder.All()), (std::vector<std::uint64_t>{1, 2}));
  recorder.Push(At(3, kStart + 2 * kSecond));
  recorder.Push(At(4, kStart + 3 * kSecond));
  recorder.Push(nullptr);  // Ignored.
  EXPECT_EQ(Sequences(recorder.All()), (std::vector<std::uint64_t>{2, 3, 4}));
  EXPECT_EQ(recorder.size(), 3u);
}

TEST(FlightRecorder, DropsItsReferenceToTheOldestSample) {
  FlightRecorder recorder(2);
  auto first = At(1, kStart);
  std::weak_ptr<const analysis::ScoredSample> watch = first;
  recorder.Push(std::move(first));
  recorder.Push(At(2, kStart));
  EXPECT_FALSE(watch.expired());
  recorder.Push(At(3, kStart));
  EXPECT_TRUE(watch.expired());
}

TEST(FlightRecorder, WindowSelectsByWallClockInclusive) {
  FlightRecorder recorder(10);
  for (std::uint64_t i = 0; i < 10; ++i) recorder.Push(At(i, kStart + i * kSecond / 2));
  const double start = 1'795'000'000;
  EXPECT_EQ(Sequences(recorder.Window(start + 1, start + 2)),
            (std::vector<std::uint64_t>{2, 3, 4}));
  EXPECT_EQ(Sequences(recorder.Window(start - 100, start)), (std::vector<std::uint64_t>{0}));
  EXPECT_TRUE(recorder.Window(start + 100, start + 200).empty());
  EXPECT_TRUE(recorder.Window(start + 2, start + 1).empty());
}

TEST(FlightRecorder, ReadersCopyWhileTheSamplerPushes) {
  FlightRecorder recorder(50);
  std::thread sampler([&] {
    for (std::uint64_t i = 1; i <= 20000; ++i) recorder.Push(At(i, kStart + i));
  });
  for (int i = 0; i < 2000; ++i) {
    auto all = recorder.All();
    ASSERT_LE(all.size(), 50u);
    for (std::size_t j = 1; j < all.size(); ++j) {
      ASSERT_EQ(all[j]->sequence, all[j - 1]->sequence + 1);
    }
  }
  sampler.join();
  EXPECT_EQ(recorder.All().back()->sequence, 20000u);
}

}  // namespace
}  // namespace rh::forensics
