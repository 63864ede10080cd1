// A bundle written by the first release of the format (tests/fixtures/bundles/format1-pause.tar.gz:
// a 1.5 s SIGSTOP of a daemon reading the fixture tree, exported with `rh-forensics export`)
// must keep verifying, showing and replaying with every later build: fields added to the sample
// since then are absent from it and must not count as differences.

#include "tests/forensics_cli/cli_fixture.h"

namespace rh::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class OldBundleTest : public CliTest {
 protected:
  static std::string Archive() { return (FixturesDir() / "bundles/format1-pause.tar.gz").string(); }
};

TEST_F(OldBundleTest, AFormat1BundleStillVerifies) {
  auto r = Cli({"verify", Archive()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("56 files match the manifest"));
}

TEST_F(OldBundleTest, AFormat1BundleStillShows) {
  auto r = Cli({"show", Archive()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Bundle 20261129T003706.686Z-pause (pause)"));
  EXPECT_THAT(r.out, HasSubstr("1. rsync (pid 2950)"));
  // It does not record what froze: it must not claim the machine did.
  EXPECT_THAT(r.out, HasSubstr("this bundle predates pause scopes"));
  EXPECT_THAT(r.out, Not(HasSubstr("machine froze")));
  auto json = Cli({"show", "--format", "json", Archive()});
  EXPECT_EQ(json.exit_code, 0) << json.err;
}

TEST_F(OldBundleTest, AFormat1BundleStillReplays) {
  auto r = Cli({"replay", Archive()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("AGREES"));
  EXPECT_THAT(r.out, Not(HasSubstr("DIFFERS")));
  // Fields added since (the page-cache refaults) are skipped, and said so.
  EXPECT_THAT(r.out, HasSubstr("are not in the bundle (added since it was written)"));
}

}  // namespace
}  // namespace rh::test
