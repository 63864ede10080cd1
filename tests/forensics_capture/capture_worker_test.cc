#include "forensics/capture/capture_worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "analysis/stress.h"
#include "collectors/collector.h"
#include "collectors/process.h"
#include "forensics/bundle.h"
#include "forensics/sample_json.h"
#include "forensics/store.h"
#include "tests/collectors/child_process.h"
#include "tests/forensics_capture/proc_helpers.h"
#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::forensics {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Read(const fs::path& p) { return rh::test::ReadFileOrFail(p); }

unsigned Mode(const fs::path& p) {
  struct stat st;
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_mode;
}

// Every regular file below `dir` by relative path; fails on anything else (a symlink, a FIFO).
std::map<std::string, std::string> Files(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const unsigned mode = Mode(e.path());
    if (S_ISDIR(mode)) {
      EXPECT_EQ(mode & 07777, 0700u) << e.path();
      continue;
    }
    EXPECT_TRUE(S_ISREG(mode)) << e.path();
    EXPECT_EQ(mode & 07777, 0600u) << e.path();
    out[fs::relative(e.path(), dir).string()] = Read(e.path());
  }
  return out;
}

// Checks the bundle against its manifest: every file listed with the right size and SHA-256,
// nothing missing or extra. Returns the manifest.
Manifest Verify(const fs::path& bundle) {
  auto manifest = ParseManifest(Read(bundle / "manifest.json"), "manifest.json");
  EXPECT_TRUE(manifest.ok()) << manifest.error().message;
  if (!manifest.ok()) return {};
  auto files = Files(bundle);
  files.erase("manifest.json");
  std::set<std::string> listed;
  for (const auto& f : manifest->files) {
    listed.insert(f.path);
    auto it = files.find(f.path);
    if (it == files.end()) {
      ADD_FAILURE() << "listed but missing: " << f.path;
      continue;
    }
    EXPECT_EQ(f.size, it->second.size()) << f.path;
    EXPECT_EQ(f.sha256, Sha256Hex(it->second)) << f.path;
  }
  for (const auto& [path, content] : files) EXPECT_TRUE(listed.contains(path)) << "extra: " << path;
  EXPECT_TRUE(std::is_sorted(manifest->files.begin(), manifest->files.end(),
                             [](const auto& a, const auto& b) { return a.path < b.path; }));
  EXPECT_EQ(manifest->id, bundle.filename().string());
  return *manifest;
}

std::int64_t Millis(std::int64_t ns) { return ns / 1'000'000 * 1'000'000; }

// A daemon-like setup: configuration with the events directory in a temp dir, a fake clock,
// a flight recorder with a few real passes.
struct Machine {
  rh::test::TempDir dir;
  rh::test::FakeClock clock;
  config::Config config = [this] {
    config::Config c = config::Defaults();
    c.forensics.events_dir = (dir / "events").string();
    c.suspects.patterns = {"rh-suspect"};
    return c;
  }();
  FlightRecorder recorder;
  CaptureStats stats;

  CaptureOptions Options() const {
    CaptureOptions o;
    o.software_version = "0.1.0-test";
    o.software_revision = "abc123";
    o.journalctl = "";
    return o;
  }

  // Options over the committed fixture tree, without kernel log or journal: fast and
  // deterministic.
  CaptureOptions FixtureOptions() const {
    CaptureOptions o = Options();
    o.root =
        collectors::ProcRoot(rh::test::FixturesDir() / "proc", rh::test::FixturesDir() / "sys");
    o.kmsg = dir / "no-kmsg";
    return o;
  }

  // `n` sampler passes over the real machine, 5 s of fake time apart, into the recorder.
  void Record(int n, std::vector<std::int32_t> blocked_pids = {}) {
    collectors::CollectorOptions options;
    auto list = collectors::MakeCollectors(collectors::ProcRoot(), options);
    analysis::StressState state;
    std::shared_ptr<const analysis::ScoredSample> previous;
    for (int i = 0; i < n; ++i) {
      auto pass = std::make_shared<analysis::ScoredSample>();
      pass->sequence = static_cast<std::uint64_t>(i + 1);
      collectors::CollectAll(list, clock, pass->sample);
      for (auto pid : blocked_pids) pass->sample.processes.blocked.push_back({pid, "x", "w"});
      pass->assessment = analysis::Assess(config.stress, previous ? &previous->sample : nullptr,
                                          pass->sample, 0, state);
      pass->interval_seconds = 5;
      recorder.Push(pass);
      previous = pass;
      clock.AdvanceSeconds(5);
    }
  }

  // A pause of `seconds` that ended now.
  CaptureRequest Pause(double seconds = 3, CaptureTrigger trigger = CaptureTrigger::kPause) {
    const auto now = clock.Now();
    return CaptureRequest::For(trigger, now.realtime_ns - static_cast<std::int64_t>(seconds * 1e9),
                               now.realtime_ns, now.monotonic_ns, 12.5);
  }
};

TEST(CaptureWorker, ARealCaptureIsACompleteVerifiableBundle) {
  Machine s;
  const std::string hostile = ") R 1 (\n\"\\";
  rh::test::WaitingChild named(hostile);
  test::VforkBlocked blocked;
  s.Record(4, {blocked.pid()});
  StorageStats storage;
  HistoryWriter history((s.dir / "data.db").string(), s.config.retention, s.clock, storage);
  history.Start();
  CaptureWorker worker(s.config, s.Options(), s.clock, s.recorder, s.stats, &history);
  const CaptureRequest request = s.Pause(3);
  const CaptureOutcome outcome = worker.CaptureNow(request);
  ASSERT_EQ(outcome.result, CaptureResult::kOk) << outcome.error;
  EXPECT_EQ(outcome.id, request.id);
  EXPECT_EQ(outcome.path, s.dir / "events" / request.id);
  EXPECT_DOUBLE_EQ(outcome.duration_seconds, 0.5) << "fake time: only the gap between passes";

  const Manifest m = Verify(outcome.path);
  EXPECT_EQ(m.trigger, "pause");
  EXPECT_EQ(m.event_kind, "pause");
  EXPECT_EQ(m.event_start_ns, Millis(request.start_realtime_ns));
  EXPECT_EQ(m.event_end_ns, Millis(request.end_realtime_ns));
  EXPECT_DOUBLE_EQ(m.event_duration_seconds, 3);
  EXPECT_EQ(m.boot_id, [] {
    std::string id = Read(collectors::ProcRoot().Proc("sys/kernel/random/boot_id"));
    return id.substr(0, id.find('\n'));
  }());
  EXPECT_FALSE(m.hostname.empty());
  EXPECT_FALSE(m.kernel.empty());
  EXPECT_EQ(m.page_size, static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(m.clock_ticks_per_second, static_cast<std::uint32_t>(sysconf(_SC_CLK_TCK)));
  EXPECT_EQ(m.software_version, "0.1.0-test");
  EXPECT_EQ(m.software_revision, "abc123");
  EXPECT_EQ(m.config_digest, "sha256:" + Sha256Hex(config::ToToml(s.config)));
  std::set<std::string> paths;
  for (const auto& f : m.files) paths.insert(f.path);
  for (auto name : {kSummaryFile, kSamplesFile, kCaptureFile, kProcessesFile, kBlockedFile}) {
    EXPECT_TRUE(paths.contains(std::string(name))) << name;
  }
  EXPECT_TRUE(paths.contains("raw/0/proc/loadavg"));
  EXPECT_TRUE(paths.contains("raw/1/proc/meminfo"));
  EXPECT_TRUE(paths.contains("raw/1/proc/" + std::to_string(getpid()) + "/stat"));
  EXPECT_FALSE(paths.contains(std::string(kJournalFile)));
  if (geteuid() == 0) {
    EXPECT_TRUE(paths.contains(std::string(kKernelLogFile)));
  }
  std::uint64_t total = Read(outcome.path / "manifest.json").size();
  for (const auto& f : m.files) total += f.size;
  EXPECT_EQ(outcome.bytes, total);

  // capture.json: both passes, readable as sampler passes.
  auto capture = json::parse(Read(outcome.path / "capture.json"));
  ASSERT_EQ(capture["passes"].size(), 2u);
  for (const auto& p : capture["passes"]) ASSERT_TRUE(ScoredSampleFromJson(p).ok());
  EXPECT_EQ(capture["collector_options"]["top_n"], s.config.sampling.top_processes);

  // samples.jsonl: the flight recorder's window, one pass per line.
  std::istringstream lines(Read(outcome.path / "samples.jsonl"));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ASSERT_TRUE(ScoredSampleFromJson(json::parse(line)).ok());
    ++count;
  }
  EXPECT_EQ(count, 4);

  // processes.json: the hostile name intact.
  auto processes = json::parse(Read(outcome.path / "processes.json"));
  bool found = false;
  for (const auto& p : processes["processes"]) {
    if (p["pid"] != named.pid()) continue;
    found = true;
    EXPECT_EQ(*BytesFromJson(p["comm"]), hostile);
    EXPECT_EQ(p["ppid"], getpid());
  }
  EXPECT_TRUE(found) << "child " << named.pid() << " missing from processes.json";

  // blocked.json: the task in D state, blocked since the first sample that listed it.
  auto tasks = json::parse(Read(outcome.path / "blocked.json"))["tasks"];
  const json* task = nullptr;
  for (const auto& t : tasks) {
    if (t["pid"] == blocked.pid()) task = &t;
  }
  ASSERT_NE(task, nullptr) << tasks.dump();
  EXPECT_EQ((*task)["state"], "D");
  EXPECT_NE((*task)["wchan"], "");
  ASSERT_TRUE((*task)["blocked_seconds"].is_number());
  EXPECT_DOUBLE_EQ((*task)["blocked_seconds"].get<double>(), 20.5);  // 4 samples 5 s apart + gap

  // summary.json: the blocked task is a culprit with its evidence; notes say what was degraded.
  auto summary = json::parse(Read(outcome.path / "summary.json"));
  EXPECT_TRUE(summary["dominant"]["component"].is_string());
  EXPECT_GE(summary["blocked_tasks"].get<int>(), 1);
  EXPECT_EQ(summary["score_before"], 12.5);
  bool blamed = false;
  for (const auto& c : summary["culprits"]) {
    if (c["pid"] != blocked.pid()) continue;
    for (const auto& e : c["evidence"]) blamed = blamed || e["kind"] == "blocked";
  }
  EXPECT_TRUE(blamed) << summary.dump(2);

  // Counted, and recorded in the history against the event.
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kOk), 1u);
  EXPECT_EQ(s.stats.duration.Read().count(), 1u);
  EXPECT_EQ(s.stats.bundles.load(), 1u);
  EXPECT_EQ(s.stats.bundle_bytes.load(), outcome.bytes);
  ASSERT_TRUE(history.Flush());
  history.Stop();
  auto store = Store::Open((s.dir / "data.db").string(), {.read_only = true});
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto records = (*store)->Captures(request.id);
  ASSERT_TRUE(records.ok()) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].result, "ok");
  EXPECT_EQ((*records)[0].trigger, "pause");
  EXPECT_EQ((*records)[0].bundle_path, outcome.path.string());
  EXPECT_EQ((*records)[0].bytes, outcome.bytes);
}

TEST(CaptureWorker, AThreadBlockedInDStateIsKnownSinceTheFirstSampleThatListedIt) {
  // blocked_since once worked for main threads only: samples listed processes, not threads.
  Machine s;
  test::ThreadVforkBlocked blocked;
  ASSERT_GT(blocked.tid(), blocked.pid());
  const std::string stat =
      std::to_string(blocked.pid()) + "/task/" + std::to_string(blocked.tid()) + "/stat";
  ASSERT_TRUE(rh::test::WaitUntil(
      [&] {
        auto text = collectors::ReadWholeFile(collectors::ProcRoot(), "proc", stat);
        auto parsed = text ? collectors::ParseProcessStat(*text) : Error{"unreadable"};
        return parsed.ok() && parsed->state == 'D';
      },
      5s, 5ms))
      << "the vforking thread never showed as D";
  s.Record(4);
  for (const auto& sample : s.recorder.All()) {
    const auto& list = sample->sample.processes.blocked;
    EXPECT_TRUE(std::any_of(list.begin(), list.end(), [&](const collectors::BlockedTask& t) {
      return t.pid == blocked.pid() && t.tid == blocked.tid() && t.comm == "rh-vfork-thr";
    })) << "the sampler lists the thread";
  }
  CaptureWorker worker(s.config, s.Options(), s.clock, s.recorder, s.stats);
  const CaptureOutcome outcome = worker.CaptureNow(s.Pause(3));
  ASSERT_EQ(outcome.result, CaptureResult::kOk) << outcome.error;
  const json tasks = json::parse(Read(outcome.path / "blocked.json"))["tasks"];
  const json* task = nullptr;
  for (const auto& t : tasks) {
    if (t["tid"] == blocked.tid()) task = &t;
  }
  ASSERT_NE(task, nullptr) << tasks.dump();
  EXPECT_EQ((*task)["pid"], blocked.pid());
  ASSERT_TRUE((*task)["blocked_seconds"].is_number()) << task->dump();
  EXPECT_DOUBLE_EQ((*task)["blocked_seconds"].get<double>(), 20.5);  // 4 samples 5 s apart + gap
}

// A clock stopped at a recorded reading, as `rh-forensics replay` uses.
class RecordedClock final : public Clock {
 public:
  ClockReading Now() const override { return reading; }
  void SleepUntil(std::int64_t) const override {}
  ClockReading reading;
};

// Puts the files of raw/<pass> into `tree`, rewriting existing files in place (collectors keep
// descriptors open across passes) and removing those the pass did not read.
void Stage(const fs::path& bundle, int pass, const fs::path& tree) {
  const fs::path raw = bundle / "raw" / std::to_string(pass);
  std::set<fs::path> now;
  for (const auto& e : fs::recursive_directory_iterator(raw)) {
    if (!e.is_regular_file()) continue;
    const fs::path relative = fs::relative(e.path(), raw);
    fs::create_directories((tree / relative).parent_path());
    std::ofstream(tree / relative, std::ios::binary | std::ios::trunc) << Read(e.path());
    now.insert(relative);
  }
  std::vector<fs::path> stale;
  for (const auto& e : fs::recursive_directory_iterator(tree)) {
    if (e.is_regular_file() && !now.contains(fs::relative(e.path(), tree)))
      stale.push_back(e.path());
  }
  for (const auto& p : stale) fs::remove(p);
}

json Comparable(const analysis::ScoredSample& pass) {
  json sample = ToJson(pass.sample);
  for (auto& c : sample["collectors"]) {
    c.erase("duration_seconds");
    c.erase("error");
  }
  return {{"sample", sample}, {"assessment", ToJson(pass.assessment)}};
}

TEST(CaptureWorker, TheRawTreesReplayToTheRecordedPasses) {
  Machine s;
  s.config.stress.memory.weight = 37.25;  // not the default: replay must use the recorded weights
  s.Record(2);
  CaptureWorker worker(s.config, s.Options(), s.clock, s.recorder, s.stats);
  const CaptureOutcome outcome = worker.CaptureNow(s.Pause());
  ASSERT_EQ(outcome.result, CaptureResult::kOk) << outcome.error;
  auto capture = json::parse(Read(outcome.path / "capture.json"));

  auto weights = config::Parse(capture["config"].get<std::string>(), "capture.json config");
  ASSERT_TRUE(weights.ok()) << weights.error().message;
  EXPECT_EQ(weights->stress.memory.weight, 37.25);
  collectors::CollectorOptions options;
  options.top_n = capture["collector_options"]["top_n"];
  options.max_blocked = capture["collector_options"]["max_blocked"];
  options.page_size = capture["collector_options"]["page_size"];
  options.clock_ticks_per_second = capture["collector_options"]["clock_ticks_per_second"];
  options.keep_all_cgroups = capture["collector_options"]["keep_all_cgroups"];
  analysis::StressState state;
  state.io_baseline = capture["io_baseline"];

  rh::test::TempDir work;
  fs::create_directories(work / "tree/proc");
  fs::create_directories(work / "tree/sys");
  auto list = collectors::MakeCollectors(
      collectors::ProcRoot(work / "tree/proc", work / "tree/sys"), options);
  RecordedClock clock;
  collectors::SystemSample previous;
  for (int i = 0; i < 2; ++i) {
    auto recorded = ScoredSampleFromJson(capture["passes"][i]);
    ASSERT_TRUE(recorded.ok()) << recorded.error().message;
    Stage(outcome.path, i, work / "tree");
    analysis::ScoredSample replayed;
    clock.reading = recorded->sample.clock;
    collectors::CollectAll(list, clock, replayed.sample);
    replayed.sample.page_size = recorded->sample.page_size;
    replayed.assessment = analysis::Assess(weights->stress, i == 0 ? nullptr : &previous,
                                           replayed.sample, recorded->latency_seconds, state);
    EXPECT_EQ(Comparable(*recorded), Comparable(replayed))
        << "pass " << i << ": " << json::diff(Comparable(*recorded), Comparable(replayed)).dump(1);
    previous = replayed.sample;
  }
  // The second pass saw CPU time move since the first (ratios come from the pair of passes).
  auto pass1 = ScoredSampleFromJson(capture["passes"][1]);
  EXPECT_GT(pass1->sample.processes.counts.total, 0u);
}

TEST(CaptureWorker, SymlinksPlantedAtTheIdOrTheTemporaryNameAreNotFollowed) {
  Machine s;
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  ASSERT_TRUE(worker.Start().ok());
  fs::create_directories(s.dir / "target");
  const CaptureRequest first = s.Pause();
  fs::create_directory_symlink(s.dir / "target", s.dir / "events" / first.id);
  fs::create_directory_symlink(s.dir / "target", s.dir / "events" / (".tmp-" + first.id + "-2"));
  auto outcome = worker.CaptureNow(first);
  ASSERT_EQ(outcome.result, CaptureResult::kOk) << outcome.error;
  EXPECT_EQ(outcome.id, first.id + "-3");
  EXPECT_TRUE(fs::is_empty(s.dir / "target"));
  EXPECT_TRUE(fs::is_symlink(s.dir / "events" / first.id));
  Verify(outcome.path);
  worker.Stop();
}

TEST(CaptureWorker, LeftoverTemporaryDirectoriesAreRemovedAtStart) {
  Machine s;
  s.dir.Write("events/.tmp-20261123T101503.812Z-pause/raw/0/proc/loadavg", "0.1 0.2 0.3 1/2 3\n");
  s.dir.Write("events/20261123T101500.000Z-pause/manifest.json", "{}");
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  ASSERT_TRUE(worker.Start().ok());
  EXPECT_FALSE(fs::exists(s.dir / "events/.tmp-20261123T101503.812Z-pause"));
  EXPECT_TRUE(fs::exists(s.dir / "events/20261123T101500.000Z-pause/manifest.json"));
  EXPECT_EQ(s.stats.bundles.load(), 1u);
  EXPECT_EQ(s.stats.bundle_bytes.load(), 2u);
  worker.Stop();
}

TEST(CaptureWorker, APauseBundleSaysWhatFrozeWithTheEvidence) {
  Machine s;
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  CaptureRequest request = s.Pause(2);
  analysis::ScopeVerdict verdict;
  verdict.scope = analysis::PauseScope::kProcess;
  verdict.reason = analysis::PauseReason::kFrozen;
  verdict.expected_switches = 1800;
  verdict.observed_switches = 1750;
  verdict.evidence = "the rest of the machine kept running; its cgroup was frozen";
  request.scope = verdict;
  request.start_uncertainty_seconds = 0.01;
  const CaptureOutcome outcome = worker.CaptureNow(request);
  ASSERT_EQ(outcome.result, CaptureResult::kOk) << outcome.error;
  auto pause = json::parse(Read(outcome.path / "summary.json"))["pause"];
  EXPECT_EQ(pause["scope"], "process");
  EXPECT_EQ(pause["reason"], "frozen");
  EXPECT_EQ(pause["evidence"], verdict.evidence);
  EXPECT_EQ(pause["start_uncertainty_seconds"], 0.01);
  EXPECT_EQ(pause["expected_context_switches"], 1800);
  EXPECT_EQ(pause["observed_context_switches"], 1750);

  // Other triggers have no pause to describe.
  const CaptureOutcome manual = worker.CaptureNow(s.Pause(0, CaptureTrigger::kManual));
  ASSERT_EQ(manual.result, CaptureResult::kOk) << manual.error;
  EXPECT_FALSE(json::parse(Read(manual.path / "summary.json")).contains("pause"));
}

// While the daemon is over a self-limits budget, captures are light: no journal, and details
// only of the processes that matter; the bundle says so and the capture is counted.
TEST(CaptureWorker, ALightCaptureSaysSoAndReadsFewerProcesses) {
  Machine s;
  s.config.sampling.top_processes = 2;
  CaptureOptions options = s.Options();
  options.kmsg = s.dir / "no-kmsg";
  CaptureWorker worker(s.config, options, s.clock, s.recorder, s.stats);
  worker.SetLight(true);
  const CaptureOutcome light = worker.CaptureNow(s.Pause(0, CaptureTrigger::kManual));
  ASSERT_EQ(light.result, CaptureResult::kOk) << light.error;
  EXPECT_EQ(s.stats.light_captures, 1u);
  auto processes = json::parse(Read(light.path / "processes.json"));
  std::size_t detailed = 0;
  std::size_t blocked = 0;
  for (const auto& p : processes["processes"]) {
    detailed += p["cmdline"].is_null() ? 0 : 1;
    blocked += p["state"] == "D" ? 1 : 0;
  }
  EXPECT_LE(detailed, 3 * 2 + blocked);  // the 2 busiest, largest, slowest; those in D state
  EXPECT_GT(processes["processes"].size(), detailed) << "this machine runs more processes";
  const std::string summary = Read(light.path / "summary.json");
  EXPECT_THAT(summary, HasSubstr("light capture (the daemon was over a self-limits budget)"));
  EXPECT_THAT(summary, HasSubstr("journal.log: not read in a light capture"));

  worker.SetLight(false);  // back under budget: full captures again
  const CaptureOutcome full = worker.CaptureNow(s.Pause(0, CaptureTrigger::kManual));
  ASSERT_EQ(full.result, CaptureResult::kOk) << full.error;
  EXPECT_EQ(s.stats.light_captures, 1u);
  EXPECT_THAT(Read(full.path / "summary.json"), Not(HasSubstr("light capture")));
}

// A kernel report or a pressure trigger just before a pause does not cost the pause its bundle:
// the early warnings are rate-limited among themselves.
TEST(CaptureWorker, EarlyWarningsDoNotHoldBackAPauseCapture) {
  Machine s;
  s.config.forensics.min_interval_seconds = 30;
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  EXPECT_EQ(worker.CaptureNow(s.Pause(0, CaptureTrigger::kPressure)).result, CaptureResult::kOk);
  s.clock.AdvanceSeconds(5);
  EXPECT_EQ(worker.CaptureNow(s.Pause()).result, CaptureResult::kOk);
  s.clock.AdvanceSeconds(5);
  auto limited = worker.CaptureNow(s.Pause(0, CaptureTrigger::kKernel));
  EXPECT_EQ(limited.result, CaptureResult::kRateLimited);
  EXPECT_THAT(limited.error, HasSubstr("previous kernel or pressure capture"));
  EXPECT_EQ(worker.CaptureNow(s.Pause(0, CaptureTrigger::kCritical)).result,
            CaptureResult::kRateLimited);
  EXPECT_EQ(s.stats.bundles.load(), 2u);
}

TEST(CaptureWorker, AutomaticCapturesAreRateLimitedManualOnesAreNot) {
  Machine s;
  s.config.forensics.min_interval_seconds = 30;
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  EXPECT_EQ(worker.CaptureNow(s.Pause()).result, CaptureResult::kOk);
  s.clock.AdvanceSeconds(10);
  auto limited = worker.CaptureNow(s.Pause());
  EXPECT_EQ(limited.result, CaptureResult::kRateLimited);
  EXPECT_THAT(limited.error, HasSubstr("min_interval_seconds"));
  auto critical = s.Pause(0, CaptureTrigger::kCritical);
  EXPECT_EQ(worker.CaptureNow(critical).result, CaptureResult::kRateLimited);
  EXPECT_EQ(worker.CaptureNow(s.Pause(0, CaptureTrigger::kManual)).result, CaptureResult::kOk);
  s.clock.AdvanceSeconds(18.5);  // 29.5 s after the first (each capture takes 0.5 s of fake time)
  EXPECT_EQ(worker.CaptureNow(s.Pause()).result, CaptureResult::kRateLimited);
  s.clock.AdvanceSeconds(1);
  EXPECT_EQ(worker.CaptureNow(s.Pause(0, CaptureTrigger::kCritical)).result, CaptureResult::kOk);

  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kOk), 1u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kRateLimited), 2u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kCritical, CaptureResult::kRateLimited), 1u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kCritical, CaptureResult::kOk), 1u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kManual, CaptureResult::kOk), 1u);
  EXPECT_EQ(s.stats.bundles.load(), 3u);
  EXPECT_EQ(std::distance(fs::directory_iterator(s.dir / "events"), fs::directory_iterator()), 3);
}

TEST(CaptureWorker, TheSizeCapDeletesTheOldestBundlesFirst) {
  Machine s;
  const std::string big(1'000'000, 'x');
  for (const char* id : {"20200101T000000.000Z-pause", "20200102T000000.000Z-manual",
                         "20200103T000000.000Z-pause-2"}) {
    s.dir.Write(std::string("events/") + id + "/raw/0/proc/big", big);
  }
  s.dir.Write("events/unrelated.txt", big);
  CaptureWorker probe(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  const auto first = probe.CaptureNow(s.Pause(3, CaptureTrigger::kManual));
  ASSERT_EQ(first.result, CaptureResult::kOk);
  EXPECT_EQ(s.stats.bundles.load(), 4u);

  // Room for the newest bundle and one old one: the two oldest go.
  s.config.forensics.max_total_bytes =
      static_cast<std::int64_t>(1'000'000 + 2 * first.bytes + first.bytes / 2);
  s.clock.AdvanceSeconds(1);
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  const auto outcome = worker.CaptureNow(s.Pause(3, CaptureTrigger::kManual));
  ASSERT_EQ(outcome.result, CaptureResult::kOk) << outcome.error;
  EXPECT_FALSE(fs::exists(s.dir / "events/20200101T000000.000Z-pause"));
  EXPECT_FALSE(fs::exists(s.dir / "events/20200102T000000.000Z-manual"));
  EXPECT_TRUE(fs::exists(s.dir / "events/20200103T000000.000Z-pause-2"));
  EXPECT_TRUE(fs::exists(first.path));
  EXPECT_TRUE(fs::exists(outcome.path));
  EXPECT_TRUE(fs::exists(s.dir / "events/unrelated.txt")) << "only bundles are deleted";
  EXPECT_EQ(s.stats.bundles.load(), 3u);
  EXPECT_EQ(s.stats.bundle_bytes.load(), 1'000'000 + first.bytes + outcome.bytes);

  // A cap below a single bundle keeps the newest anyway.
  s.config.forensics.max_total_bytes = 1;
  s.clock.AdvanceSeconds(1);
  CaptureWorker tiny(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  const auto last = tiny.CaptureNow(s.Pause(3, CaptureTrigger::kManual));
  ASSERT_EQ(last.result, CaptureResult::kOk);
  EXPECT_EQ(s.stats.bundles.load(), 1u);
  EXPECT_TRUE(fs::exists(last.path));
}

TEST(CaptureWorker, RequestsRunOnTheWorkerThread) {
  Machine s;
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  EXPECT_FALSE(worker.Request(s.Pause())) << "not started";
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kFailed), 1u);
  ASSERT_TRUE(worker.Start().ok());
  s.clock.AdvanceSeconds(60);
  EXPECT_TRUE(worker.Request(s.Pause()));
  EXPECT_TRUE(worker.Request(s.Pause(1, CaptureTrigger::kManual)));
  EXPECT_FALSE(worker.Request(s.Pause())) << "rate-limited at once, without queueing";
  ASSERT_TRUE(worker.Flush());
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kOk), 1u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kManual, CaptureResult::kOk), 1u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kRateLimited), 1u);
  worker.Stop();
}

TEST(CaptureWorker, ABurstOfManualRequestsIsCoalescedAndNeverCrowdsOutAPause) {
  // 50 SIGUSR1 in a second once gave 39 captures counted failed and dropped a real pause.
  Machine s;
  CaptureWorker worker(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  ASSERT_TRUE(worker.Start().ok());
  s.clock.AdvanceSeconds(60);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(worker.Request(s.Pause(0, CaptureTrigger::kManual)));
    if (i == 25) {
      EXPECT_TRUE(worker.Request(s.Pause())) << "the pause is queued";
    }
  }
  ASSERT_TRUE(worker.Flush());
  worker.Stop();
  const auto manual_ok = s.stats.count(CaptureTrigger::kManual, CaptureResult::kOk);
  EXPECT_GE(manual_ok, 1u);
  EXPECT_LE(manual_ok, 2u) << "one running and one waiting at most";
  EXPECT_EQ(manual_ok + s.stats.count(CaptureTrigger::kManual, CaptureResult::kCoalesced), 50u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kManual, CaptureResult::kFailed), 0u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kOk), 1u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kFailed), 0u);
  std::size_t pause_bundles = 0;
  for (const auto& e : fs::directory_iterator(s.dir / "events")) {
    if (e.path().filename().string().find("-pause") != std::string::npos) ++pause_bundles;
  }
  EXPECT_EQ(pause_bundles, 1u);
}

TEST(CaptureWorker, AutomaticRequestsWaitBeforeAManualOne) {
  Machine s;
  s.config.forensics.min_interval_seconds = 0;
  CaptureOptions options = s.FixtureOptions();
  options.max_queued = 2;
  CaptureWorker worker(s.config, options, s.clock, s.recorder, s.stats);
  ASSERT_TRUE(worker.Start().ok());
  // Whatever the worker picks first, the automatic queue holds two more and a manual one waits
  // beside them: nothing is refused.
  EXPECT_TRUE(worker.Request(s.Pause(0, CaptureTrigger::kManual)));
  EXPECT_TRUE(worker.Request(s.Pause(0, CaptureTrigger::kManual)));
  for (int i = 0; i < 2; ++i) {
    s.clock.AdvanceSeconds(1);
    EXPECT_TRUE(worker.Request(s.Pause()));
  }
  ASSERT_TRUE(worker.Flush());
  worker.Stop();
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kOk), 2u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kFailed), 0u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kManual, CaptureResult::kFailed), 0u);
}

TEST(CaptureWorker, AFailureIsCountedWithItsReason) {
  Machine s;
  // The events directory refused (a symlink): events_dir.
  fs::create_directories(s.dir / "elsewhere");
  fs::create_directory_symlink(s.dir / "elsewhere", s.dir / "events");
  CaptureWorker refused(s.config, s.FixtureOptions(), s.clock, s.recorder, s.stats);
  const auto outcome = refused.CaptureNow(s.Pause());
  ASSERT_EQ(outcome.result, CaptureResult::kFailed);
  EXPECT_EQ(outcome.failure, CaptureFailure::kEventsDir);
  EXPECT_THAT(outcome.error, HasSubstr("is a symbolic link"));
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureFailure::kEventsDir), 1u);

  // Not running: stopping. The queue of automatic captures full: queue_full.
  fs::remove(s.dir / "events");
  CaptureOptions options = s.FixtureOptions();
  options.max_queued = 1;
  s.config.forensics.min_interval_seconds = 0;
  CaptureWorker worker(s.config, options, s.clock, s.recorder, s.stats);
  EXPECT_FALSE(worker.Request(s.Pause(0, CaptureTrigger::kCritical)));
  EXPECT_EQ(s.stats.count(CaptureTrigger::kCritical, CaptureFailure::kStopping), 1u);
  ASSERT_TRUE(worker.Start().ok());
  std::size_t queue_full = 0;
  for (int i = 0; i < 20; ++i) {  // faster than captures run: some find the queue full
    s.clock.AdvanceSeconds(1);
    worker.Request(s.Pause());
  }
  ASSERT_TRUE(worker.Flush());
  worker.Stop();
  queue_full = s.stats.count(CaptureTrigger::kPause, CaptureFailure::kQueueFull);
  EXPECT_GT(queue_full, 0u);
  // Every failure has exactly one reason.
  for (std::size_t t = 0; t < kCaptureTriggerNames.size(); ++t) {
    std::uint64_t reasons = 0;
    for (std::size_t r = 0; r < kCaptureFailureNames.size(); ++r) {
      reasons += s.stats.failures[t][r].load();
    }
    EXPECT_EQ(reasons, s.stats.captures[t][static_cast<int>(CaptureResult::kFailed)].load())
        << kCaptureTriggerNames[t];
  }
}

TEST(CaptureWorker, WhetherTheKernelLogAndKernelStacksAreReadableIsKnownFromStart) {
  Machine s;
  CaptureOptions fixture = s.FixtureOptions();  // no kmsg, no stack files in the fixture tree
  {
    CaptureWorker worker(s.config, fixture, s.clock, s.recorder, s.stats);
    ASSERT_TRUE(worker.Start().ok());
    EXPECT_FALSE(s.stats.is_readable(CaptureSource::kKernelLog));
    EXPECT_FALSE(s.stats.is_readable(CaptureSource::kKernelStacks));
    worker.Stop();
  }
  if (geteuid() != 0) GTEST_SKIP() << "the real kernel log and stacks need root";
  CaptureOptions real = s.Options();
  {
    CaptureWorker worker(s.config, real, s.clock, s.recorder, s.stats);
    ASSERT_TRUE(worker.Start().ok());
    EXPECT_TRUE(s.stats.is_readable(CaptureSource::kKernelLog));
    EXPECT_TRUE(s.stats.is_readable(CaptureSource::kKernelStacks));
    // A capture that cannot read the kernel log says so.
    real.kmsg = s.dir / "no-kmsg";
    CaptureWorker without_log(s.config, real, s.clock, s.recorder, s.stats);
    ASSERT_EQ(without_log.CaptureNow(s.Pause()).result, CaptureResult::kOk);
    EXPECT_FALSE(s.stats.is_readable(CaptureSource::kKernelLog));
    worker.Stop();
  }
}

TEST(CaptureWorker, StopCancelsACaptureStuckOnAHungRead) {
  Machine s;
  s.config.forensics.read_timeout_ms = 10'000;
  // A copy of the fixture tree where one process's cmdline hangs.
  fs::copy(rh::test::FixturesDir(), s.dir / "fixtures", fs::copy_options::recursive);
  fs::remove(s.dir / "fixtures/proc/2200/cmdline");
  ASSERT_EQ(mkfifo((s.dir / "fixtures/proc/2200/cmdline").c_str(), 0600), 0);
  CaptureOptions options = s.FixtureOptions();
  options.root = collectors::ProcRoot(s.dir / "fixtures/proc", s.dir / "fixtures/sys");
  {
    CaptureWorker worker(s.config, options, s.clock, s.recorder, s.stats);
    ASSERT_TRUE(worker.Start().ok());
    ASSERT_TRUE(worker.Request(s.Pause()));
    EXPECT_FALSE(worker.Flush(300ms)) << "stuck on the FIFO for up to 10 s";
    const auto begin = std::chrono::steady_clock::now();
    worker.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - begin, 1s);
  }
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kFailed), 1u);
  EXPECT_EQ(s.stats.count(CaptureTrigger::kPause, CaptureResult::kOk), 0u);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(s.dir / "events")) left.push_back(e.path().string());
  EXPECT_TRUE(left.empty()) << left.front();
  int fd = open((s.dir / "fixtures/proc/2200/cmdline").c_str(), O_WRONLY | O_NONBLOCK);
  if (fd >= 0) close(fd);
}

}  // namespace
}  // namespace rh::forensics
