#include "exporter/api/status.h"

#include <algorithm>

#include "analysis/stress.h"
#include "base/utf8.h"
#include "exporter/api/api.h"
#include "exporter/api/json.h"
#include "forensics/sample_json.h"

namespace rh::exporter::api {
namespace {

using nlohmann::json;

// A sample older than this many intervals (plus slack) means the sampler is stuck, as /healthz
// judges it.
double StaleAfter(const Snapshot& s, const config::Sampling& sampling) {
  return 3 * std::max(s.interval_seconds, sampling.normal_interval) + 10;
}

std::string_view HealthWord(analysis::SamplingState state) {
  switch (state) {
    case analysis::SamplingState::kNormal:
      return "healthy";
    case analysis::SamplingState::kElevated:
      return "stressed";
    case analysis::SamplingState::kCritical:
      return "critical";
  }
  return "healthy";
}

json Ratio(const collectors::PsiResource& r, bool full) {
  const auto& line = full ? r.full : r.some;
  if (!r.available || !line) return nullptr;
  return line->avg10 / 100.0;
}

json Process(const collectors::TopProcess& p) {
  return {{"pid", p.pid},
          {"comm", ToValidUtf8(p.comm)},
          {"state", std::string(1, p.state)},
          {"cpu_ratio", p.cpu_ratio},
          {"rss_bytes", p.rss_bytes}};
}

json Stress(const Snapshot& s, const config::Stress& weights) {
  const config::Component* caps[] = {&weights.load,   &weights.cpu,     &weights.io,
                                     &weights.memory, &weights.thermal, &weights.latency};
  json components = json::object();
  json max = json::object();
  for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
    components[std::string(analysis::kComponentNames[i])] = s.assessment.components[i];
    max[std::string(analysis::kComponentNames[i])] = caps[i]->cap;
  }
  return {{"score", s.assessment.score}, {"components", components}, {"caps", max}};
}

json Cpu(const Snapshot& s, const Snapshot* previous) {
  json busy = nullptr;
  if (previous != nullptr) {
    auto total = [](const collectors::CpuTimes& t) {
      return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;
    };
    const auto& now = s.sample.stat.total;
    const auto& then = previous->sample.stat.total;
    const double elapsed = total(now) - total(then);
    const double idle = (now.idle + now.iowait) - (then.idle + then.iowait);
    if (elapsed > 0) busy = std::clamp(1 - idle / elapsed, 0.0, 1.0);
  }
  const auto& signals = s.assessment.signals;
  return {{"busy_ratio", busy},
          {"iowait_ratio", signals.iowait_share},
          {"steal_ratio", signals.steal_share},
          {"pressure_some_ratio", Ratio(s.sample.pressure[collectors::PsiKind::kCpu], false)}};
}

json Memory(const Snapshot& s) {
  const auto& m = s.sample.meminfo;
  json used = nullptr;
  if (m.total > 0) used = 1 - static_cast<double>(std::min(m.available, m.total)) / m.total;
  return {{"total_bytes", m.total},
          {"available_bytes", m.available},
          {"used_ratio", used},
          {"swap_total_bytes", m.swap_total},
          {"swap_used_bytes", m.swap_total - std::min(m.swap_free, m.swap_total)},
          {"pressure_ratio", s.assessment.memory_pressure}};
}

json Io(const Snapshot& s, const Snapshot* previous) {
  json read = nullptr, written = nullptr;
  if (previous != nullptr) {
    const double elapsed =
        static_cast<double>(s.sample.clock.monotonic_ns - previous->sample.clock.monotonic_ns) /
        1e9;
    auto rate = [&](std::uint64_t now, std::uint64_t then) -> json {
      if (elapsed <= 0 || now < then) return nullptr;
      return static_cast<double>(now - then) * 1024 / elapsed;  // pgpgin/out count KiB
    };
    read = rate(s.sample.vmstat.pgpgin, previous->sample.vmstat.pgpgin);
    written = rate(s.sample.vmstat.pgpgout, previous->sample.vmstat.pgpgout);
  }
  const auto& io = s.sample.pressure[collectors::PsiKind::kIo];
  return {{"read_bytes_per_second", read},
          {"write_bytes_per_second", written},
          {"baseline_bytes_per_second", s.assessment.signals.io_baseline},
          {"pressure_some_ratio", Ratio(io, false)},
          {"pressure_full_ratio", Ratio(io, true)}};
}

json Processes(const Snapshot& s) {
  const auto& p = s.sample.processes;
  json cpu = json::array(), memory = json::array(), blocked = json::array();
  for (const auto& t : p.top_cpu) cpu.push_back(Process(t));
  for (const auto& t : p.top_rss) memory.push_back(Process(t));
  for (const auto& b : p.blocked) {
    blocked.push_back(
        {{"pid", b.pid}, {"comm", ToValidUtf8(b.comm)}, {"wchan", ToValidUtf8(b.wchan)}});
  }
  return {{"total", p.counts.total},   {"running", p.counts.running}, {"blocked", p.counts.blocked},
          {"zombie", p.counts.zombie}, {"threads", p.counts.threads}, {"top_cpu", cpu},
          {"top_memory", memory},      {"blocked_tasks", blocked}};
}

std::string Time(double unix_seconds) {
  return forensics::Rfc3339(static_cast<std::int64_t>(unix_seconds * 1e9));
}

}  // namespace

StatusBoard::StatusBoard(DaemonIdentity identity, const config::Config& config,
                         const analysis::Watchdog::Stats* watchdog)
    : identity_(std::move(identity)),
      watchdog_(watchdog),
      sampling_(config.sampling),
      stress_(config.stress),
      captures_enabled_(config.forensics.enabled) {}

void StatusBoard::OnSample(std::shared_ptr<const Snapshot> sample) {
  std::lock_guard lock(mutex_);
  previous_ = std::move(latest_);
  latest_ = std::move(sample);
}

void StatusBoard::OnEvent(const forensics::EventRecord& event) {
  if (event.kind == forensics::EventKind::kStateChange) return;
  std::lock_guard lock(mutex_);
  for (auto& e : events_) {
    if (e.event.key == event.key) {  // an episode written again when it ends
      e.event = event;
      return;
    }
  }
  RecentEvent recent{event, "", "", "", 0};
  if (captures_enabled_ && event.kind != forensics::EventKind::kSuspend) recent.capture = "pending";
  events_.push_front(std::move(recent));
  if (events_.size() > kRecentEvents) events_.pop_back();
}

void StatusBoard::OnCapture(std::string_view event_key, std::string_view result,
                            std::string_view bundle, std::string_view culprit,
                            std::int32_t culprit_pid) {
  std::lock_guard lock(mutex_);
  for (auto& e : events_) {
    if (e.event.key != event_key) continue;
    e.capture = result;
    e.bundle = bundle;
    e.culprit = culprit;
    e.culprit_pid = culprit_pid;
    return;
  }
}

void StatusBoard::Reconfigure(const config::Config& config) {
  std::lock_guard lock(mutex_);
  sampling_ = config.sampling;
  stress_ = config.stress;
}

json StatusBoard::ToJson(const ClockReading& now) const {
  std::lock_guard lock(mutex_);
  const double now_s = static_cast<double>(now.realtime_ns) / 1e9;
  json out;
  out["time"] = forensics::Rfc3339(now.realtime_ns);
  out["daemon"] = {{"pid", identity_.pid},
                   {"version", identity_.version},
                   {"revision", identity_.revision},
                   {"started", forensics::Rfc3339(identity_.start_realtime_ns)},
                   {"uptime_seconds",
                    static_cast<double>(now.monotonic_ns - identity_.start_monotonic_ns) / 1e9},
                   {"config", identity_.config.empty() ? json(nullptr) : json(identity_.config)}};

  std::string health = "starting";
  if (latest_) {
    const Snapshot& s = *latest_;
    const Snapshot* previous = previous_.get();
    const double age = static_cast<double>(now.monotonic_ns - s.sample.clock.monotonic_ns) / 1e9;
    const bool stale = age > StaleAfter(s, sampling_);
    health = stale ? "stale" : std::string(HealthWord(s.state));
    out["sample"] = {{"time", forensics::Rfc3339(s.sample.clock.realtime_ns)},
                     {"age_seconds", age},
                     {"sequence", s.sequence},
                     {"stale", stale}};
    out["sampling"] = {{"state", analysis::Name(s.state)},
                       {"interval_seconds", s.interval_seconds},
                       {"elevation_threshold", sampling_.elevation_threshold},
                       {"recovery_threshold", sampling_.recovery_threshold},
                       {"critical_threshold", sampling_.critical_threshold}};
    out["stress"] = Stress(s, stress_);
    const auto& l = s.sample.loadavg;
    out["load"] = {{"load1", l.load1},
                   {"load5", l.load5},
                   {"load15", l.load15},
                   {"cores", l.online_cpus},
                   {"per_core", l.online_cpus == 0 ? 0.0 : l.load1 / l.online_cpus}};
    out["cpu"] = Cpu(s, previous);
    out["memory"] = Memory(s);
    out["io"] = Io(s, previous);
    out["processes"] = Processes(s);
  } else {
    for (const char* part :
         {"sample", "sampling", "stress", "load", "cpu", "memory", "io", "processes"}) {
      out[part] = nullptr;
    }
  }
  out["health"] = health;

  json pauses = {{"count", 0}, {"suspends", 0}, {"last", nullptr}};
  if (watchdog_ != nullptr) {
    pauses["count"] = watchdog_->pause_count.load();
    pauses["suspends"] = watchdog_->suspend_count.load();
    const std::int64_t end = watchdog_->last_pause_end_realtime_ns.load();
    if (end > 0) {
      json last = {
          {"end", forensics::Rfc3339(end)},
          {"ago_seconds", static_cast<double>(now.realtime_ns - end) / 1e9},
          {"duration_seconds", static_cast<double>(watchdog_->last_pause_duration_ns.load()) / 1e9},
          {"bundle", nullptr},
          {"scope", nullptr}};
      for (const auto& e : events_) {
        if (e.event.kind == forensics::EventKind::kPause) {
          if (!e.bundle.empty()) last["bundle"] = e.bundle;
          if (!e.event.scope.empty()) last["scope"] = e.event.scope;
          break;
        }
      }
      pauses["last"] = last;
    }
  }
  out["pauses"] = pauses;

  json events = json::array();
  for (const auto& e : events_) {
    const auto& ev = e.event;
    json top = nullptr;
    for (const auto& p : ev.processes) {
      if (p.list == "cpu" && p.rank == 1) {
        top = {{"pid", p.pid}, {"comm", ToValidUtf8(p.comm)}, {"cpu_ratio", p.cpu_ratio}};
      }
    }
    events.push_back({{"key", ev.key},
                      {"kind", forensics::kEventKindNames[static_cast<std::size_t>(ev.kind)]},
                      {"start", Time(ev.start_time)},
                      {"end", Time(ev.end_time)},
                      {"ago_seconds", now_s - ev.end_time},
                      {"duration_seconds", ev.duration_seconds},
                      {"score_before", ev.score_before},
                      {"top_cpu_process", top},
                      {"capture", e.capture.empty() ? json(nullptr) : json(e.capture)},
                      {"bundle", e.bundle.empty() ? json(nullptr) : json(e.bundle)},
                      {"culprit", e.culprit.empty() ? json(nullptr)
                                                    : json{{"pid", e.culprit_pid},
                                                           {"comm", ToValidUtf8(e.culprit)}}}});
  }
  out["recent_events"] = events;
  return out;
}

HttpResponse Status(const StatusBoard& board, const Clock& clock) {
  HttpResponse r = HttpResponse::Text(
      200, board.ToJson(clock.Now()).dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  r.content_type = "application/json";
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse GetStatus(ApiContext& c, ApiRequest&) {
  if (c.status == nullptr) return JsonError(404, "no such endpoint");
  return Status(*c.status, c.clock);
}

}  // namespace rh::exporter::api
