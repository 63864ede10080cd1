// rh-forensics export, diff, report, patterns and prune through the real binary.

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "forensics/bundle.h"
#include "forensics/sample_json.h"
#include "forensics/store.h"
#include "tests/forensics_cli/cli_fixture.h"
#include "tests/support/http.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class WriteTest : public CliTest {};

// What a redacted export must not contain anywhere: user names, the host name, arguments.
const std::vector<std::string> kSecrets = {
    "mallory",        "backupoperator", "db-7",          "example.org",  "sekr1t",
    "secret-project", "train.py",       "passwords.txt", "confidential", "backup-target",
    "/srv/data",      "splash",         "/sbin/init",    "api-token"};

TEST_F(WriteTest, ExportWritesOneArchiveThatVerifiesAndShows) {
  TestBundle b = MakeBundle();
  b.Write(events());
  fs::path out = dir() / "exports" / "b.tar.gz";
  fs::create_directories(out.parent_path());
  auto r = Cli({"export", b.id(), "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(out.parent_path()), fs::directory_iterator()), 1)
      << "no temporary file left";
  auto members = ReadArchive(out);
  EXPECT_EQ(members.size(), b.files.size() + 2);  // the directory and the manifest
  for (const auto& [path, content] : members) EXPECT_TRUE(path.starts_with(b.id() + "/")) << path;
  EXPECT_EQ(members[b.id() + "/summary.json"], b.files["summary.json"]);

  auto v = Cli({"verify", out.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  auto s = Cli({"show", out.string()});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("The machine froze for 3.022 s"));
  EXPECT_EQ(Cli({"replay", out.string()}).exit_code, 0);

  auto again = Cli({"export", b.id(), "-o", out.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr(out.string() + ": already exists (use --force to replace it)"));
  auto forced = Cli({"export", b.id(), "-o", out.string(), "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
}

TEST_F(WriteTest, ARedactedExportKeepsNoUserHostOrArgumentAndStillVerifies) {
  TestBundle b = MakeBundle();
  fs::path path = b.Write(events());
  // The unredacted bundle does hold every secret, so the check below means something.
  std::string everything;
  for (const auto& [p, content] : b.files) everything += content;
  everything += ReadFileOrFail(path / "manifest.json");
  for (const auto& secret : kSecrets) ASSERT_THAT(everything, HasSubstr(secret));

  fs::path out = dir() / "redacted.tar.gz";
  auto r = Cli({"export", b.id(), "-o", out.string(), "--redact"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string tar = Gunzip(ReadFileOrFail(out));  // headers and content, byte for byte
  ASSERT_GT(tar.size(), 10000u);
  for (const auto& secret : kSecrets) EXPECT_THAT(tar, Not(HasSubstr(secret))) << secret;
  for (const auto& kept : {"python3", "rsync", "cc1plus", "systemd", "io_schedule"}) {
    EXPECT_THAT(tar, HasSubstr(kept));
  }

  auto members = ReadArchive(out);
  json manifest = json::parse(members[b.id() + "/manifest.json"]);
  EXPECT_EQ(manifest["redacted"], true);
  EXPECT_THAT(manifest["host"]["hostname"].get<std::string>(), HasSubstr("redacted:"));
  json processes = json::parse(members[b.id() + "/processes.json"])["processes"];
  const json& python = processes[2];
  EXPECT_EQ(python["comm"], "python3");
  EXPECT_EQ(python["cmdline"][0], "python3") << "argv[0]'s basename is kept";
  EXPECT_THAT(python["cmdline"][1].get<std::string>(), testing::StartsWith("redacted:"));
  EXPECT_EQ(python["user"], processes[3]["user"]) << "the same user hashes the same";
  EXPECT_NE(python["user"], processes[0]["user"]);

  auto v = Cli({"verify", out.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  auto s = Cli({"show", out.string()});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_THAT(s.out, HasSubstr("redacted"));
  EXPECT_EQ(Cli({"replay", out.string()}).exit_code, 0) << "raw files hold no secrets here";

  // A fresh salt each time: the same bundle exported twice hashes differently.
  fs::path out2 = dir() / "redacted2.tar.gz";
  ASSERT_EQ(Cli({"export", b.id(), "-o", out2.string(), "--redact"}).exit_code, 0);
  EXPECT_NE(json::parse(ReadArchive(out2)[b.id() + "/manifest.json"])["host"]["hostname"],
            manifest["host"]["hostname"]);
}

TEST_F(WriteTest, ARedactedExportOfDeeplyNestedJsonIsRefusedNamingTheFile) {
  // 50,000 levels once crashed the recursive redaction (SIGSEGV).
  TestBundle b = MakeBundle();
  b.files["deep.json"] = std::string(50'000, '[') + std::string(50'000, ']');
  fs::path path = b.Write(events());
  ASSERT_EQ(Cli({"verify", b.id()}).exit_code, 0) << "the bundle itself is sound";
  fs::path out = dir() / "deep.tar.gz";
  auto r = Cli({"export", b.id(), "-o", out.string(), "--redact"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(LineCount(r.err), 1u) << r.err;
  EXPECT_THAT(r.err,
              AllOf(HasSubstr((path / "deep.json").string()),
                    HasSubstr("nested deeper than 64 levels"), HasSubstr("refusing to redact it")));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(Cli({"export", b.id(), "-o", out.string()}).exit_code, 0)
      << "exported as it is, without --redact";
}

TEST_F(WriteTest, ARedactedExportLargerThanTheReaderAcceptsIsRefused) {
  // 60 levels of arrays around 20,000 numbers: 40 kB that indentation turns into 2.5 MB (at
  // depth 20,000 it was 800 MB), more than the reader's cap lowered to 1 MiB.
  TestBundle b = MakeBundle();
  std::string numbers;
  for (int i = 0; i < 20'000; ++i) numbers += (i ? ",1" : "1");
  b.files["wide.json"] = std::string(60, '[') + numbers + std::string(60, ']');
  ASSERT_LT(b.files["wide.json"].size(), 50'000u);
  fs::path path = b.Write(events());
  fs::path out = dir() / "wide.tar.gz";
  auto r = Cli({"export", b.id(), "-o", out.string(), "--redact"}, "",
               {"RH_FORENSICS_READ_LIMITS=file_bytes=1048576"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(LineCount(r.err), 1u) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr((path / "wide.json").string()),
                           HasSubstr("larger than 1048576 bytes")));
  EXPECT_FALSE(fs::exists(out));
  auto fits = Cli({"export", b.id(), "-o", out.string(), "--redact"});
  ASSERT_EQ(fits.exit_code, 0) << fits.err;
  EXPECT_EQ(Cli({"verify", out.string()}).exit_code, 0);
}

TEST_F(WriteTest, DiffShowsNewGrownAndGoneProcessesBlockedTasksAndStress) {
  TestBundle a = MakeBundle();
  BundleOptions later;
  later.end_ns += 86400'000'000'000LL;
  later.python_rss_factor = 3;
  later.processes = DefaultProcesses();
  std::erase_if(later.processes, [](const FakeProcess& p) { return p.comm == "vim"; });
  later.processes.push_back(
      {7777, 1, "stress-ng", "stress-ng --vm 2", "root", 'R', 1.9, 3ULL << 30});
  TestBundle b = MakeBundle(later);
  std::string& blocked = b.files["blocked.json"];
  const std::string wchan = "\"wchan\": \"io_schedule\"";
  blocked.replace(blocked.find(wchan), wchan.size(), "\"wchan\": \"rwsem_down_write_slowpath\"");
  a.Write(events());
  b.Write(events());

  auto r = Cli({"diff", a.id(), b.id()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("New processes in B (1)"));
  EXPECT_THAT(r.out, HasSubstr("stress-ng"));
  EXPECT_THAT(r.out, HasSubstr("Processes whose RSS grew (1)"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("python3"), HasSubstr("100.0 MiB"), HasSubstr("300.0 MiB"),
                           HasSubstr("+200.0 MiB")));
  EXPECT_THAT(r.out, HasSubstr("Processes gone since A (1)"));
  EXPECT_THAT(r.out, HasSubstr("vim"));
  EXPECT_THAT(r.out, HasSubstr("rsync: io_schedule -> rwsem_down_write_slowpath"));
  EXPECT_THAT(r.out, HasSubstr("Dominant: A memory (31.5), B memory (31.5)"));
  EXPECT_THAT(r.out, HasSubstr("memory"));

  auto j = Cli({"diff", a.id(), b.id(), "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json d = json::parse(j.out);
  ASSERT_EQ(d["grown_processes"].size(), 1u);
  EXPECT_EQ(d["grown_processes"][0]["comm"], "python3");
  EXPECT_EQ(d["grown_processes"][0]["rss_growth_bytes"], 200ULL << 20);
  EXPECT_EQ(d["new_processes"][0]["pid"], 7777);
  EXPECT_EQ(d["gone_processes"][0]["comm"], "vim");
  EXPECT_EQ(d["blocked_moved"][0]["wchan_b"], "rwsem_down_write_slowpath");
  EXPECT_TRUE(d["stress"]["memory"]["a"].is_number());
}

TEST_F(WriteTest, ReportIsOneSelfContainedPageWithHostileNamesEscaped) {
  BundleOptions options;
  options.top_culprit = "<script>alert('x')</script>";
  options.processes = DefaultProcesses();
  options.processes.push_back(
      {666, 1, "<img src=x onerror=alert(1)>", "evil", "root", 'R', 0.5, 1 << 20});
  TestBundle b = MakeBundle(options);
  std::string& log = b.files["kernel.log"];
  log += "[ 5012.000000] </pre><iframe src=\"javascript:alert(1)\"></iframe>\n";
  b.Write(events());
  fs::path out_dir = dir() / "report";
  fs::create_directories(out_dir);
  fs::path out = out_dir / "r.html";
  auto r = Cli({"report", b.id(), "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(out_dir), fs::directory_iterator()), 1);
  const std::string html = ReadFileOrFail(out);
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("<polygon"));   // stacked components
  EXPECT_THAT(html, HasSubstr("<polyline"));  // key signals
  EXPECT_THAT(html, HasSubstr("class=\"pause\""));
  EXPECT_THAT(html, HasSubstr("memory pressure, full stall 38%"));
  EXPECT_THAT(html, HasSubstr("RSS grew by 50.0 MiB in the window"));
  EXPECT_THAT(html, HasSubstr("io_schedule+0x1c/0x50"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;/pre&gt;&lt;iframe"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<iframe")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr(" href=")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));

  auto again = Cli({"report", b.id(), "-o", out.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
}

// The x coordinates of every `<tag ... points="x,y x,y ...">` in `html`, one list per element.
std::vector<std::vector<double>> PointLists(const std::string& html, const std::string& tag) {
  std::vector<std::vector<double>> out;
  for (std::size_t at = html.find("<" + tag); at != std::string::npos;
       at = html.find("<" + tag, at + 1)) {
    const std::size_t begin = html.find("points=\"", at) + 8;
    const std::size_t end = html.find('"', begin);
    std::istringstream in(html.substr(begin, end - begin));
    std::vector<double> xs;
    std::string pair;
    while (in >> pair) xs.push_back(std::stod(pair.substr(0, pair.find(','))));
    out.push_back(std::move(xs));
  }
  return out;
}

TEST_F(WriteTest, ReportDrawsThePauseAsABandWithNoLineThroughIt) {
  TestBundle b = MakeBundle();
  b.Write(events());
  fs::path out = dir() / "r.html";
  ASSERT_EQ(Cli({"report", b.id(), "-o", out.string()}).exit_code, 0);
  const std::string html = ReadFileOrFail(out);
  const std::size_t rect = html.find("<rect class=\"pause\"");
  ASSERT_NE(rect, std::string::npos);
  const auto attribute = [&](const std::string& name) {
    const std::size_t at = html.find(name + "=\"", rect) + name.size() + 2;
    return std::stod(html.substr(at, html.find('"', at) - at));
  };
  const double band_left = attribute("x");
  const double band_right = band_left + attribute("width");
  EXPECT_THAT(html, HasSubstr("<title>frozen: nothing ran, no samples</title>"));

  std::size_t before = 0, after = 0;
  for (const std::string tag : {"polyline", "polygon"}) {
    for (const auto& xs : PointLists(html, tag)) {
      ASSERT_FALSE(xs.empty());
      // An area goes out along its top and back along its bottom: its first half is enough.
      const std::size_t n = tag == "polygon" ? xs.size() / 2 : xs.size();
      for (std::size_t i = 1; i < n; ++i) {
        EXPECT_FALSE(xs[i - 1] <= band_left && xs[i] >= band_right)
            << tag << " drawn across the pause from x=" << xs[i - 1] << " to x=" << xs[i];
      }
      if (xs[n - 1] <= band_left) ++before;
      if (xs[0] >= band_right) ++after;
    }
  }
  EXPECT_GT(before, 0u) << "samples before the pause are drawn";
  EXPECT_GT(after, 0u) << "and the capture's after it";
}

TEST_F(WriteTest, ReportWithoutSamplesSaysSo) {
  TestBundle b = MakeBundle();
  b.files.erase("samples.jsonl");
  b.files.erase("capture.json");
  b.Write(events());
  fs::path out = dir() / "r.html";
  ASSERT_EQ(Cli({"report", b.id(), "-o", out.string()}).exit_code, 0);
  EXPECT_THAT(ReadFileOrFail(out), HasSubstr("No samples in this bundle."));
}

// 2026-11-23 is a Monday.
constexpr std::int64_t kMonday1015 = 1'795'428'900'000'000'000;
constexpr std::int64_t kHour = 3600'000'000'000;

forensics::EventRecord Pause(const TestBundle& b) {
  forensics::EventRecord e;
  e.key = b.id();
  e.kind = forensics::EventKind::kPause;
  e.end_time = static_cast<double>(b.manifest.event_end_ns) / 1e9;
  e.start_time = static_cast<double>(b.manifest.event_start_ns) / 1e9;
  e.duration_seconds = b.manifest.event_duration_seconds;
  return e;
}

TEST_F(WriteTest, PatternsFindsRecurringCulpritsAndWhenPausesHappen) {
  std::vector<TestBundle> bundles;
  auto add = [&](std::int64_t end_ns, const std::string& culprit) {
    BundleOptions o;
    o.end_ns = end_ns;
    o.top_culprit = culprit;
    bundles.push_back(MakeBundle(o));
  };
  add(kMonday1015, "python3");                   // Mon 10:14
  add(kMonday1015 + kHour / 2, "python3");       // Mon 10:44
  add(kMonday1015 + 36 * kHour, "java");         // Tue 22:14
  add(kMonday1015 + 7 * 24 * kHour, "python3");  // next Mon 10:14, in the events dir only

  {
    forensics::Store::Options options;
    auto store = forensics::Store::Open((dir() / "data.db").string(), options);
    ASSERT_TRUE(store) << store.error().message;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*store)->AppendEvent(Pause(bundles[i])).ok());
    forensics::EventRecord suspend = Pause(bundles[0]);
    suspend.key = "suspend-1";
    suspend.kind = forensics::EventKind::kSuspend;
    ASSERT_TRUE((*store)->AppendEvent(suspend).ok());
    // The third bundle lives outside the events directory; its capture row says where.
    forensics::CaptureRecord capture;
    capture.event_key = bundles[2].id();
    capture.trigger = "pause";
    capture.result = "ok";
    capture.bundle_path = bundles[2].Write(dir() / "elsewhere").string();
    ASSERT_TRUE((*store)->AppendCapture(capture).ok());
  }
  bundles[0].Write(events());
  bundles[1].Write(events());
  bundles[3].Write(events());

  auto r = Cli({"patterns"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("4 events (4 pauses, 0 critical): 3 from the history, 3 bundles"));
  EXPECT_THAT(r.out, HasSubstr("Recurring culprits"));
  EXPECT_LT(r.out.find("python3"), r.out.find("java"));
  EXPECT_THAT(r.out, HasSubstr("  10  3 "));
  EXPECT_THAT(r.out, HasSubstr("  22  1 "));
  EXPECT_THAT(r.out, HasSubstr("  Mon  3 "));
  EXPECT_THAT(r.out, HasSubstr("  Tue  1 "));

  auto j = Cli({"patterns", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json p = json::parse(j.out);
  EXPECT_EQ(p["pauses"], 4);
  EXPECT_EQ(p["history_events"], 3);
  ASSERT_GE(p["culprits"].size(), 2u);
  EXPECT_EQ(p["culprits"][0]["comm"], "python3");
  EXPECT_EQ(p["culprits"][0]["top_culprit_events"], 3);
  EXPECT_EQ(p["culprits"][1]["comm"], "java");
  EXPECT_EQ(p["culprits"][1]["top_culprit_events"], 1);
  EXPECT_EQ(p["pauses_by_hour_utc"][10], 3);
  EXPECT_EQ(p["pauses_by_hour_utc"][22], 1);
  EXPECT_EQ(p["pauses_by_weekday_utc"][0]["day"], "Mon");
  EXPECT_EQ(p["pauses_by_weekday_utc"][0]["pauses"], 3);
  EXPECT_EQ(p["pauses_by_weekday_utc"][1]["pauses"], 1);
}

TEST_F(WriteTest, PatternsWithoutAHistoryUsesTheBundles) {
  MakeBundle().Write(events());
  auto r = Cli({"patterns", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no history database"));
  EXPECT_EQ(json::parse(r.out)["pauses"], 1);
  EXPECT_FALSE(fs::exists(dir() / "data.db")) << "a reader never creates the database";
}

class PruneTest : public WriteTest {
 protected:
  void SetUp() override {
    WriteTest::SetUp();
    BundleOptions old_options;
    old_options.end_ns = 1'577'836'800'000'000'000;  // 2020-01-01
    old_ = MakeBundle(old_options);
    old_.Write(events());
    BundleOptions recent;
    recent.end_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count() -
                    2 * 3600'000'000'000LL;
    recent_ = MakeBundle(recent);
    recent_.Write(events());
    fs::rename(MakeBundle(old_options).Write(dir() / "x"), events() / ".tmp-being-written");
  }
  TestBundle old_, recent_;
};

TEST_F(PruneTest, DryRunListsWhatWouldGoAndDeletesNothing) {
  auto r = Cli({"prune", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("would delete " + old_.id()));
  EXPECT_THAT(r.out, Not(HasSubstr(recent_.id())));
  EXPECT_THAT(r.out, HasSubstr("older than 90 days"));
  EXPECT_TRUE(fs::exists(events() / old_.id()));
  EXPECT_TRUE(fs::exists(events() / recent_.id()));
}

TEST_F(PruneTest, WithoutYesAndNoTerminalItRefusesAndDeletesNothing) {
  auto r = Cli({"prune"}, "y\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("stdin is not a terminal"));
  EXPECT_TRUE(fs::exists(events() / old_.id()));
  EXPECT_TRUE(fs::exists(events() / recent_.id()));
}

TEST_F(PruneTest, YesDeletesOnlyTheOldBundles) {
  auto r = Cli({"prune", "--yes"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("deleted " + old_.id()));
  EXPECT_FALSE(fs::exists(events() / old_.id()));
  EXPECT_TRUE(fs::exists(events() / recent_.id()));
  EXPECT_TRUE(fs::exists(events() / ".tmp-being-written")) << "the capture's business";
  std::size_t entries = std::distance(fs::directory_iterator(events()), fs::directory_iterator());
  EXPECT_EQ(entries, 2u);
  auto again = Cli({"prune", "--yes"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.out, HasSubstr("nothing to prune"));
}

TEST_F(PruneTest, RetentionComesFromTheConfiguration) {
  auto config = dir().Write("long.toml", "[retention]\nevents_days = 36500\n");
  auto r = test::Run({BinaryPath("forensics/cli/rh-forensics").string(), "--config",
                      config.string(), "--events-dir", events().string(), "prune", "--yes"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nothing to prune: no bundles older than 36500 days"));
  EXPECT_TRUE(fs::exists(events() / old_.id()));
}

}  // namespace
}  // namespace rh::test
