#include <gtest/gtest.h>

#include "exporter/metrics.h"
#include "tests/support/fake_clock.h"
#include "tests/support/http.h"

namespace rh::exporter {
namespace {

// A source that counts how often it was collected.
class CountingSource final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    ++collections;
    prometheus::ClientMetric m;
    m.gauge.value = static_cast<double>(collections);
    return {
        prometheus::MetricFamily{"rogue_hunter_test", "Test.", prometheus::MetricType::Gauge, {m}}};
  }
  mutable int collections = 0;
};

TEST(MetricsPage, ServesTheSameBodyUntilInvalidated) {
  test::FakeClock clock;
  auto source = std::make_shared<CountingSource>();
  MetricsPage page({source}, clock, std::chrono::milliseconds(100));
  auto a = page.Get(false);
  auto b = page.Get(false);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(source->collections, 1);
  page.Invalidate();
  auto c = page.Get(false);
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(
      *c, "# HELP rogue_hunter_test Test.\n# TYPE rogue_hunter_test gauge\nrogue_hunter_test 2\n");
}

TEST(MetricsPage, RebuildsWhenOlderThanMaxAge) {
  test::FakeClock clock;
  auto source = std::make_shared<CountingSource>();
  MetricsPage page({source}, clock, std::chrono::milliseconds(100));
  auto a = page.Get(false);
  clock.Advance(99'000'000);
  EXPECT_EQ(page.Get(false).get(), a.get());
  clock.Advance(1'000'000);
  EXPECT_NE(page.Get(false).get(), a.get());
  EXPECT_EQ(source->collections, 2);
}

TEST(MetricsPage, GzipBodyDecodesToTheTextBody) {
  test::FakeClock clock;
  auto source = std::make_shared<CountingSource>();
  MetricsPage page({source}, clock, std::chrono::milliseconds(100));
  auto text = page.Get(false);
  auto gz = page.Get(true);
  EXPECT_EQ(test::Gunzip(*gz), *text);
  EXPECT_EQ(page.Get(true).get(), gz.get());
  EXPECT_EQ(source->collections, 1);
}

}  // namespace
}  // namespace rh::exporter
