#include "collectors/pressure.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

TEST(ParsePressure, ReadsSomeAndFull) {
  auto r = ParsePressure(
      "some avg10=0.72 avg60=0.18 avg300=0.14 total=3976408\n"
      "full avg10=0.70 avg60=0.17 avg300=0.12 total=3662822\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->available);
  ASSERT_TRUE(r->some.has_value());
  EXPECT_DOUBLE_EQ(r->some->avg10, 0.72);
  EXPECT_DOUBLE_EQ(r->some->avg60, 0.18);
  EXPECT_DOUBLE_EQ(r->some->avg300, 0.14);
  EXPECT_EQ(r->some->total_us, 3976408u);
  ASSERT_TRUE(r->full.has_value());
  EXPECT_DOUBLE_EQ(r->full->avg10, 0.70);
  EXPECT_DOUBLE_EQ(r->full->avg60, 0.17);
  EXPECT_DOUBLE_EQ(r->full->avg300, 0.12);
  EXPECT_EQ(r->full->total_us, 3662822u);
}

TEST(ParsePressure, FullLineIsOptionalAndNewlineToo) {
  // cpu before Linux 5.13.
  auto r = ParsePressure("some avg10=100.00 avg60=50.50 avg300=1.00 total=42");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->available);
  EXPECT_DOUBLE_EQ(r->some->avg10, 100.0);
  EXPECT_EQ(r->some->total_us, 42u);
  EXPECT_FALSE(r->full.has_value());
}

TEST(ParsePressure, SomeLineIsRequired) {
  EXPECT_FALSE(ParsePressure("").ok());
  EXPECT_FALSE(ParsePressure("\n").ok());
  EXPECT_FALSE(ParsePressure("full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").ok());
}

TEST(ParsePressure, HugeTotals) {
  auto r = ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551615\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->some->total_us, 18446744073709551615u);
  auto over = ParsePressure(
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("line 2"), std::string::npos) << over.error().message;
  EXPECT_NE(over.error().message.find("total=18446744073709551616"), std::string::npos);
}

TEST(ParsePressure, RejectsTruncatedLinesAndGarbage) {
  EXPECT_FALSE(ParsePressure("some avg10=0.00 avg60=").ok());
  EXPECT_FALSE(ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00\n").ok());
  EXPECT_FALSE(ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=\n").ok());
  EXPECT_FALSE(ParsePressure("some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n").ok());
  EXPECT_FALSE(ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=-5\n").ok());
  auto r = ParsePressure("some avg10=1,5 avg60=0.00 avg300=0.00 total=0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("avg10=1,5"), std::string::npos) << r.error().message;
}

TEST(ParsePressure, IgnoresUnknownLinesAndFields) {
  auto r = ParsePressure(
      "# comment from a future kernel\n"
      "some avg10=1.00 avg60=2.00 avg300=3.00 total=4 avg3600=9.00\n"
      "partial avg10=x\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->some->avg300, 3.0);
  EXPECT_EQ(r->some->total_us, 4u);
}

TEST(PressureCollector, ReadsFixtureTreeWithoutIrq) {
  ProcRoot root(test::FixturesDir() / "proc", test::FixturesDir() / "sys");
  auto collector = MakePressureCollector(root);
  EXPECT_EQ(collector->name(), "pressure");
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const Pressure& p = sample.pressure;
  ASSERT_TRUE(p[PsiKind::kCpu].available);
  EXPECT_DOUBLE_EQ(p[PsiKind::kCpu].some->avg10, 0.12);
  EXPECT_DOUBLE_EQ(p[PsiKind::kCpu].some->avg60, 0.28);
  EXPECT_DOUBLE_EQ(p[PsiKind::kCpu].some->avg300, 0.84);
  EXPECT_EQ(p[PsiKind::kCpu].some->total_us, 10864548u);
  EXPECT_EQ(p[PsiKind::kCpu].full->total_us, 0u);
  ASSERT_TRUE(p[PsiKind::kIo].available);
  EXPECT_DOUBLE_EQ(p[PsiKind::kIo].some->avg10, 0.72);
  EXPECT_EQ(p[PsiKind::kIo].some->total_us, 3976408u);
  EXPECT_DOUBLE_EQ(p[PsiKind::kIo].full->avg300, 0.12);
  EXPECT_EQ(p[PsiKind::kIo].full->total_us, 3662822u);
  ASSERT_TRUE(p[PsiKind::kMemory].available);
  EXPECT_EQ(p[PsiKind::kMemory].some->total_us, 0u);
  EXPECT_FALSE(p[PsiKind::kIrq].available);
  EXPECT_FALSE(p[PsiKind::kIrq].some.has_value());
}

TEST(PressureCollector, MissingFilesAreUnavailableNotAnError) {
  test::TempDir dir;
  dir.Write("proc/loadavg", "0.00 0.00 0.00 1/1 1\n");
  auto collector = MakePressureCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (const PsiResource& r : sample.pressure.resources) EXPECT_FALSE(r.available);
}

TEST(PressureCollector, SomeFilesMissingOthersRead) {
  test::TempDir dir;
  dir.Write("proc/pressure/cpu", "some avg10=5.00 avg60=4.00 avg300=3.00 total=77\n");
  dir.Write("proc/pressure/memory",
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n"
            "full avg10=0.00 avg60=0.00 avg300=0.00 total=2\n");
  auto collector = MakePressureCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_TRUE(sample.pressure[PsiKind::kCpu].available);
  EXPECT_EQ(sample.pressure[PsiKind::kCpu].some->total_us, 77u);
  EXPECT_FALSE(sample.pressure[PsiKind::kCpu].full.has_value());
  EXPECT_FALSE(sample.pressure[PsiKind::kIo].available);
  EXPECT_TRUE(sample.pressure[PsiKind::kMemory].available);
  EXPECT_EQ(sample.pressure[PsiKind::kMemory].full->total_us, 2u);
  EXPECT_FALSE(sample.pressure[PsiKind::kIrq].available);
}

TEST(PressureCollector, GarbledFileFailsNamingIt) {
  test::TempDir dir;
  dir.Write("proc/pressure/cpu", "some avg10=5.00 avg60=4.00 avg300=3.00 total=77\n");
  dir.Write("proc/pressure/io", "some avg10=garbage\n");
  auto collector = MakePressureCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  Status s = collector->Collect(sample);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("pressure/io"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("garbage"), std::string::npos) << s.error().message;
  EXPECT_FALSE(sample.pressure[PsiKind::kCpu].available);  // a failed collector leaves defaults
}

TEST(PressureCollector, RereadsChangedValues) {
  test::TempDir dir;
  dir.Write("proc/pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=10\n");
  auto collector = MakePressureCollector(ProcRoot(dir / "proc", dir / "sys"));
  SystemSample sample;
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(sample.pressure[PsiKind::kIo].some->total_us, 10u);
  dir.Write("proc/pressure/io", "some avg10=9.00 avg60=0.00 avg300=0.00 total=20\n");
  ASSERT_TRUE(collector->Collect(sample).ok());
  EXPECT_EQ(sample.pressure[PsiKind::kIo].some->total_us, 20u);
  EXPECT_DOUBLE_EQ(sample.pressure[PsiKind::kIo].some->avg10, 9.0);
}

}  // namespace
}  // namespace rh::collectors
