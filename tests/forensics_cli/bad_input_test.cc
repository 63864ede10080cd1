// Hostile and broken input: every refusal is one line naming the problem and the file, a
// non-zero exit, and nothing written anywhere.

#include <fstream>
#include <random>

#include "tests/forensics_cli/cli_fixture.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class BadInputTest : public CliTest {
 protected:
  // Runs show, verify and replay on `target`; each must fail with one line containing every
  // one of `expected` and the target's name, leave stdout empty and write nothing.
  void ExpectRefused(const fs::path& target, const std::vector<std::string>& expected,
                     const std::vector<std::string>& env = {}) {
    for (const char* command : {"show", "verify", "replay"}) {
      SCOPED_TRACE(command);
      const auto before = Tree();
      auto r = Cli({command, target.string()}, "", env);
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_EQ(r.out, "");
      EXPECT_EQ(LineCount(r.err), 1u) << r.err;
      EXPECT_THAT(r.err, HasSubstr(target.string()));
      for (const auto& e : expected) EXPECT_THAT(r.err, HasSubstr(e));
      EXPECT_EQ(Tree(), before) << "nothing written";
      EXPECT_FALSE(fs::exists("/tmp/evil"));
    }
  }

  fs::path Archive(const std::string& name, const std::vector<Member>& members) {
    fs::path path = dir() / name;
    WriteArchive(path, members);
    return path;
  }
};

TEST_F(BadInputTest, AMemberWithDotDotIsRefused) {
  TestBundle b = MakeBundle();
  auto members = MembersOf(b);
  members.push_back({"../evil", "pwned"});
  ExpectRefused(Archive("dotdot.tar.gz", members), {"member \"../evil\"", "\"..\""});
  members.back().path = b.id() + "/raw/../../evil";
  ExpectRefused(Archive("inner.tar.gz", members), {"\"..\" component"});
}

TEST_F(BadInputTest, AnAbsoluteMemberIsRefused) {
  auto members = MembersOf(MakeBundle());
  members.insert(members.begin() + 1, {"/tmp/evil", "pwned"});
  ExpectRefused(Archive("absolute.tar.gz", members), {"member \"/tmp/evil\" has an absolute path"});
}

TEST_F(BadInputTest, LinksDevicesAndFifosAreRefused) {
  TestBundle b = MakeBundle();
  const std::vector<std::pair<Member, std::string>> cases = {
      {{b.id() + "/kernel2.log", "/etc/passwd", Member::Type::kSymlink}, "is a symbolic link"},
      {{b.id() + "/kernel2.log", b.id() + "/kernel.log", Member::Type::kHardlink},
       "is a hard link"},
      {{b.id() + "/fifo", "", Member::Type::kFifo}, "is a FIFO"},
      {{b.id() + "/null", "", Member::Type::kCharDevice}, "is a character device"},
  };
  for (const auto& [member, why] : cases) {
    auto members = MembersOf(b);
    members.push_back(member);
    ExpectRefused(Archive("link.tar.gz", members), {"member \"" + member.path + "\"", why});
  }
}

TEST_F(BadInputTest, ADuplicateMemberIsRefused) {
  TestBundle b = MakeBundle();
  auto members = MembersOf(b);
  members.push_back({b.id() + "/summary.json", "{}"});
  ExpectRefused(Archive("dup.tar.gz", members),
                {"member \"" + b.id() + "/summary.json\" appears twice"});
}

TEST_F(BadInputTest, MembersOutsideTheOneBundleDirectoryAreRefused) {
  auto members = MembersOf(MakeBundle());
  members.push_back({"other/file", "x"});
  ExpectRefused(Archive("two.tar.gz", members), {"member \"other/file\" is outside the bundle"});
}

TEST_F(BadInputTest, AHugeMemberStopsAtTheCap) {
  TestBundle b = MakeBundle();
  auto members = MembersOf(b);
  members.push_back({b.id() + "/huge", "", Member::Type::kFile, 64ULL << 20});
  fs::path archive = Archive("huge.tar.gz", members);
  EXPECT_LT(fs::file_size(archive), 1u << 20) << "zeros compress to almost nothing";
  ExpectRefused(archive, {"member \"" + b.id() + "/huge\" is larger than 1048576 bytes"},
                {"RH_FORENSICS_READ_LIMITS=file_bytes=1048576"});
}

TEST_F(BadInputTest, TooManyBytesInAllStopAtTheCap) {
  TestBundle b = MakeBundle();
  auto members = MembersOf(b);
  for (int i = 0; i < 4; ++i) {
    members.push_back({b.id() + "/big" + std::to_string(i), "", Member::Type::kFile, 400ULL << 10});
  }
  ExpectRefused(Archive("total.tar.gz", members), {"more than 1048576 bytes uncompressed"},
                {"RH_FORENSICS_READ_LIMITS=total_bytes=1048576"});
}

TEST_F(BadInputTest, TooManyMembersStopAtTheCap) {
  TestBundle b = MakeBundle();
  auto members = MembersOf(b);
  ASSERT_GT(members.size(), 10u);
  ExpectRefused(Archive("many.tar.gz", members), {"more than 10 members"},
                {"RH_FORENSICS_READ_LIMITS=files=10"});
}

TEST_F(BadInputTest, ADecompressionBombIsRefusedWithTheDefaultLimits) {
  TestBundle b = MakeBundle();
  auto members = MembersOf(b);
  members.push_back({b.id() + "/bomb", "", Member::Type::kFile, 40ULL << 20});
  ExpectRefused(Archive("bomb.tar.gz", members), {"decompression bomb"});
}

TEST_F(BadInputTest, ATruncatedArchiveIsRefused) {
  fs::path good = Archive("good.tar.gz", MembersOf(MakeBundle()));
  std::string bytes = ReadFileOrFail(good);
  fs::path cut = dir() / "cut.tar.gz";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  ExpectRefused(cut, {"truncated or corrupt archive"});
}

TEST_F(BadInputTest, RandomBytesAreNotAnArchive) {
  std::mt19937 random(42);
  std::string bytes(4096, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  fs::path file = dir() / "random.tar.gz";
  std::ofstream(file, std::ios::binary) << bytes;
  ExpectRefused(file, {"not a tar or tar.gz archive"});
}

TEST_F(BadInputTest, AValidArchiveOfSomethingElseIsNotABundle) {
  fs::path file = Archive("photos.tar.gz",
                          {{"photos/", "", Member::Type::kDirectory}, {"photos/cat.txt", "meow"}});
  ExpectRefused(file, {"not a bundle (no photos/manifest.json)"});
  fs::path empty = Archive("empty.tar.gz", {});
  ExpectRefused(empty, {"not a bundle (empty archive)"});
}

TEST_F(BadInputTest, AnUnknownFormatVersionIsNamed) {
  TestBundle b = MakeBundle();
  fs::path path = b.Write(events());
  std::string manifest = ReadFileOrFail(path / "manifest.json");
  manifest.replace(manifest.find("\"format_version\": 1"), 19, "\"format_version\": 99");
  std::ofstream(path / "manifest.json", std::ios::binary | std::ios::trunc) << manifest;
  ExpectRefused(path, {"manifest.json: unknown bundle format version 99"});

  std::vector<Member> members = {{b.id() + "/manifest.json", manifest}};
  for (const auto& [p, c] : b.files) members.push_back({b.id() + "/" + p, c});
  fs::path archive = Archive("v99.tar.gz", members);
  ExpectRefused(archive, {archive.string() + ":" + b.id() +
                          "/manifest.json: unknown bundle format version 99"});
}

TEST_F(BadInputTest, AGarbledManifestIsNamed) {
  TestBundle b = MakeBundle();
  fs::path path = b.Write(events());
  std::ofstream(path / "manifest.json", std::ios::binary | std::ios::trunc)
      << "{\"format_version\": 1,";
  ExpectRefused(path, {(path / "manifest.json").string() + ": not valid JSON"});
}

TEST_F(BadInputTest, ANumberTooLargeForADoubleIsNamedWithItsField) {
  TestBundle b = MakeBundle();
  fs::path path = b.Write(events());
  std::string manifest = ReadFileOrFail(path / "manifest.json");
  const std::string page = "\"page_size\": 4096";
  ASSERT_NE(manifest.find(page), std::string::npos);
  manifest.replace(manifest.find(page), page.size(), "\"page_size\": 1e999");
  std::ofstream(path / "manifest.json", std::ios::binary | std::ios::trunc) << manifest;
  ExpectRefused(path, {(path / "manifest.json").string() + ": not valid JSON at host.page_size",
                       "number overflow parsing '1e999'"});

  std::vector<Member> members = {{b.id() + "/manifest.json", manifest}};
  for (const auto& [p, c] : b.files) members.push_back({b.id() + "/" + p, c});
  fs::path archive = Archive("overflow.tar.gz", members);
  ExpectRefused(archive, {archive.string() + ":" + b.id() + "/manifest.json: not valid JSON"});
}

TEST_F(BadInputTest, EveryJsonFileOfABundleIsReadWithoutAborting) {
  // Each file that show reads, with a number out of range, in a bundle that verifies.
  for (const std::string file :
       {"summary.json", "processes.json", "blocked.json", "capture.json"}) {
    SCOPED_TRACE(file);
    TestBundle b = MakeBundle();
    std::string& text = b.files.at(file);
    const std::size_t colon = text.find("\": ");
    ASSERT_NE(colon, std::string::npos);
    text.insert(colon + 3, "-1e999, \"x\": ");
    fs::path path = b.Write(events());
    for (const char* command : {"show", "report"}) {
      std::vector<std::string> args = {command, b.id()};
      if (std::string(command) == "report")
        args.insert(args.end(), {"-o", (dir() / "r.html").string()});
      auto r = Cli(args);
      EXPECT_EQ(r.exit_code, 1) << command << ": " << r.out << r.err;
      EXPECT_EQ(LineCount(r.err), 1u) << r.err;
      EXPECT_THAT(r.err, AllOf(HasSubstr((path / file).string() + ": not valid JSON"),
                               HasSubstr("number overflow")));
    }
    fs::remove_all(path);
  }
}

// Bytes a terminal acts on: ESC (sequences that retitle or clear it), BEL, C1 controls.
bool HasTerminalControl(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      return true;
    }
  }
  return false;
}

TEST_F(BadInputTest, TextFromABundleNeverReachesTheTerminalRaw) {
  const std::string clear = "\x1b[2J\x1b]0;pwned\x07";
  const std::string c1 = "\xc2\x9b";  // CSI as a C1 control (the archive writer refuses it)
  TestBundle b = MakeBundle();

  // An id with control characters is refused, and the message escapes them.
  fs::path path = b.Write(events());
  std::string manifest = ReadFileOrFail(path / "manifest.json");
  const std::string id = "\"id\": \"" + b.id() + "\"";
  manifest.replace(manifest.find(id), id.size(), "\"id\": \"x\\u001b[2Jx\"");
  std::ofstream(path / "manifest.json", std::ios::binary | std::ios::trunc) << manifest;
  ExpectRefused(path, {"id \"x\\x1b[2Jx\" is not a bundle id"});

  // A manifest of garbage: the JSON library quotes what it read.
  std::ofstream(path / "manifest.json", std::ios::binary | std::ios::trunc) << "{" + clear;
  ExpectRefused(path, {"not valid JSON"});

  // Archive member names and the archive's directory, in every message.
  std::vector<std::vector<Member>> archives = {
      {{clear + "/", "", Member::Type::kDirectory}, {clear + "/manifest.json", "{" + clear}},
      {{b.id() + "/", "", Member::Type::kDirectory}, {b.id() + "/../" + clear, "x"}},
      {{b.id() + "/manifest.json", b.ManifestJson()}, {clear + "/x", "x"}},
  };
  for (std::size_t i = 0; i < archives.size(); ++i) {
    fs::path archive = Archive("control" + std::to_string(i) + ".tar.gz", archives[i]);
    for (const char* command : {"show", "verify", "replay", "export", "report"}) {
      SCOPED_TRACE(std::string(command) + " " + std::to_string(i));
      std::vector<std::string> args = {command, archive.string()};
      if (args[0] == "export" || args[0] == "report") {
        args.insert(args.end(), {"-o", (dir() / "out").string()});
      }
      auto r = Cli(args);
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_EQ(LineCount(r.err), 1u) << r.err;
      EXPECT_FALSE(HasTerminalControl(r.err)) << r.err;
      EXPECT_FALSE(HasTerminalControl(r.out)) << r.out;
      EXPECT_THAT(r.err, HasSubstr("\\x1b[2J"));
    }
  }

  // In a bundle that reads, what verify prints about an extra file.
  fs::remove_all(path);
  path = b.Write(events());
  std::ofstream(path / ("extra" + clear + c1)) << "x";
  auto v = Cli({"verify", b.id()});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_FALSE(HasTerminalControl(v.out)) << v.out;
  EXPECT_FALSE(HasTerminalControl(v.err)) << v.err;
  EXPECT_THAT(v.out, HasSubstr("extra\\x1b[2J"));
}

TEST_F(BadInputTest, APathThatIsNotABundleIsNamed) {
  fs::create_directories(dir() / "not-a-bundle");
  ExpectRefused(dir() / "not-a-bundle", {"not a bundle (no manifest.json)"});
  auto r = Cli({"show", "20200101T000000.000Z-pause"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(LineCount(r.err), 1u);
  EXPECT_THAT(r.err, AllOf(HasSubstr("20200101T000000.000Z-pause"), HasSubstr("no such bundle"),
                           HasSubstr(events().string())));
  auto d = Cli({"show", "/dev/null"});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_THAT(d.err, HasSubstr("/dev/null: not a bundle directory or archive"));
}

TEST_F(BadInputTest, ExportAndReportWriteNothingForABadBundle) {
  TestBundle b = MakeBundle();
  fs::path path = b.Write(events());
  std::ofstream(path / "summary.json", std::ios::app) << " ";
  const auto before = Tree();
  auto e = Cli({"export", b.id(), "-o", (dir() / "out.tar.gz").string()});
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(LineCount(e.err), 1u) << e.err;
  EXPECT_THAT(e.err, AllOf(HasSubstr("does not verify"), HasSubstr("summary.json")));
  fs::path bad = Archive("bad.tar.gz", {{"x/../../evil", "x"}});
  auto r = Cli({"report", bad.string(), "-o", (dir() / "out.html").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(LineCount(r.err), 1u) << r.err;
  auto after = Tree();
  after.erase((dir() / "bad.tar.gz").string());
  EXPECT_EQ(after, before);
}

}  // namespace
}  // namespace rh::test
