// The field descriptions are what the metrics, the bundle JSON and the history columns follow:
// they must be consistent with the naming rules of docs/metrics.md and with each other.

#include "collectors/fields.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "collectors/system_sample.h"

namespace rh::collectors {
namespace {

bool IsIdentifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

TEST(Fields, NamesMetricsAndColumnsFollowTheRules) {
  const SystemSample sample;
  std::set<std::string> columns;
  std::set<std::string> families;  // a family's series must be consecutive
  std::string family;
  VisitDescribedParts(
      sample, [&](std::string_view path, std::string_view collector, auto fields, const auto&) {
        SCOPED_TRACE(std::string(path));
        EXPECT_FALSE(collector.empty());
        std::set<std::string> names, sources, series;
        for (const auto& f : fields) {
          EXPECT_TRUE(IsIdentifier(f.name)) << f.name;
          EXPECT_TRUE(names.insert(std::string(f.name)).second) << "duplicate " << f.name;
          EXPECT_FALSE(f.help.empty()) << f.name;
          if (!f.source.empty()) {
            EXPECT_TRUE(sources.insert(std::string(f.source)).second) << f.source;
          }
          if (!f.column.empty()) {
            EXPECT_TRUE(IsIdentifier(f.column)) << f.column;
            EXPECT_TRUE(columns.insert(std::string(f.column)).second) << "duplicate " << f.column;
          }
          if (f.metric.empty()) {
            EXPECT_EQ(f.type, MetricType::kNone) << f.name;
            continue;
          }
          const std::string metric(f.metric);
          EXPECT_NE(f.type, MetricType::kNone) << metric;
          EXPECT_TRUE(metric.starts_with("rogue_hunter_")) << metric;
          EXPECT_EQ(metric.ends_with("_total"), f.type == MetricType::kCounter) << metric;
          EXPECT_EQ(f.label_name.empty(), f.label_value.empty()) << metric;
          EXPECT_GT(f.scale, 0) << metric;
          if (metric != family) {
            EXPECT_TRUE(families.insert(metric).second) << metric << " is split";
            family = metric;
          }
          EXPECT_TRUE(series.insert(metric + std::string(f.label_value)).second) << metric;
        }
      });
  EXPECT_GT(columns.size(), 10u);
}

TEST(Fields, ValuesAreReadThroughTheirMember) {
  static VmStat v;
  v.pgpgin = 3;
  const Field<VmStat>* f = FieldBySource(Fields(kVmStatFields), "pgpgin");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(NumberOf(*f, v), 3);
  EXPECT_EQ(f->scale, 1024);
  EXPECT_TRUE(IsInteger(*f));
  EXPECT_EQ(MemberOfType<std::uint64_t>(*f), &VmStat::pgpgin);
  EXPECT_EQ(MemberOfType<double>(*f), nullptr);
  EXPECT_EQ(FieldBySource(Fields(kVmStatFields), "nr_free_pages"), nullptr);
  EXPECT_FALSE(IsInteger(kLoadAvgFields[0]));
}

}  // namespace
}  // namespace rh::collectors
