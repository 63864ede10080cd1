#include "collectors/proc_root.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tests/support/temp_dir.h"

namespace rh::collectors {
namespace {

class MapRecorder : public ReadRecorder {
 public:
  void Record(std::string_view tree, std::string_view relative, std::string_view content) override {
    files[std::string(tree) + "/" + std::string(relative)] = std::string(content);
  }
  std::map<std::string, std::string> files;
};

TEST(KernelFile, RereadsChangedContentThroughTheSameDescriptor) {
  test::TempDir dir;
  auto path = dir.Write("proc/loadavg", "first\n");
  KernelFile file(ProcRoot(dir / "proc", dir / "sys"), "proc", "loadavg");
  auto a = file.Read();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::string(*a), "first\n");
  {
    std::FILE* f = std::fopen(path.c_str(), "r+");
    std::fputs("second\n", f);
    std::fclose(f);
  }
  auto b = file.Read();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(std::string(*b), "second\n");
}

TEST(KernelFile, MissingFileIsReportedAsMissing) {
  test::TempDir dir;
  KernelFile file(ProcRoot(dir / "proc", dir / "sys"), "sys", "class/thermal/none");
  auto r = file.Read();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(file.missing());
  EXPECT_NE(r.error().message.find("class/thermal/none"), std::string::npos);
}

TEST(KernelFile, ContentOverTheCapIsAnError) {
  test::TempDir dir;
  dir.Write("proc/big", std::string(10000, 'x'));
  KernelFile file(ProcRoot(dir / "proc", dir / "sys"), "proc", "big", 8192);
  EXPECT_FALSE(file.Read().ok());
  KernelFile roomy(ProcRoot(dir / "proc", dir / "sys"), "proc", "big", 16384);
  auto r = roomy.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 10000u);
}

TEST(ReadWholeFile, ReportsEveryReadToTheRecorder) {
  test::TempDir dir;
  dir.Write("proc/1/stat", "1 (init) S 0");
  dir.Write("sys/x", "y");
  MapRecorder recorder;
  ProcRoot root(dir / "proc", dir / "sys", &recorder);
  ASSERT_TRUE(ReadWholeFile(root, "proc", "1/stat").ok());
  KernelFile x(root, "sys", "x");
  ASSERT_TRUE(x.Read().ok());
  EXPECT_EQ(recorder.files.at("proc/1/stat"), "1 (init) S 0");
  EXPECT_EQ(recorder.files.at("sys/x"), "y");
}

TEST(ReadWholeFile, MissingSetsTheFlag) {
  test::TempDir dir;
  bool missing = false;
  auto r = ReadWholeFile(ProcRoot(dir / "proc", dir / "sys"), "proc", "999999/stat",
                         kDefaultReadCap, &missing);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(missing);
}

}  // namespace
}  // namespace rh::collectors
