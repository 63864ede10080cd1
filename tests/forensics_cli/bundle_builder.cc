#include "tests/forensics_cli/bundle_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/stress.h"
#include "collectors/collector.h"
#include "config/config.h"
#include "forensics/capture/bundle_files.h"
#include "forensics/capture/process_table.h"
#include "forensics/sample_json.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::uint32_t kPageSize = 4096;

// Records what the collectors read, into whichever pass is current.
class PassRecorder final : public collectors::ReadRecorder {
 public:
  void Record(std::string_view tree, std::string_view relative, std::string_view content) override {
    (*target)[std::string(tree) + "/" + std::string(relative)] = std::string(content);
  }
  std::map<std::string, std::string>* target = nullptr;
};

class FixedClock final : public Clock {
 public:
  ClockReading Now() const override { return reading; }
  void SleepUntil(std::int64_t) const override {}
  ClockReading reading;
};

void Replace(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = ReadFileOrFail(file);
  std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << file;
  text.replace(at, from.size(), to);
  // In place (same inode): the collectors keep some files open, as on the real /proc.
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

// The second capture pass: half a second later, counters advanced, a process grown.
void Advance(const fs::path& proc) {
  Replace(proc / "stat", "cpu  4909 0 2863 450445 430 0 47 22 0 0",
          "cpu  4939 0 2878 450485 470 0 47 24 0 0");
  Replace(proc / "loadavg", "0.06 0.05 0.01 1/78 4402", "2.40 1.10 0.50 4/79 4410");
  Replace(proc / "vmstat", "\npgpgin 1705241\n", "\npgpgin 1745241\n");
  Replace(proc / "vmstat", "\npgmajfault 1410\n", "\npgmajfault 1620\n");
  Replace(proc / "vmstat", "\npswpin 0\n", "\npswpin 40\n");
  Replace(proc / "pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0",
          "some avg10=12.50 avg60=3.00 avg300=0.80 total=500000");
  Replace(proc / "3210/stat", " 4521 310 ", " 4561 310 ");
  Replace(proc / "612/stat", " 1130577920 25600 ", " 1130577920 38400 ");
}

std::vector<std::string> Split(const std::string& cmdline) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin < cmdline.size()) {
    std::size_t end = cmdline.find(' ', begin);
    if (end == std::string::npos) end = cmdline.size();
    if (end > begin) out.push_back(cmdline.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

}  // namespace

std::vector<FakeProcess> DefaultProcesses() {
  return {
      {1, 0, "systemd", "/sbin/init splash", "root", 'S', 0.0, 12ULL << 20, 1'795'000'000},
      {2, 0, "kthreadd", "", "root", 'S', 0.0, 0, 1'795'000'000},
      {612, 1, "python3",
       "/home/mallory/venv/bin/python3 /home/mallory/secret-project/train.py "
       "--api-token=sekr1t-t0ken-XYZ",
       "mallory", 'S', 0.35, 100ULL << 20, 1'795'000'100},
      {2200, 2105, "vim", "vim /home/mallory/notes/passwords.txt", "mallory", 'T', 0.0, 9ULL << 20,
       1'795'000'200},
      {2950, 2105, "rsync", "rsync -a /srv/data/ backup-target.internal:/backups/",
       "backupoperator", 'D', 0.02, 6ULL << 20, 1'795'000'300},
      {3210, 3195, "cc1plus",
       "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus -quiet confidential_module.cc", "mallory", 'R',
       0.98, 234ULL << 20, 1'795'000'400},
  };
}

std::string TestBundle::ManifestJson() const {
  forensics::Manifest m = manifest;
  m.files.clear();
  for (const auto& [path, content] : files) {
    m.files.push_back({path, content.size(), forensics::Sha256Hex(content)});
  }
  return forensics::ManifestToJson(m);
}

fs::path TestBundle::Write(const fs::path& events_dir) const {
  fs::path dir = events_dir / id();
  fs::create_directories(dir);
  for (const auto& [path, content] : files) {
    fs::path file = dir / path;
    fs::create_directories(file.parent_path());
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    EXPECT_TRUE(out.good()) << file;
  }
  std::ofstream(dir / "manifest.json", std::ios::binary | std::ios::trunc) << ManifestJson();
  return dir;
}

TestBundle MakeBundle(const BundleOptions& options) {
  TestBundle b;
  forensics::Manifest& m = b.manifest;
  m.id = forensics::BundleId(options.end_ns, options.trigger);
  m.trigger = options.trigger;
  m.event_kind = options.trigger;
  m.event_end_ns = options.end_ns;
  m.event_start_ns = options.end_ns - static_cast<std::int64_t>(options.duration_seconds * 1e9);
  m.event_duration_seconds = options.duration_seconds;
  m.created_ns = options.created_ns != 0 ? options.created_ns : options.end_ns + 500'000'000;
  m.hostname = options.hostname;
  m.kernel = "6.1.0-27-amd64";
  m.boot_id = "3f1c0d2e-5b6a-4c8d-9e7f-0a1b2c3d4e5f";
  m.page_size = kPageSize;
  m.clock_ticks_per_second = 100;
  m.software_version = "0.1.0";
  m.software_revision = "test";
  m.config_digest = "sha256:" + forensics::Sha256Hex(config::ToToml(config::Defaults()));

  // The capture's two passes over a copy of the fixture tree.
  TempDir tree;
  fs::copy(FixturesDir() / "proc", tree / "proc", fs::copy_options::recursive);
  fs::copy(FixturesDir() / "sys", tree / "sys", fs::copy_options::recursive);
  PassRecorder recorder;
  std::map<std::string, std::string> raw[2];
  collectors::CollectorOptions collector_options;
  collector_options.page_size = kPageSize;
  collector_options.clock_ticks_per_second = 100;
  auto list = collectors::MakeCollectors(
      collectors::ProcRoot(tree / "proc", tree / "sys", &recorder), collector_options);
  FixedClock clock;
  const config::Stress weights;
  analysis::StressState state;
  state.io_baseline = 3e6;
  std::vector<analysis::ScoredSample> passes(2);
  for (int i = 0; i < 2; ++i) {
    if (i == 1) Advance(tree / "proc");
    recorder.target = &raw[i];
    clock.reading = {5'000'000'000'000 + i * 500'000'000LL, 5'000'000'000'000 + i * 500'000'000LL,
                     options.end_ns + 200'000'000 + i * 500'000'000LL};
    auto& pass = passes[static_cast<std::size_t>(i)];
    pass.sequence = 0;
    pass.latency_seconds = i == 0 ? options.duration_seconds : 0.0008;
    collectors::CollectAll(list, clock, pass.sample);
    pass.sample.page_size = kPageSize;
    pass.assessment = analysis::Assess(weights, i == 0 ? nullptr : &passes[0].sample, pass.sample,
                                       pass.latency_seconds, state);
    pass.state = analysis::SamplingState::kElevated;
    pass.interval_seconds = 1;
    for (const auto& [path, content] : raw[i]) {
      b.files["raw/" + std::to_string(i) + "/" + path] = content;
    }
  }
  forensics::CaptureInputs inputs;
  inputs.stress = weights;
  inputs.collector_options = collector_options;
  inputs.io_baseline = 3e6;
  b.files["capture.json"] =
      forensics::CaptureJson(inputs, {std::make_shared<analysis::ScoredSample>(passes[0]),
                                      std::make_shared<analysis::ScoredSample>(passes[1])});

  // The flight recorder: a sample every 5 s for a minute before the event, rising memory stress.
  std::vector<std::shared_ptr<const analysis::ScoredSample>> window;
  for (int k = 12; k >= 0; --k) {
    analysis::ScoredSample s = passes[0];
    s.sequence = static_cast<std::uint64_t>(100 - k);
    s.sample.clock.realtime_ns = m.event_start_ns - k * 5'000'000'000LL;
    s.sample.clock.monotonic_ns -= (k + 1) * 5'000'000'000LL;
    s.latency_seconds = 0.0004;
    s.assessment.components = {};
    s.assessment.components[static_cast<std::size_t>(analysis::Component::kMemory)] =
        3.0 * (12 - k);
    s.assessment.components[static_cast<std::size_t>(analysis::Component::kLoad)] = k % 3;
    s.assessment.components[static_cast<std::size_t>(analysis::Component::kIo)] = 1.5;
    double score = 0;
    for (double c : s.assessment.components) score += c;
    s.assessment.score = score;
    s.assessment.signals.memory_psi = 0.03 * (12 - k);
    s.assessment.signals.load_per_core = 0.5 + 0.1 * k;
    s.state = score >= 30 ? analysis::SamplingState::kElevated : analysis::SamplingState::kNormal;
    window.push_back(std::make_shared<analysis::ScoredSample>(std::move(s)));
  }
  b.files["samples.jsonl"] = forensics::SamplesJsonl(window);

  // The process table, blocked tasks and verdict, written as the capture worker writes them.
  std::vector<FakeProcess> processes =
      options.processes.empty() ? DefaultProcesses() : options.processes;
  forensics::ProcessSnapshot snapshot;
  snapshot.elapsed_seconds = 0.5;
  for (const auto& p : processes) {
    forensics::ProcessRecord r;
    r.info.pid = p.pid;
    r.info.ppid = p.ppid;
    r.info.comm = p.comm;
    r.info.cmdline = p.cmdline;
    r.info.user = p.user;
    r.info.state = p.state;
    r.info.cpu_share = p.cpu_share;
    r.info.cpu_ticks = 1000;
    r.info.rss_bytes = static_cast<std::uint64_t>(static_cast<double>(p.rss_bytes) *
                                                  (p.pid == 612 ? options.python_rss_factor : 1.0));
    r.info.threads = 1;
    r.info.start_time = p.start_time;
    r.info.major_faults = 12;
    r.info.cgroup = "/user.slice/user-1000.slice/session-2.scope";
    r.info.unit = "session-2.scope";
    r.uid = p.user == "root" ? 0 : 1000;
    if (!p.cmdline.empty()) r.argv = Split(p.cmdline);
    r.start_ticks = static_cast<std::uint64_t>(p.start_time - 1'794'999'000) * 100;
    snapshot.processes.push_back(std::move(r));
  }
  forensics::BlockedTaskRecord task;
  task.info = {2950, 2950, "rsync", "io_schedule", 12.5};
  task.stack = {"[<0>] io_schedule+0x1c/0x50", "[<0>] folio_wait_bit_common+0x131/0x300",
                "[<0>] ext4_writepages+0x2a1/0x600"};
  task.blocked_since = static_cast<double>(options.end_ns) / 1e9 - 12.0;
  snapshot.blocked.push_back(task);
  const std::int64_t table_ns = passes[1].sample.clock.realtime_ns;
  b.files["processes.json"] = forensics::ProcessesJson(snapshot, table_ns, 100);
  b.files["blocked.json"] = forensics::BlockedJson(snapshot, table_ns);

  analysis::CulpritVerdict verdict;
  verdict.dominant = {"memory", 31.5, "memory pressure, full stall 38%"};
  verdict.culprits.push_back({1,
                              612,
                              options.top_culprit,
                              0.87,
                              "session-2.scope",
                              {{"rss_growth", 52428800, "RSS grew by 50.0 MiB in the window"},
                               {"major_faults", 210, "210 major page faults"}},
                              ""});
  verdict.culprits.push_back({2,
                              2950,
                              "rsync",
                              0.41,
                              "backup.service",
                              {{"blocked", 1, "in D state in io_schedule"}},
                              ""});
  verdict.blocked_tasks = 1;
  forensics::PauseSummary pause;
  for (std::size_t i = 0; i < analysis::kPauseScopeNames.size(); ++i) {
    if (analysis::kPauseScopeNames[i] == options.scope) {
      pause.verdict.scope = static_cast<analysis::PauseScope>(i);
    }
  }
  for (std::size_t i = 0; i < analysis::kPauseReasonNames.size(); ++i) {
    if (analysis::kPauseReasonNames[i] == options.reason) {
      pause.verdict.reason = static_cast<analysis::PauseReason>(i);
    }
  }
  pause.verdict.evidence =
      "other tasks made 12 context switches in the 3.022 s against 9000 "
      "expected at their pace before it";
  pause.start_uncertainty_seconds = 0.01;
  const bool with_scope = options.trigger == "pause" && !options.scope.empty();
  b.files["summary.json"] = forensics::SummaryJson(
      verdict, 12.5, {"journal.log: truncated at its size cap"}, with_scope ? &pause : nullptr);

  const std::string short_host = options.hostname.substr(0, options.hostname.find('.'));
  b.files["kernel.log"] =
      "2026-11-23T10:24:58.211Z [ 5010.101010] err: INFO: task rsync:2950 blocked for more than "
      "120 seconds.\n"
      "2026-11-23T10:24:58.211Z [ 5010.101020] err: \"echo 0 > "
      "/proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n"
      "2026-11-23T10:24:59.000Z [ 5011.000000] info: " +
      short_host + ": Out of memory: Killed process 7777 (stress-ng)\n";
  b.files["journal.log"] = "2026-11-18T19:25:01+0000 " + options.hostname +
                           " sudo[4410]: mallory : TTY=pts/0 ; PWD=/home/mallory ; USER=root\n"
                           "2026-11-18T19:25:02+0000 " +
                           short_host +
                           " python3[612]: started with --api-token=sekr1t-t0ken-XYZ\n";
  return b;
}

void WriteArchive(const fs::path& out, const std::vector<Member>& members) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, out.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.path.c_str());
    archive_entry_set_mtime(e, 1'795'000'000, 0);
    archive_entry_set_perm(e, 0600);
    switch (m.type) {
      case Member::Type::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size() + m.zeros));
        break;
      case Member::Type::kDirectory:
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_perm(e, 0700);
        break;
      case Member::Type::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.content.c_str());
        break;
      case Member::Type::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.content.c_str());
        archive_entry_set_size(e, 0);
        break;
      case Member::Type::kFifo:
        archive_entry_set_filetype(e, AE_IFIFO);
        break;
      case Member::Type::kCharDevice:
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdev(e, makedev(1, 3));
        break;
    }
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (m.type == Member::Type::kFile) {
      if (!m.content.empty()) archive_write_data(a, m.content.data(), m.content.size());
      const std::string zeros(1 << 16, '\0');
      for (std::uint64_t left = m.zeros; left > 0;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
        archive_write_data(a, zeros.data(), n);
        left -= n;
      }
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::map<std::string, std::string> ReadArchive(const fs::path& file) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, file.c_str(), 65536), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string content;
    char buffer[65536];
    for (la_ssize_t n; (n = archive_read_data(a, buffer, sizeof buffer)) > 0;) {
      content.append(buffer, static_cast<std::size_t>(n));
    }
    out[archive_entry_pathname(e)] = content;
  }
  archive_read_free(a);
  return out;
}

}  // namespace rh::test
