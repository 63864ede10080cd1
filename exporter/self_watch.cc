#include "exporter/self_watch.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "base/log.h"
#include "exporter/families.h"

namespace rh::exporter {

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer (the asan preset) shadow memory and quarantine make the resident set many
// times the daemon's own: it is exported as read, but not judged against the budget.
constexpr bool kJudgeResident = false;
#else
constexpr bool kJudgeResident = true;
#endif
namespace {

using analysis::SelfLimit;

// "7.2% of one CPU", "300.5 MiB", "1100 descriptors".
std::string Amount(SelfLimit limit, double value) {
  char buf[64];
  switch (limit) {
    case SelfLimit::kCpu:
      std::snprintf(buf, sizeof(buf), "%.1f%% of one CPU", value * 100);
      break;
    case SelfLimit::kResident:
      std::snprintf(buf, sizeof(buf), "%.1f MiB", value / (1 << 20));
      break;
    case SelfLimit::kOpenFds:
      std::snprintf(buf, sizeof(buf), "%.0f descriptors", value);
      break;
  }
  return buf;
}

std::string What(SelfLimit limit) {
  switch (limit) {
    case SelfLimit::kCpu:
      return "CPU use";
    case SelfLimit::kResident:
      return "resident memory";
    case SelfLimit::kOpenFds:
      return "open descriptors";
  }
  return "";
}

std::optional<std::uint64_t> DatabaseBytes(const std::string& database) {
  if (database.empty()) return std::nullopt;
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(database + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

}  // namespace

// A costly collector (the process table, the cgroup tree), skipped while the back-off asks for
// fewer scans: a skipped pass reuses what its last scan found.
template <typename Part>
class SelfWatch::ThrottledScan final : public collectors::Collector {
 public:
  ThrottledScan(collectors::CollectorList::value_type inner, Part collectors::SystemSample::*part,
                std::shared_ptr<ScanState> state, ScanState::Scan& scan, const Clock& clock)
      : inner_(std::move(inner)),
        part_(part),
        state_(std::move(state)),
        scan_(scan),
        clock_(clock) {}

  std::string_view name() const override { return inner_->name(); }

  Status Collect(collectors::SystemSample& sample) override {
    const std::int64_t now = sample.clock.monotonic_ns;
    const std::int64_t min_interval = state_->min_interval_ns.load();
    if (last_ && min_interval > 0 && now - last_scan_ns_ < min_interval) {
      sample.*part_ = *last_;
      scan_.deferred.fetch_add(1);
      return {};
    }
    const std::int64_t begin = clock_.Now().monotonic_ns;
    Status status = inner_->Collect(sample);
    if (!status.ok()) return status;
    scan_.cost_ns.store(clock_.Now().monotonic_ns - begin);
    last_ = sample.*part_;
    last_scan_ns_ = now;
    return status;
  }

 private:
  collectors::CollectorList::value_type inner_;
  Part collectors::SystemSample::*part_;
  std::shared_ptr<ScanState> state_;  // keeps scan_ alive
  ScanState::Scan& scan_;
  const Clock& clock_;
  std::optional<Part> last_;
  std::int64_t last_scan_ns_ = 0;
};

SelfWatch::SelfWatch(const config::Config& config, const Clock& clock,
                     collectors::ProcRoot self_root)
    : clock_(clock),
      self_root_(std::move(self_root)),
      settings_(config.self_limits),
      database_(config.storage.enabled ? config.storage.database : std::string()),
      limits_(config.self_limits) {}

collectors::CollectorList SelfWatch::Throttle(collectors::CollectorList collectors) {
  for (auto& collector : collectors) {
    if (collector->name() == "processes") {
      collector = std::make_unique<ThrottledScan<collectors::ProcessTable>>(
          std::move(collector), &collectors::SystemSample::processes, scan_, scan_->processes,
          clock_);
    } else if (collector->name() == "cgroups") {
      collector = std::make_unique<ThrottledScan<collectors::Cgroups>>(
          std::move(collector), &collectors::SystemSample::cgroups, scan_, scan_->cgroups, clock_);
    }
  }
  return collectors;
}

void SelfWatch::Reconfigure(const config::Config& config) {
  std::lock_guard lock(mutex_);
  settings_ = config.self_limits;
  limits_.Reconfigure(config.self_limits);
}

bool SelfWatch::backed_off() const {
  std::lock_guard lock(mutex_);
  return limits_.any_active();
}

void SelfWatch::OnSample(double interval_seconds) {
  auto usage = collectors::ReadSelfUsage(self_root_);
  const std::int64_t now = clock_.Now().monotonic_ns;
  std::lock_guard lock(mutex_);
  if (!usage.ok()) {
    if (!read_failed_) LogWarning("self-limits: cannot read own usage: " + usage.error().message);
    read_failed_ = true;
    return;
  }
  read_failed_ = false;
  usage_ = *usage;
  database_bytes_ = DatabaseBytes(database_);

  analysis::SelfReading reading;
  reading.monotonic_ns = now;
  reading.cpu_seconds = usage->cpu_user_seconds + usage->cpu_system_seconds;
  reading.resident_bytes = kJudgeResident ? usage->resident_bytes : 0;
  reading.open_fds = usage->open_fds;
  if (limits_.active(SelfLimit::kCpu) && interval_seconds > 0) {
    const double scans_saved_per_second =
        std::max(0.0, 1 / interval_seconds - 1 / settings_.backoff_scan_interval_seconds);
    reading.deferred_cpu_share =
        static_cast<double>(scan_->processes.cost_ns.load() + scan_->cgroups.cost_ns.load()) / 1e9 *
        scans_saved_per_second;
  }
  for (const auto& t : limits_.Update(reading)) {
    const std::string amount = Amount(t.limit, t.value);
    const std::string budget = Amount(t.limit, t.budget);
    if (t.entered) {
      ++backoffs_[static_cast<int>(t.limit)];
      char every[32];
      std::snprintf(every, sizeof(every), "%g s", settings_.backoff_scan_interval_seconds);
      LogWarning("self-limits: " + What(t.limit) + " " + amount + " is above its budget of " +
                 budget +
                 ": backing off (the process table and the cgroups are scanned at most "
                 "every " +
                 every + "; captures are light)");
    } else {
      std::string still;
      for (std::size_t i = 0; i < analysis::kSelfLimitNames.size(); ++i) {
        if (limits_.active(static_cast<SelfLimit>(i))) {
          still += (still.empty() ? "" : ", ") + What(static_cast<SelfLimit>(i));
        }
      }
      LogInfo("self-limits: " + What(t.limit) + " " + amount + " is back under its budget of " +
              budget +
              (still.empty() ? ": no longer backing off" : ": still backing off for " + still));
    }
  }
  scan_->min_interval_ns.store(
      limits_.any_active()
          ? static_cast<std::int64_t>(settings_.backoff_scan_interval_seconds * 1e9)
          : 0);
}

std::vector<prometheus::MetricFamily> SelfWatch::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  Families f(out);
  std::lock_guard lock(mutex_);
  if (usage_) {
    f.Counter("rogue_hunter_self_cpu_seconds_total", "CPU time the daemon used, by mode.")
        .Add({{"mode", "user"}}, usage_->cpu_user_seconds)
        .Add({{"mode", "system"}}, usage_->cpu_system_seconds);
    f.Gauge("rogue_hunter_self_resident_bytes", "Resident memory of the daemon.")
        .Add(static_cast<double>(usage_->resident_bytes));
    f.Gauge("rogue_hunter_self_open_fds", "File descriptors the daemon holds open.")
        .Add(static_cast<double>(usage_->open_fds));
  }
  if (database_bytes_) {
    f.Gauge("rogue_hunter_self_database_bytes",
            "Size of the history database with its WAL and shared-memory files.")
        .Add(static_cast<double>(*database_bytes_));
  }
  auto active = f.Gauge("rogue_hunter_self_backoff",
                        "1 while the daemon backs off because its cost is above this budget.");
  auto backoffs = f.Counter("rogue_hunter_self_backoffs_total",
                            "Times the daemon started backing off, by the budget crossed.");
  for (std::size_t i = 0; i < analysis::kSelfLimitNames.size(); ++i) {
    const auto limit = static_cast<SelfLimit>(i);
    active.Add({{"reason", analysis::kSelfLimitNames[i]}}, limits_.active(limit) ? 1 : 0);
    backoffs.Add({{"reason", analysis::kSelfLimitNames[i]}}, static_cast<double>(backoffs_[i]));
  }
  f.Counter("rogue_hunter_self_deferred_scans_total",
            "Scans skipped while backing off (the pass reused the last scan), by collector.")
      .Add({{"collector", "processes"}}, static_cast<double>(scan_->processes.deferred.load()))
      .Add({{"collector", "cgroups"}}, static_cast<double>(scan_->cgroups.deferred.load()));
  return out;
}

}  // namespace rh::exporter
