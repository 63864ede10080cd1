#include "forensics/sample_json.h"

#include <time.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

#include "base/utf8.h"
#include "forensics/json_read.h"

namespace rh::forensics {
namespace {

using collectors::SystemSample;
using nlohmann::json;

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += {kBase64[v >> 18], kBase64[(v >> 12) & 63], kBase64[(v >> 6) & 63], kBase64[v & 63]};
    i += 3;
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {kBase64[v >> 18], kBase64[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kBase64[v >> 18], kBase64[(v >> 12) & 63], kBase64[(v >> 6) & 63], '='};
  }
  return out;
}

std::optional<std::string> Unbase64(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    unsigned v = 0;
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      const char* p = c == '=' ? nullptr : std::strchr(kBase64, c);
      if (c == '=') {
        if (i + 4 != in.size() || k < 2) return std::nullopt;
        ++pad;
      } else if (p == nullptr || c == '\0' || pad > 0) {
        return std::nullopt;
      }
      v = (v << 6) | (p == nullptr ? 0 : static_cast<unsigned>(p - kBase64));
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

// Reads typed fields out of a JSON object, remembering the first problem with its field path.
class Reader {
 public:
  Reader(const json& j, std::string path, std::string* error)
      : j_(j), path_(std::move(path)), error_(error) {}

  template <typename T>
  void Get(const char* key, T& out) {
    if (!error_->empty()) return;
    auto it = j_.find(key);
    if (it == j_.end()) return Fail(key, "missing");
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // Range-checked: a value that does not fit is refused, never narrowed.
      if (!it->is_number_integer()) return Fail(key, "has the wrong type");
      auto v = JsonInteger<T>(*it);
      if (!v) return Fail(key, "is out of range: " + it->dump());
      out = *v;
    } else {
      try {
        out = it->get<T>();
      } catch (const json::exception&) {
        Fail(key, "has the wrong type");
      }
    }
  }
  void Bytes(const char* key, std::string& out) {
    if (!error_->empty()) return;
    auto it = j_.find(key);
    if (it == j_.end()) return Fail(key, "missing");
    auto bytes = BytesFromJson(*it);
    if (!bytes) return Fail(key, bytes.error().message);
    out = std::move(bytes).value();
  }
  void Char(const char* key, char& out) {
    std::string s;
    Get(key, s);
    if (error_->empty() && s.size() != 1) return Fail(key, "must be one character");
    if (!s.empty()) out = s[0];
  }
  Reader Object(const char* key) {
    static const json kEmpty = json::object();
    if (!error_->empty()) return Reader(kEmpty, path_, error_);
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_object()) {
      Fail(key, it == j_.end() ? "missing" : "must be an object");
      return Reader(kEmpty, path_, error_);
    }
    return Reader(*it, path_ + "." + key, error_);
  }
  const json* Array(const char* key) {
    if (!error_->empty()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || !it->is_array()) {
      Fail(key, it == j_.end() ? "missing" : "must be an array");
      return nullptr;
    }
    return &*it;
  }
  bool Has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  const std::string& path() const { return path_; }
  bool ok() const { return error_->empty(); }

 private:
  void Fail(const char* key, const std::string& what) { *error_ = path_ + "." + key + " " + what; }
  const json& j_;
  std::string path_;
  std::string* error_;
};

json PsiLineJson(const collectors::PsiLine& l) {
  return {{"avg10", l.avg10}, {"avg60", l.avg60}, {"avg300", l.avg300}, {"total_us", l.total_us}};
}

json TopJson(const std::vector<collectors::TopProcess>& list) {
  json out = json::array();
  for (const auto& p : list) {
    out.push_back({{"pid", p.pid},
                   {"comm", BytesToJson(p.comm)},
                   {"state", std::string(1, p.state)},
                   {"cpu_ratio", p.cpu_ratio},
                   {"rss_bytes", p.rss_bytes},
                   {"cpu_ticks", p.cpu_ticks},
                   {"major_faults", p.major_faults}});
  }
  return out;
}

void ReadTop(Reader r, const char* key, std::vector<collectors::TopProcess>& out,
             std::string* error) {
  const json* list = r.Array(key);
  if (list == nullptr) return;
  for (std::size_t i = 0; i < list->size() && error->empty(); ++i) {
    Reader p((*list)[i], r.path() + "." + key + "[" + std::to_string(i) + "]", error);
    collectors::TopProcess t;
    p.Get("pid", t.pid);
    p.Bytes("comm", t.comm);
    p.Char("state", t.state);
    p.Get("cpu_ratio", t.cpu_ratio);
    p.Get("rss_bytes", t.rss_bytes);
    p.Get("cpu_ticks", t.cpu_ticks);
    p.Get("major_faults", t.major_faults);
    out.push_back(std::move(t));
  }
}

}  // namespace

json BytesToJson(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  return json{{"base64", Base64(bytes)}};
}

Result<std::string> BytesFromJson(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.size() == 1 && j.contains("base64") && j["base64"].is_string()) {
    if (auto bytes = Unbase64(j["base64"].get<std::string>())) return *bytes;
    return Error{"is not valid base64"};
  }
  return Error{"must be a string or {\"base64\": ...}"};
}

json ToJson(const SystemSample& s) {
  json pressure = json::object();
  for (std::size_t i = 0; i < collectors::kPsiResourceNames.size(); ++i) {
    const auto& r = s.pressure.resources[i];
    json entry = {{"available", r.available}};
    if (r.some) entry["some"] = PsiLineJson(*r.some);
    if (r.full) entry["full"] = PsiLineJson(*r.full);
    pressure[std::string(collectors::kPsiResourceNames[i])] = entry;
  }
  json zones = json::array();
  for (const auto& z : s.thermal.zones) {
    zones.push_back(
        {{"zone", BytesToJson(z.zone)}, {"type", BytesToJson(z.type)}, {"celsius", z.celsius}});
  }
  json blocked = json::array();
  for (const auto& b : s.processes.blocked) {
    blocked.push_back({{"pid", b.pid},
                       {"tid", b.task()},
                       {"comm", BytesToJson(b.comm)},
                       {"wchan", BytesToJson(b.wchan)}});
  }
  json collectors_json = json::array();
  for (const auto& c : s.collectors) {
    collectors_json.push_back({{"name", c.name},
                               {"ok", c.ok},
                               {"duration_seconds", c.duration_seconds},
                               {"error", BytesToJson(c.error)}});
  }
  const auto& t = s.stat.total;
  const auto& c = s.processes.counts;
  const auto& m = s.meminfo;
  const auto& v = s.vmstat;
  return {
      {"clock",
       {{"monotonic_ns", s.clock.monotonic_ns},
        {"boottime_ns", s.clock.boottime_ns},
        {"realtime_ns", s.clock.realtime_ns}}},
      {"page_size", s.page_size},
      {"loadavg",
       {{"load1", s.loadavg.load1},
        {"load5", s.loadavg.load5},
        {"load15", s.loadavg.load15},
        {"runnable", s.loadavg.runnable},
        {"entities", s.loadavg.entities},
        {"last_pid", s.loadavg.last_pid},
        {"online_cpus", s.loadavg.online_cpus}}},
      {"stat",
       {{"total",
         {{"user", t.user},
          {"nice", t.nice},
          {"system", t.system},
          {"idle", t.idle},
          {"iowait", t.iowait},
          {"irq", t.irq},
          {"softirq", t.softirq},
          {"steal", t.steal},
          {"guest", t.guest},
          {"guest_nice", t.guest_nice}}},
        {"cpu_lines", s.stat.cpu_lines},
        {"context_switches", s.stat.context_switches},
        {"forks", s.stat.forks},
        {"interrupts", s.stat.interrupts},
        {"procs_running", s.stat.procs_running},
        {"procs_blocked", s.stat.procs_blocked},
        {"boot_time", s.stat.boot_time}}},
      {"pressure", pressure},
      {"meminfo",
       {{"total", m.total},
        {"free", m.free},
        {"available", m.available},
        {"buffers", m.buffers},
        {"cached", m.cached},
        {"swap_total", m.swap_total},
        {"swap_free", m.swap_free},
        {"swap_cached", m.swap_cached},
        {"dirty", m.dirty},
        {"writeback", m.writeback},
        {"available_estimated", m.available_estimated}}},
      {"vmstat",
       {{"pswpin", v.pswpin},
        {"pswpout", v.pswpout},
        {"pgpgin", v.pgpgin},
        {"pgpgout", v.pgpgout},
        {"pgmajfault", v.pgmajfault},
        {"allocstall", v.allocstall},
        {"compact_stall", v.compact_stall},
        {"oom_kill", v.oom_kill}}},
      {"thermal",
       {{"zones", zones},
        {"throttle_counters", s.thermal.throttle_counters},
        {"core_throttles", s.thermal.core_throttles},
        {"package_throttles", s.thermal.package_throttles}}},
      {"processes",
       {{"counts",
         {{"running", c.running},
          {"sleeping", c.sleeping},
          {"blocked", c.blocked},
          {"zombie", c.zombie},
          {"stopped", c.stopped},
          {"idle", c.idle},
          {"other", c.other},
          {"total", c.total},
          {"threads", c.threads}}},
        {"top_cpu", TopJson(s.processes.top_cpu)},
        {"top_rss", TopJson(s.processes.top_rss)},
        {"blocked", blocked}}},
      {"collectors", collectors_json},
  };
}

json ToJson(const analysis::Assessment& a) {
  json components = json::object();
  for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
    components[std::string(analysis::kComponentNames[i])] = a.components[i];
  }
  const auto& s = a.signals;
  return {{"score", a.score},
          {"components", components},
          {"memory_pressure", a.memory_pressure},
          {"signals",
           {{"elapsed_seconds", s.elapsed_seconds},
            {"load_per_core", s.load_per_core},
            {"cpu_some", s.cpu_some},
            {"io_psi", s.io_psi},
            {"iowait_share", s.iowait_share},
            {"steal_share", s.steal_share},
            {"io_bytes_per_second", s.io_bytes_per_second},
            {"io_baseline", s.io_baseline},
            {"io_burst", s.io_burst},
            {"memory_psi", s.memory_psi},
            {"low_available", s.low_available},
            {"swap_bytes_per_second", s.swap_bytes_per_second},
            {"swap_activity", s.swap_activity},
            {"major_faults_per_second", s.major_faults_per_second},
            {"throttling", s.throttling},
            {"latency_seconds", s.latency_seconds}}}};
}

json ToJson(const analysis::ScoredSample& p) {
  return {{"sequence", p.sequence},
          {"latency_seconds", p.latency_seconds},
          {"state", std::string(analysis::Name(p.state))},
          {"interval_seconds", p.interval_seconds},
          {"sample", ToJson(p.sample)},
          {"assessment", ToJson(p.assessment)}};
}

Result<SystemSample> SystemSampleFromJson(const json& j) {
  std::string error;
  SystemSample s;
  if (!j.is_object()) return Error{"sample must be an object"};
  Reader r(j, "sample", &error);
  Reader clock = r.Object("clock");
  clock.Get("monotonic_ns", s.clock.monotonic_ns);
  clock.Get("boottime_ns", s.clock.boottime_ns);
  clock.Get("realtime_ns", s.clock.realtime_ns);
  r.Get("page_size", s.page_size);
  Reader l = r.Object("loadavg");
  l.Get("load1", s.loadavg.load1);
  l.Get("load5", s.loadavg.load5);
  l.Get("load15", s.loadavg.load15);
  l.Get("runnable", s.loadavg.runnable);
  l.Get("entities", s.loadavg.entities);
  l.Get("last_pid", s.loadavg.last_pid);
  l.Get("online_cpus", s.loadavg.online_cpus);
  Reader st = r.Object("stat");
  Reader t = st.Object("total");
  auto& tt = s.stat.total;
  t.Get("user", tt.user);
  t.Get("nice", tt.nice);
  t.Get("system", tt.system);
  t.Get("idle", tt.idle);
  t.Get("iowait", tt.iowait);
  t.Get("irq", tt.irq);
  t.Get("softirq", tt.softirq);
  t.Get("steal", tt.steal);
  t.Get("guest", tt.guest);
  t.Get("guest_nice", tt.guest_nice);
  st.Get("cpu_lines", s.stat.cpu_lines);
  st.Get("context_switches", s.stat.context_switches);
  st.Get("forks", s.stat.forks);
  st.Get("interrupts", s.stat.interrupts);
  st.Get("procs_running", s.stat.procs_running);
  st.Get("procs_blocked", s.stat.procs_blocked);
  st.Get("boot_time", s.stat.boot_time);
  Reader pr = r.Object("pressure");
  for (std::size_t i = 0; i < collectors::kPsiResourceNames.size() && error.empty(); ++i) {
    std::string name(collectors::kPsiResourceNames[i]);
    Reader res = pr.Object(name.c_str());
    auto& out = s.pressure.resources[i];
    res.Get("available", out.available);
    for (auto [kind, line] : {std::pair{"some", &out.some}, std::pair{"full", &out.full}}) {
      if (!res.Has(kind)) continue;
      Reader lr = res.Object(kind);
      collectors::PsiLine v;
      lr.Get("avg10", v.avg10);
      lr.Get("avg60", v.avg60);
      lr.Get("avg300", v.avg300);
      lr.Get("total_us", v.total_us);
      *line = v;
    }
  }
  Reader m = r.Object("meminfo");
  auto& mm = s.meminfo;
  m.Get("total", mm.total);
  m.Get("free", mm.free);
  m.Get("available", mm.available);
  m.Get("buffers", mm.buffers);
  m.Get("cached", mm.cached);
  m.Get("swap_total", mm.swap_total);
  m.Get("swap_free", mm.swap_free);
  m.Get("swap_cached", mm.swap_cached);
  m.Get("dirty", mm.dirty);
  m.Get("writeback", mm.writeback);
  m.Get("available_estimated", mm.available_estimated);
  Reader v = r.Object("vmstat");
  auto& vv = s.vmstat;
  v.Get("pswpin", vv.pswpin);
  v.Get("pswpout", vv.pswpout);
  v.Get("pgpgin", vv.pgpgin);
  v.Get("pgpgout", vv.pgpgout);
  v.Get("pgmajfault", vv.pgmajfault);
  v.Get("allocstall", vv.allocstall);
  v.Get("compact_stall", vv.compact_stall);
  v.Get("oom_kill", vv.oom_kill);
  Reader th = r.Object("thermal");
  th.Get("throttle_counters", s.thermal.throttle_counters);
  th.Get("core_throttles", s.thermal.core_throttles);
  th.Get("package_throttles", s.thermal.package_throttles);
  if (const json* zones = th.Array("zones")) {
    for (std::size_t i = 0; i < zones->size() && error.empty(); ++i) {
      Reader z((*zones)[i], "sample.thermal.zones[" + std::to_string(i) + "]", &error);
      collectors::ThermalZone zone;
      z.Bytes("zone", zone.zone);
      z.Bytes("type", zone.type);
      z.Get("celsius", zone.celsius);
      s.thermal.zones.push_back(std::move(zone));
    }
  }
  Reader ps = r.Object("processes");
  Reader c = ps.Object("counts");
  auto& cc = s.processes.counts;
  c.Get("running", cc.running);
  c.Get("sleeping", cc.sleeping);
  c.Get("blocked", cc.blocked);
  c.Get("zombie", cc.zombie);
  c.Get("stopped", cc.stopped);
  c.Get("idle", cc.idle);
  c.Get("other", cc.other);
  c.Get("total", cc.total);
  c.Get("threads", cc.threads);
  ReadTop(ps, "top_cpu", s.processes.top_cpu, &error);
  ReadTop(ps, "top_rss", s.processes.top_rss, &error);
  if (const json* blocked = ps.Array("blocked")) {
    for (std::size_t i = 0; i < blocked->size() && error.empty(); ++i) {
      Reader b((*blocked)[i], "sample.processes.blocked[" + std::to_string(i) + "]", &error);
      collectors::BlockedTask task;
      b.Get("pid", task.pid);
      task.tid = task.pid;  // bundles from before threads were listed
      if (b.Has("tid")) b.Get("tid", task.tid);
      b.Bytes("comm", task.comm);
      b.Bytes("wchan", task.wchan);
      s.processes.blocked.push_back(std::move(task));
    }
  }
  if (const json* list = r.Array("collectors")) {
    for (std::size_t i = 0; i < list->size() && error.empty(); ++i) {
      Reader cr((*list)[i], "sample.collectors[" + std::to_string(i) + "]", &error);
      collectors::CollectorStatus status;
      cr.Get("name", status.name);
      cr.Get("ok", status.ok);
      cr.Get("duration_seconds", status.duration_seconds);
      cr.Bytes("error", status.error);
      s.collectors.push_back(std::move(status));
    }
  }
  if (!error.empty()) return Error{error};
  return s;
}

Result<analysis::ScoredSample> ScoredSampleFromJson(const json& j) {
  if (!j.is_object()) return Error{"pass must be an object"};
  analysis::ScoredSample p;
  std::string error;
  Reader r(j, "pass", &error);
  r.Get("sequence", p.sequence);
  r.Get("latency_seconds", p.latency_seconds);
  r.Get("interval_seconds", p.interval_seconds);
  std::string state;
  r.Get("state", state);
  if (error.empty()) {
    bool known = false;
    for (std::size_t i = 0; i < analysis::kSamplingStateNames.size(); ++i) {
      if (analysis::kSamplingStateNames[i] == state) {
        p.state = static_cast<analysis::SamplingState>(i);
        known = true;
      }
    }
    if (!known) error = "pass.state \"" + state + "\" is not a sampling state";
  }
  if (!error.empty()) return Error{error};
  if (!j.contains("sample")) return Error{"pass.sample missing"};
  auto sample = SystemSampleFromJson(j["sample"]);
  if (!sample) return sample.error();
  p.sample = std::move(sample).value();

  Reader a = r.Object("assessment");
  a.Get("score", p.assessment.score);
  a.Get("memory_pressure", p.assessment.memory_pressure);
  Reader comps = a.Object("components");
  for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
    comps.Get(std::string(analysis::kComponentNames[i]).c_str(), p.assessment.components[i]);
  }
  Reader sg = a.Object("signals");
  auto& s = p.assessment.signals;
  sg.Get("elapsed_seconds", s.elapsed_seconds);
  sg.Get("load_per_core", s.load_per_core);
  sg.Get("cpu_some", s.cpu_some);
  sg.Get("io_psi", s.io_psi);
  sg.Get("iowait_share", s.iowait_share);
  sg.Get("steal_share", s.steal_share);
  sg.Get("io_bytes_per_second", s.io_bytes_per_second);
  sg.Get("io_baseline", s.io_baseline);
  sg.Get("io_burst", s.io_burst);
  sg.Get("memory_psi", s.memory_psi);
  sg.Get("low_available", s.low_available);
  sg.Get("swap_bytes_per_second", s.swap_bytes_per_second);
  sg.Get("swap_activity", s.swap_activity);
  sg.Get("major_faults_per_second", s.major_faults_per_second);
  sg.Get("throttling", s.throttling);
  sg.Get("latency_seconds", s.latency_seconds);
  if (!error.empty()) return Error{error};
  return p;
}

std::string Rfc3339(std::int64_t unix_ns) {
  std::int64_t seconds =
      unix_ns >= 0 ? unix_ns / 1'000'000'000 : (unix_ns - 999'999'999) / 1'000'000'000;
  auto millis = static_cast<int>((unix_ns - seconds * 1'000'000'000) / 1'000'000);
  time_t t = static_cast<time_t>(seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buf;
}

std::optional<std::int64_t> ParseRfc3339(std::string_view text) {
  int year, month, day, hour, minute, second, millis = 0;
  char tail[8] = "";
  std::string s(text);
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%7s", &year, &month, &day, &hour,
                      &minute, &second, &millis, tail);
  if (n == 8 && std::string(tail) == "Z" && s.size() == 24) {
  } else {
    millis = 0;
    n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%7s", &year, &month, &day, &hour, &minute,
                    &second, tail);
    if (n != 7 || std::string(tail) != "Z" || s.size() != 20) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  const std::int64_t t = timegm(&utc);
  // Unix nanoseconds in an int64 reach from 1677 to 2262.
  constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (t < -kLimit || t > kLimit || millis < 0) return std::nullopt;
  return t * 1'000'000'000 + static_cast<std::int64_t>(millis) * 1'000'000;
}

}  // namespace rh::forensics
