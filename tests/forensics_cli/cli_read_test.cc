// rh-forensics list, show, verify and replay through the real binary.

#include <signal.h>
#include <string.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "forensics/bundle.h"
#include "tests/forensics_cli/cli_fixture.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ReadTest : public CliTest {};

void FlipByte(const fs::path& file, std::size_t offset) {
  std::string text = ReadFileOrFail(file);
  ASSERT_LT(offset, text.size());
  text[offset] ^= 0x20;
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

TEST_F(ReadTest, ListShowsEachBundleWithItsTopCulpritAndSkipsOnesBeingWritten) {
  TestBundle a = MakeBundle();
  BundleOptions later;
  later.end_ns += 3600'000'000'000LL;
  later.trigger = "critical";
  later.top_culprit = "java";
  TestBundle b = MakeBundle(later);
  a.Write(events());
  b.Write(events());
  BundleOptions writing;
  writing.end_ns = later.end_ns + 1'000'000'000;
  fs::rename(MakeBundle(writing).Write(events()), events() / ".tmp-20261123T112504.812Z-pause");

  auto r = Cli({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr(a.id()), HasSubstr(b.id()), HasSubstr("pause"),
                           HasSubstr("critical"), HasSubstr("3.022 s"), HasSubstr("python3 (612)"),
                           HasSubstr("java (612)"), HasSubstr("KiB"), Not(HasSubstr(".tmp"))));
  EXPECT_LT(r.out.find(a.id()), r.out.find(b.id())) << "oldest first";

  auto j = Cli({"list", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json list = json::parse(j.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], a.id());
  EXPECT_EQ(list[0]["trigger"], "pause");
  EXPECT_DOUBLE_EQ(list[0]["duration_seconds"].get<double>(), 3.022);
  EXPECT_EQ(list[0]["top_culprit"]["comm"], "python3");
  EXPECT_EQ(list[0]["top_culprit"]["pid"], 612);
  EXPECT_GT(list[0]["size_bytes"].get<std::uint64_t>(), 1000u);
  EXPECT_EQ(list[1]["trigger"], "critical");
}

TEST_F(ReadTest, ListOfAnEmptyOrMissingDirectorySaysSo) {
  auto r = Cli({"list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("no bundles"));
  auto j = Cli({"--events-dir", (dir() / "nowhere").string(), "list", "--format", "json"});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out), json::array());
}

TEST_F(ReadTest, ShowExplainsWhatFrozeTheStressTheCulpritsBlockedTasksAndKernelLog) {
  TestBundle b = MakeBundle();
  b.Write(events());
  auto r = Cli({"show", b.id()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("The machine froze for 3.022 s"));
  EXPECT_THAT(r.out,
              HasSubstr("Dominant stress: memory pressure, full stall 38% (memory, 31.5 points)"));
  EXPECT_THAT(r.out, HasSubstr("Stress at capture: score"));
  EXPECT_THAT(r.out, HasSubstr("Stress score before the event: 12.5"));
  EXPECT_THAT(r.out, HasSubstr("Capture notes:\n  journal.log: truncated at its size cap\n"));
  EXPECT_THAT(r.out, HasSubstr("1. python3 (pid 612) score 0.87, session-2.scope"));
  EXPECT_THAT(r.out, HasSubstr("RSS grew by 50.0 MiB in the window [rss_growth]"));
  EXPECT_THAT(r.out, HasSubstr("2. rsync (pid 2950)"));
  EXPECT_THAT(r.out, HasSubstr("pid 2950 rsync in io_schedule, blocked 12.5 s"));
  EXPECT_THAT(r.out, HasSubstr("[<0>] folio_wait_bit_common+0x131/0x300"));
  EXPECT_THAT(r.out, HasSubstr("INFO: task rsync:2950 blocked for more than 120 seconds."));
  EXPECT_THAT(r.out, HasSubstr("Top by memory"));
  EXPECT_EQ(r.err, "");
}

TEST_F(ReadTest, ShowAsJsonCarriesTheSummaryBlockedTasksAndKernelLog) {
  TestBundle b = MakeBundle();
  fs::path path = b.Write(events());
  auto r = Cli({"show", path.string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["id"], b.id());
  EXPECT_EQ(j["verified"], true);
  EXPECT_EQ(j["manifest"]["host"]["hostname"], "db-7.example.org");
  EXPECT_EQ(j["summary"]["culprits"][0]["comm"], "python3");
  EXPECT_EQ(j["summary"]["dominant"]["component"], "memory");
  EXPECT_EQ(j["blocked"]["tasks"][0]["wchan"], "io_schedule");
  EXPECT_EQ(j["kernel_log"][0],
            "2026-11-23T10:24:58.211Z [ 5010.101010] err: INFO: task rsync:2950 blocked for more "
            "than 120 seconds.");
  EXPECT_GT(j["stress"]["score"].get<double>(), 0);
}

TEST_F(ReadTest, ShowNeutralisesTerminalEscapesInProcessNames) {
  BundleOptions options;
  options.top_culprit = "\x1b]0;owned\x07\x1b[2Jx\ny";
  TestBundle b = MakeBundle(options);
  b.Write(events());
  auto r = Cli({"show", b.id()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_EQ(r.out.find('\x07'), std::string::npos);
  EXPECT_THAT(r.out, HasSubstr("\\x1b]0;owned\\x07\\x1b[2Jx\\x0ay (pid 612)"));
  auto list = Cli({"list"});
  EXPECT_EQ(list.out.find('\x1b'), std::string::npos);
}

TEST_F(ReadTest, VerifyPassesOnAGoodBundleDirectoryAndArchive) {
  TestBundle b = MakeBundle();
  b.Write(events());
  auto r = Cli({"verify", b.id()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("OK"));
  EXPECT_THAT(r.out, HasSubstr(std::to_string(b.files.size()) + " files match the manifest"));

  fs::path archive = dir() / "b.tar.gz";
  WriteArchive(archive, MembersOf(b));
  auto a = Cli({"verify", archive.string()});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.out, HasSubstr("OK " + archive.string()));
}

TEST_F(ReadTest, VerifyNamesAFlippedByteARemovedFileAndAnAddedFile) {
  TestBundle b = MakeBundle();
  fs::path path = b.Write(events());
  FlipByte(path / "raw/1/proc/meminfo", 20);
  auto flipped = Cli({"verify", b.id()});
  EXPECT_EQ(flipped.exit_code, 1);
  EXPECT_THAT(flipped.out, HasSubstr("altered: " + (path / "raw/1/proc/meminfo").string() +
                                     ": SHA-256 differs from the manifest"));
  EXPECT_EQ(LineCount(flipped.err), 1u) << flipped.err;
  EXPECT_THAT(flipped.err, HasSubstr("raw/1/proc/meminfo"));

  FlipByte(path / "raw/1/proc/meminfo", 20);  // back
  fs::remove(path / "kernel.log");
  auto removed = Cli({"verify", path.string()});
  EXPECT_EQ(removed.exit_code, 1);
  EXPECT_THAT(removed.out, HasSubstr("missing: " + (path / "kernel.log").string()));
  EXPECT_THAT(removed.err, HasSubstr("missing kernel.log"));

  std::ofstream(path / "kernel.log") << b.files["kernel.log"];
  std::ofstream(path / "raw/0/proc/evil") << "planted";
  auto added = Cli({"verify", path.string()});
  EXPECT_EQ(added.exit_code, 1);
  EXPECT_THAT(added.out, HasSubstr("extra: " + (path / "raw/0/proc/evil").string() +
                                   ": present but not listed in the manifest"));

  fs::remove(path / "raw/0/proc/evil");
  fs::create_symlink("/etc/passwd", path / "summary2.json");
  auto linked = Cli({"verify", path.string()});
  EXPECT_EQ(linked.exit_code, 1);
  EXPECT_THAT(linked.out, HasSubstr("not a file: " + (path / "summary2.json").string()));

  fs::remove(path / "summary2.json");
  EXPECT_EQ(Cli({"verify", path.string()}).exit_code, 0);
}

TEST_F(ReadTest, VerifyNamesAFlippedByteARemovedFileAndAnAddedFileInAnArchive) {
  TestBundle b = MakeBundle();
  const std::string manifest = b.ManifestJson();
  auto members = [&](auto change) {
    std::vector<Member> list = {{b.id() + "/manifest.json", manifest}};
    for (const auto& [path, content] : b.files) list.push_back({b.id() + "/" + path, content});
    change(list);
    return list;
  };
  fs::path flipped = dir() / "flipped.tar.gz";
  WriteArchive(flipped, members([](std::vector<Member>& l) {
                 for (auto& m : l) {
                   if (m.path.ends_with("/summary.json")) m.content[10] ^= 1;
                 }
               }));
  auto f = Cli({"verify", flipped.string()});
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_THAT(f.out, HasSubstr("altered: " + flipped.string() + ":" + b.id() + "/summary.json"));

  fs::path removed = dir() / "removed.tar.gz";
  WriteArchive(removed, members([](std::vector<Member>& l) {
                 std::erase_if(l,
                               [](const Member& m) { return m.path.ends_with("/blocked.json"); });
               }));
  auto r = Cli({"verify", removed.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("missing: " + removed.string() + ":" + b.id() + "/blocked.json"));

  fs::path added = dir() / "added.tar.gz";
  WriteArchive(added, members([&](std::vector<Member>& l) {
                 l.push_back({b.id() + "/notes.txt", "x"});
               }));
  auto a = Cli({"verify", added.string()});
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_THAT(a.out, HasSubstr("extra: " + added.string() + ":" + b.id() + "/notes.txt"));
}

TEST_F(ReadTest, ReplayAgreesWithWhatTheCaptureRecorded) {
  TestBundle b = MakeBundle();
  b.Write(events());
  auto r = Cli({"replay", b.id()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("AGREES"));
  EXPECT_THAT(r.out, HasSubstr("pass 1 (raw/1)"));
  EXPECT_TRUE(fs::is_empty(tmp())) << "the private directory is removed";

  auto j = Cli({"replay", b.id(), "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json result = json::parse(j.out);
  EXPECT_EQ(result["agrees"], true);
  EXPECT_GT(result["compared"].get<int>(), 200);
  EXPECT_EQ(result["passes"].size(), 2u);
  // The second pass has rates: swap-in and major faults between the passes score memory.
  EXPECT_GT(result["passes"][1]["replayed"]["signals"]["major_faults_per_second"].get<double>(), 0);
}

TEST_F(ReadTest, ReplayOfAnArchiveAgreesToo) {
  TestBundle b = MakeBundle();
  fs::path archive = dir() / "b.tar.gz";
  WriteArchive(archive, MembersOf(b));
  auto r = Cli({"replay", archive.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(fs::is_empty(tmp()));
}

class ReplayKillTest : public CliTest {
 protected:
  // rh-forensics replay of a bundle with 10,000 extra raw files, so that staging them takes long
  // enough to be interrupted; started in the background with the test's TMPDIR.
  void SetUp() override {
    CliTest::SetUp();
    TestBundle b = MakeBundle();
    for (int i = 0; i < 10'000; ++i) b.files["raw/0/proc/junk/" + std::to_string(i)] = "x";
    id_ = b.id();
    b.Write(events());
  }

  Subprocess StartReplay() const {
    Subprocess::Options options;
    options.env = {"TMPDIR=" + tmp().string()};
    return Subprocess::Start(
        {BinaryPath("forensics/cli/rh-forensics").string(), "--events-dir", events().string(),
         "--config", (dir() / "config.toml").string(), "replay", id_},
        options);
  }

  // The replay directories in TMPDIR, hidden ones included.
  std::vector<fs::path> ReplayDirs() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(tmp())) {
      if (e.path().filename().string().find("rh-replay-") != std::string::npos) {
        out.push_back(e.path());
      }
    }
    return out;
  }

  // Starts a replay and waits until it works in its directory (named "rh-replay-*" once it is
  // locked; ".rh-replay-*" before).
  Subprocess StartedReplay() const {
    Subprocess p = StartReplay();
    auto working = [&] {
      for (const auto& d : ReplayDirs()) {
        if (d.filename().string().starts_with("rh-replay-")) return true;
      }
      return false;
    };
    EXPECT_TRUE(WaitUntil([&] { return working() || !p.Running(); }, 60s, 1ms));
    EXPECT_EQ(ReplayDirs().size(), 1u);
    return p;
  }

  std::string id_;
};

TEST_F(ReplayKillTest, ASignalMidRunRemovesTheTemporaryDirectory) {
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    SCOPED_TRACE(sigabbrev_np(signal));
    Subprocess p = StartedReplay();
    ASSERT_TRUE(p.Running()) << "finished before it could be interrupted";
    p.Signal(signal);
    EXPECT_EQ(p.WaitExit(30s), 128 + signal) << "dies of the signal, as without the clean-up";
    EXPECT_TRUE(ReplayDirs().empty()) << ReplayDirs().front();
  }
}

TEST_F(ReplayKillTest, TheNextRunRemovesWhatAKilledRunLeft) {
  Subprocess p = StartedReplay();
  ASSERT_TRUE(p.Running());
  p.Signal(SIGKILL);
  EXPECT_EQ(p.WaitExit(30s), 128 + SIGKILL);
  const auto left = ReplayDirs();
  ASSERT_EQ(left.size(), 1u) << "nothing runs on SIGKILL";
  auto next = Cli({"replay", id_});
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_TRUE(ReplayDirs().empty()) << "the dead run's directory is gone";
}

TEST_F(ReadTest, ReplayDisagreesWhenARawFileWasAlteredWithItsManifest) {
  TestBundle b = MakeBundle();
  std::string& meminfo = b.files["raw/1/proc/meminfo"];
  std::size_t at = meminfo.find("MemAvailable:");
  ASSERT_NE(at, std::string::npos);
  meminfo.replace(at, meminfo.find('\n', at) - at, "MemAvailable:     1234567 kB");
  b.Write(events());
  ASSERT_EQ(Cli({"verify", b.id()}).exit_code, 0) << "the manifest matches the altered file";
  auto r = Cli({"replay", b.id()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("DIFFERS"));
  EXPECT_THAT(r.out, HasSubstr("pass 1 sample.meminfo.available: recorded "));
  EXPECT_THAT(r.out, HasSubstr("replayed 1264196608"));
  EXPECT_EQ(LineCount(r.err), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("replay differs from capture.json"));
}

TEST_F(ReadTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Cli({}).exit_code, 2);
  EXPECT_EQ(Cli({"show"}).exit_code, 2);
  EXPECT_EQ(Cli({"list", "--format", "yaml"}).exit_code, 2);
  EXPECT_EQ(Cli({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Cli({"export", "x"}).exit_code, 2) << "-o is required";
}

TEST_F(ReadTest, AnExplicitConfigurationThatIsMissingIsAnError) {
  auto r = test::Run({BinaryPath("forensics/cli/rh-forensics").string(), "--config",
                      (dir() / "missing.toml").string(), "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.toml"));
}

TEST_F(ReadTest, TheConfigurationNamesTheEventsDirectory) {
  TestBundle b = MakeBundle();
  b.Write(dir() / "configured");
  auto config = dir().Write(
      "c.toml", "[forensics]\nevents_dir = \"" + (dir() / "configured").string() + "\"\n");
  auto r = test::Run(
      {BinaryPath("forensics/cli/rh-forensics").string(), "--config", config.string(), "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(b.id()));
}

}  // namespace
}  // namespace rh::test
