#include "exporter/metrics.h"

#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <array>
#include <optional>
#include <span>
#include <stdexcept>

#include "collectors/system_sample.h"
#include "exporter/families.h"
#include "exporter/kernel_watch.h"
#include "exporter/pause_inquiry.h"
#include "forensics/capture/capture_worker.h"

#ifndef RH_VERSION
#define RH_VERSION "unknown"
#endif
#ifndef RH_REVISION
#define RH_REVISION "unknown"
#endif

namespace rh::exporter {
namespace {

using collectors::SystemSample;

void AppendDaemonFamilies(const SystemSample& s, Families& f) {
  auto success = f.Gauge("rogue_hunter_collector_success",
                         "1 if the collector read and parsed its sources in the last pass.");
  auto duration = f.Gauge("rogue_hunter_collector_duration_seconds",
                          "Time the collector took in the last pass.");
  double total = 0;
  for (const auto& c : s.collectors) {
    success.Add({{"collector", c.name}}, c.ok ? 1 : 0);
    duration.Add({{"collector", c.name}}, c.duration_seconds);
    total += c.duration_seconds;
  }
  f.Gauge("rogue_hunter_sample_timestamp_seconds", "Unix time of the sample shown.")
      .Add(static_cast<double>(s.clock.realtime_ns) / 1e9);
  f.Gauge("rogue_hunter_sample_duration_seconds", "How long the last collection pass took.")
      .Add(total);
}

// The families of one described part (collectors/fields.h): consecutive fields with the same
// metric name are the series of one family, told apart by their label.
template <typename Part>
void AppendDescribedFamilies(std::span<const collectors::Field<Part>> fields, const Part& part,
                             Families& f) {
  std::optional<Families::Family> family;
  std::string_view current;
  for (const auto& field : fields) {
    if (field.metric.empty() || field.type == collectors::MetricType::kNone) continue;
    if (!family || field.metric != current) {
      const std::string name(field.metric), help(field.help);
      family.emplace(field.type == collectors::MetricType::kCounter ? f.Counter(name, help)
                                                                    : f.Gauge(name, help));
      current = field.metric;
    }
    const double value = collectors::NumberOf(field, part) * field.scale;
    if (field.label_name.empty()) {
      family->Add(value);
    } else {
      family->Add({{field.label_name, field.label_value}}, value);
    }
  }
}

// Every described part whose collector succeeded in this pass.
void AppendDescribedParts(const SystemSample& s, Families& f) {
  collectors::VisitDescribedParts(
      s, [&](std::string_view, std::string_view collector, auto fields, const auto& part) {
        if (s.Succeeded(collector)) AppendDescribedFamilies(fields, part, f);
      });
}

void AppendLoadFamilies(const SystemSample& s, Families& f) {
  if (!s.Succeeded("loadavg")) return;
  const auto& l = s.loadavg;
  f.Gauge("rogue_hunter_load_per_core", "1-minute load average divided by online CPUs.")
      .Add(l.online_cpus == 0 ? 0 : l.load1 / l.online_cpus);
}

void AppendPressureFamilies(const SystemSample& s, Families& f) {
  if (!s.Succeeded("pressure")) return;
  auto available = f.Gauge("rogue_hunter_pressure_available",
                           "1 if the kernel reports pressure stall information for the resource.");
  auto avg10 =
      f.Gauge("rogue_hunter_pressure_avg10_ratio",
              "Share of the last 10 s in which some (or all) tasks stalled on the resource.");
  auto stalled = f.Counter("rogue_hunter_pressure_stall_seconds_total",
                           "Cumulative time some (or all) tasks stalled on the resource.");
  for (std::size_t i = 0; i < collectors::kPsiResourceNames.size(); ++i) {
    std::string_view resource = collectors::kPsiResourceNames[i];
    const auto& r = s.pressure.resources[i];
    available.Add({{"resource", resource}}, r.available ? 1 : 0);
    if (!r.available) continue;
    for (auto [kind, line] : {std::pair{"some", &r.some}, std::pair{"full", &r.full}}) {
      if (!line->has_value()) continue;
      avg10.Add({{"resource", resource}, {"kind", kind}}, (*line)->avg10 / 100.0);
      stalled.Add({{"resource", resource}, {"kind", kind}},
                  static_cast<double>((*line)->total_us) / 1e6);
    }
  }
}

void AppendThermalFamilies(const SystemSample& s, Families& f) {
  if (!s.Succeeded("thermal")) return;
  const auto& t = s.thermal;
  if (!t.zones.empty()) {
    auto zones = f.Gauge("rogue_hunter_thermal_zone_celsius", "Temperature of each thermal zone.");
    for (const auto& z : t.zones) {
      zones.Add({{"zone", z.zone}, {"type", SanitizeLabelValue(z.type)}}, z.celsius);
    }
  }
  if (t.throttle_counters) {
    f.Counter("rogue_hunter_thermal_throttles_total", "CPU thermal throttling events.")
        .Add({{"scope", "core"}}, static_cast<double>(t.core_throttles))
        .Add({{"scope", "package"}}, static_cast<double>(t.package_throttles));
  }
}

void AppendProcessFamilies(const SystemSample& s, Families& f) {
  if (!s.Succeeded("processes")) return;
  const auto& p = s.processes;
  auto cpu = f.Gauge("rogue_hunter_top_process_cpu_ratio",
                     "CPU seconds per second of the busiest processes since the previous sample.");
  for (std::size_t i = 0; i < p.top_cpu.size(); ++i) {
    std::string rank = std::to_string(i + 1);
    cpu.Add({{"rank", rank}, {"comm", SanitizeLabelValue(p.top_cpu[i].comm)}},
            p.top_cpu[i].cpu_ratio);
  }
  auto rss = f.Gauge("rogue_hunter_top_process_resident_bytes",
                     "Resident memory of the largest processes.");
  for (std::size_t i = 0; i < p.top_rss.size(); ++i) {
    std::string rank = std::to_string(i + 1);
    rss.Add({{"rank", rank}, {"comm", SanitizeLabelValue(p.top_rss[i].comm)}},
            static_cast<double>(p.top_rss[i].rss_bytes));
  }
}

void AppendCgroupFamilies(const SystemSample& s, Families& f) {
  if (!s.Succeeded("cgroups")) return;
  const auto& c = s.cgroups;
  f.Gauge("rogue_hunter_cgroups_available",
          "1 if a cgroup v2 hierarchy was found and read, wherever it is mounted.")
      .Add(c.available ? 1 : 0);
  if (!c.available) return;
  f.Gauge("rogue_hunter_cgroups", "Cgroups in the v2 hierarchy, up to cgroups.max_cgroups.")
      .Add(c.count);
  auto ranked = [&](const char* name, const char* help, const auto& list, auto value) {
    auto family = f.Gauge(name, help);
    for (std::size_t i = 0; i < list.size(); ++i) {
      family.Add({{"rank", std::to_string(i + 1)}, {"cgroup", SanitizeLabelValue(list[i].name)}},
                 value(list[i]));
    }
  };
  ranked("rogue_hunter_top_cgroup_memory_bytes", "Memory of the cgroups that use most.",
         c.top_memory,
         [](const auto& u) { return static_cast<double>(u.memory_bytes.value_or(0)); });
  ranked("rogue_hunter_top_cgroup_memory_full_stall_ratio",
         "Share of the time all tasks of the cgroup stalled on memory, since the previous sample.",
         c.top_memory_full, [](const auto& u) { return u.memory_full_ratio; });
  ranked("rogue_hunter_top_cgroup_io_full_stall_ratio",
         "Share of the time all tasks of the cgroup stalled on I/O, since the previous sample.",
         c.top_io_full, [](const auto& u) { return u.io_full_ratio; });
}

void AppendStressFamilies(const Snapshot& snapshot, Families& f) {
  const auto& a = snapshot.assessment;
  f.Gauge("rogue_hunter_stress_score", "The stress score, 0-100: the capped sum of the components.")
      .Add(a.score);
  auto components =
      f.Gauge("rogue_hunter_stress_component", "Points each component adds to the stress score.");
  for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
    components.Add({{"component", analysis::kComponentNames[i]}}, a.components[i]);
  }
  f.Gauge("rogue_hunter_memory_pressure_ratio", "How close memory is to causing stalls, 0-1.")
      .Add(a.memory_pressure);
  auto state =
      f.Gauge("rogue_hunter_sampling_state", "1 for the current sampling state, 0 for the others.");
  for (std::size_t i = 0; i < analysis::kSamplingStateNames.size(); ++i) {
    state.Add({{"state", analysis::kSamplingStateNames[i]}},
              static_cast<int>(snapshot.state) == static_cast<int>(i) ? 1 : 0);
  }
  f.Gauge("rogue_hunter_sampling_interval_seconds", "The sampling interval in force.")
      .Add(snapshot.interval_seconds);
}

void AppendHistogram(Families& f, const char* name, const char* help,
                     const analysis::AtomicHistogram& h) {
  auto reading = h.Read();
  f.Histogram(name, help).AddHistogram(reading.bounds, reading.cumulative, reading.sum_seconds);
}

}  // namespace

void AppendWatchdogFamilies(const analysis::Watchdog::Stats& w, const analysis::PauseStats& p,
                            std::vector<prometheus::MetricFamily>& out) {
  Families f(out);
  auto count = f.Counter("rogue_hunter_pauses_total", "Pauses detected since start, by scope.");
  for (std::size_t i = 0; i < analysis::kPauseScopeNames.size(); ++i) {
    count.Add({{"scope", analysis::kPauseScopeNames[i]}},
              static_cast<double>(p.count[i].load(std::memory_order_acquire)));
  }
  auto durations =
      f.Histogram("rogue_hunter_pause_duration_seconds", "Duration of each pause, by scope.");
  for (std::size_t i = 0; i < analysis::kPauseScopeNames.size(); ++i) {
    auto reading = p.durations[i].Read();
    durations.AddHistogram(reading.bounds, reading.cumulative, reading.sum_seconds,
                           {{"scope", analysis::kPauseScopeNames[i]}});
  }
  f.Gauge("rogue_hunter_last_pause_timestamp_seconds",
          "Unix time the last pause ended; 0 before the first.")
      .Add(static_cast<double>(w.last_pause_end_realtime_ns.load()) / 1e9);
  f.Gauge("rogue_hunter_last_pause_duration_seconds",
          "Duration of the last pause; 0 before the first.")
      .Add(static_cast<double>(w.last_pause_duration_ns.load()) / 1e9);
  if (p.any.load(std::memory_order_relaxed)) {
    const auto scope = static_cast<analysis::PauseScope>(p.last_scope.load());
    const auto reason = static_cast<analysis::PauseReason>(p.last_reason.load());
    f.Gauge("rogue_hunter_last_pause_scope",
            "Always 1; the labels say what froze in the last pause and why.")
        .Add({{"scope", analysis::Name(scope)}, {"reason", analysis::Name(reason)}}, 1);
    f.Gauge("rogue_hunter_last_pause_start_uncertainty_seconds",
            "The last pause's start is known to plus or minus this (half a tick).")
        .Add(static_cast<double>(p.last_start_uncertainty_ns.load()) / 1e9);
  }
  f.Counter("rogue_hunter_suspends_total", "Suspends since start; never counted as pauses.")
      .Add(static_cast<double>(w.suspend_count.load()));
  AppendHistogram(f, "rogue_hunter_hiccup_seconds", "How late each watchdog wake-up was.",
                  w.hiccups);
  f.Gauge("rogue_hunter_watchdog_priority_raised",
          "1 if the watchdog thread runs with raised priority.")
      .Add(w.priority_raised ? 1 : 0);
  f.Gauge("rogue_hunter_watchdog_memory_locked",
          "1 if the watchdog's stack and state are locked in RAM.")
      .Add(w.memory_locked ? 1 : 0);
}

void AppendSnapshotFamilies(const Snapshot& snapshot, std::vector<prometheus::MetricFamily>& out) {
  Families f(out);
  const SystemSample& s = snapshot.sample;
  AppendDaemonFamilies(s, f);
  f.Counter("rogue_hunter_samples_total", "Collection passes since start.")
      .Add(static_cast<double>(snapshot.sequence));
  AppendDescribedParts(s, f);
  AppendLoadFamilies(s, f);
  AppendPressureFamilies(s, f);
  AppendThermalFamilies(s, f);
  AppendProcessFamilies(s, f);
  AppendCgroupFamilies(s, f);
  AppendStressFamilies(snapshot, f);
}

std::vector<prometheus::MetricFamily> DaemonMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  Families f(out);
  f.Gauge("rogue_hunter_build_info", "Always 1; the labels say which build runs.")
      .Add({{"version", RH_VERSION}, {"revision", RH_REVISION}}, 1);
  f.Gauge("rogue_hunter_start_time_seconds", "Unix time the daemon started.")
      .Add(start_time_seconds_);
  if (auto snapshot = hub_.Latest()) AppendSnapshotFamilies(*snapshot, out);
  if (live_.critical_episodes != nullptr) {
    f.Counter("rogue_hunter_critical_episodes_total", "Episodes of critical stress since start.")
        .Add(static_cast<double>(live_.critical_episodes->load()));
  }
  if (live_.watchdog != nullptr && live_.pauses != nullptr) {
    AppendWatchdogFamilies(*live_.watchdog, *live_.pauses, out);
  }
  if (live_.kernel != nullptr) {
    const auto& log = live_.kernel->log_stats();
    f.Gauge("rogue_hunter_kernel_log_readable",
            "1 if the kernel log (/dev/kmsg) can be read and is being followed.")
        .Add(log.readable.load() ? 1 : 0);
    f.Counter("rogue_hunter_kernel_log_records_total", "Kernel log records read since start.")
        .Add(static_cast<double>(log.records.load()));
    f.Counter("rogue_hunter_kernel_log_lost_records_total",
              "Kernel log records overwritten by the kernel before they were read.")
        .Add(static_cast<double>(log.lost.load()));
    auto reports = f.Counter("rogue_hunter_kernel_reports_total",
                             "Stall and trouble reports of the kernel, by kind.");
    const auto& counts = live_.kernel->report_stats().count;
    for (std::size_t i = 0; i < analysis::kKernelReportKinds; ++i) {
      reports.Add({{"kind", analysis::kKernelReportKindNames[i]}},
                  static_cast<double>(counts[i].load(std::memory_order_relaxed)));
    }
  }
  if (live_.pressure != nullptr && !live_.pressure->watched().empty()) {
    auto mode = f.Gauge("rogue_hunter_pressure_trigger_mode",
                        "1 for how each PSI trigger is watched (trigger, polling, unavailable).");
    auto firings = f.Counter("rogue_hunter_pressure_trigger_firings_total",
                             "PSI triggers that fired since start.");
    for (const auto& w : live_.pressure->watched()) {
      const std::string_view resource =
          collectors::kPsiResourceNames[static_cast<int>(w->spec.resource)];
      const std::string_view level =
          collectors::kPressureLevelNames[static_cast<int>(w->spec.level)];
      for (std::size_t m = 0; m < collectors::kPressureWatchModeNames.size(); ++m) {
        mode.Add({{"resource", resource},
                  {"level", level},
                  {"mode", collectors::kPressureWatchModeNames[m]}},
                 static_cast<std::size_t>(w->mode) == m ? 1 : 0);
      }
      firings.Add({{"resource", resource}, {"level", level}},
                  static_cast<double>(w->firings.load(std::memory_order_relaxed)));
    }
  }
  if (live_.inquiry != nullptr) {
    f.Gauge("rogue_hunter_pause_evidence_seconds",
            "How far back the counters kept to judge a pause's scope reach.")
        .Add(live_.inquiry->evidence_seconds());
  }
  if (live_.storage != nullptr) {
    const forensics::StorageStats& st = *live_.storage;
    f.Counter("rogue_hunter_storage_writes_total",
              "Transactions committed to the history database.")
        .Add(static_cast<double>(st.writes.load()));
    f.Counter("rogue_hunter_storage_errors_total", "Failed writes to the history database.")
        .Add(static_cast<double>(st.errors.load()));
    f.Gauge("rogue_hunter_storage_healthy",
            "1 if the last write to the history database succeeded.")
        .Add(st.healthy ? 1 : 0);
    f.Counter("rogue_hunter_storage_database_resets_total",
              "Corrupt databases moved aside and replaced.")
        .Add(static_cast<double>(st.database_resets.load()));
    f.Counter("rogue_hunter_storage_database_reopens_total",
              "Database files found deleted or replaced while open, and opened again.")
        .Add(static_cast<double>(st.database_reopens.load()));
    f.Counter("rogue_hunter_storage_pruned_rows_total", "Rows removed by retention.")
        .Add(static_cast<double>(st.pruned_rows.load()));
  }
  if (live_.forensics != nullptr) {
    const forensics::CaptureStats& c = *live_.forensics;
    auto captures = f.Counter("rogue_hunter_forensics_captures_total",
                              "Forensic captures attempted, by trigger and result.");
    for (std::size_t t = 0; t < forensics::kCaptureTriggerNames.size(); ++t) {
      for (std::size_t r = 0; r < forensics::kCaptureResultNames.size(); ++r) {
        captures.Add({{"trigger", forensics::kCaptureTriggerNames[t]},
                      {"result", forensics::kCaptureResultNames[r]}},
                     static_cast<double>(c.captures[t][r].load()));
      }
    }
    auto failures = f.Counter("rogue_hunter_forensics_capture_failures_total",
                              "Forensic captures that failed, by trigger and reason.");
    for (std::size_t t = 0; t < forensics::kCaptureTriggerNames.size(); ++t) {
      for (std::size_t r = 0; r < forensics::kCaptureFailureNames.size(); ++r) {
        failures.Add({{"trigger", forensics::kCaptureTriggerNames[t]},
                      {"reason", forensics::kCaptureFailureNames[r]}},
                     static_cast<double>(c.failures[t][r].load()));
      }
    }
    auto readable =
        f.Gauge("rogue_hunter_forensics_source_readable",
                "1 if captures can read the source (kernel log, kernel stacks of blocked tasks).");
    for (std::size_t i = 0; i < forensics::kCaptureSourceNames.size(); ++i) {
      readable.Add({{"source", forensics::kCaptureSourceNames[i]}},
                   static_cast<double>(c.readable[i].load()));
    }
    AppendHistogram(f, "rogue_hunter_forensics_capture_duration_seconds",
                    "Time from the trigger to the complete bundle on disk.", c.duration);
    f.Counter("rogue_hunter_forensics_light_captures_total",
              "Captures made light because the daemon was over a self-limits budget.")
        .Add(static_cast<double>(c.light_captures.load()));
    f.Gauge("rogue_hunter_forensics_bundles", "Bundles in the events directory.")
        .Add(static_cast<double>(c.bundles.load()));
    f.Gauge("rogue_hunter_forensics_bundles_bytes", "Size of the events directory.")
        .Add(static_cast<double>(c.bundle_bytes.load()));
  }
  if (live_.reloads != nullptr) {
    const ReloadStats& r = *live_.reloads;
    f.Counter("rogue_hunter_config_reloads_total", "Configuration reloads (SIGHUP), by result.")
        .Add({{"result", "success"}}, static_cast<double>(r.succeeded.load()))
        .Add({{"result", "failure"}}, static_cast<double>(r.failed.load()));
    f.Gauge("rogue_hunter_config_last_reload_successful",
            "0 if the last reload was rejected (the previous configuration stays), else 1.")
        .Add(r.last_ok ? 1 : 0);
  }
  return out;
}

MetricsPage::MetricsPage(std::vector<std::shared_ptr<prometheus::Collectable>> sources,
                         const Clock& clock, std::chrono::milliseconds max_age)
    : sources_(std::move(sources)),
      clock_(clock),
      max_age_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(max_age).count()) {}

std::shared_ptr<const std::string> MetricsPage::Get(bool gzip) {
  std::lock_guard lock(mutex_);
  std::uint64_t generation = generation_.load(std::memory_order_acquire);
  std::int64_t now = clock_.Now().monotonic_ns;
  if (text_ == nullptr || generation != built_generation_ ||
      now - built_at_ns_ >= max_age_ns_.load()) {
    text_ = std::make_shared<const std::string>(Render(sources_));
    gzip_.reset();
    built_generation_ = generation;
    built_at_ns_ = now;
  }
  if (!gzip) return text_;
  if (gzip_ == nullptr) gzip_ = std::make_shared<const std::string>(Gzip(*text_));
  return gzip_;
}

std::string MetricsPage::Render(
    const std::vector<std::shared_ptr<prometheus::Collectable>>& sources) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& source : sources) {
    auto more = source->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

std::string Gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

}  // namespace rh::exporter
