#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "analysis/stress.h"
#include "exporter/cli/commands.h"
#include "exporter/cli/daemon_client.h"
#include "exporter/cli/format.h"
#include "forensics/sample_json.h"

namespace rh::exporter::cli {
namespace {

using nlohmann::json;

// The last pause, from the daemon or the history.
struct LastPause {
  double end = 0;  // Unix seconds
  double duration = 0;
  std::string bundle;
};

// What one status line shows, from either source.
struct View {
  bool running = false;
  std::string health;  // healthy, stressed, critical, starting, stale
  json daemon = nullptr;
  std::optional<double> score;
  json components = json::object();
  std::string state;
  double interval = 0;
  std::optional<double> load1;
  std::uint32_t cores = 0;
  std::optional<double> memory_used;
  std::optional<double> sample_time;
  std::optional<LastPause> last_pause;
  std::optional<std::uint64_t> pauses_since_start;
};

std::string_view HealthOfState(std::string_view state) {
  if (state == "elevated") return "stressed";
  if (state == "critical") return "critical";
  return "healthy";
}

int ExitCode(const View& v) {
  if (!v.running) return kExitNotRunning;
  if (v.health == "stressed") return kExitStressed;
  if (v.health == "critical") return kExitCritical;
  if (v.health == "stale") return kExitFailed;
  return kExitOk;
}

double Number(const json& j, const char* key, double fallback = 0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

std::optional<double> UnixOf(const json& text) {
  if (!text.is_string()) return std::nullopt;
  auto ns = forensics::ParseRfc3339(text.get<std::string>());
  if (!ns) return std::nullopt;
  return static_cast<double>(*ns) / 1e9;
}

void FromDaemon(const json& doc, View& v) {
  v.running = true;
  v.health = doc.value("health", "starting");
  v.daemon = doc.value("daemon", json(nullptr));
  if (doc["stress"].is_object()) {
    v.score = Number(doc["stress"], "score");
    v.components = doc["stress"].value("components", json::object());
  }
  if (doc["sampling"].is_object()) {
    v.state = doc["sampling"].value("state", "");
    v.interval = Number(doc["sampling"], "interval_seconds");
  }
  if (doc["load"].is_object()) {
    v.load1 = Number(doc["load"], "load1");
    v.cores = static_cast<std::uint32_t>(Number(doc["load"], "cores"));
  }
  if (doc["memory"].is_object() && doc["memory"]["used_ratio"].is_number()) {
    v.memory_used = doc["memory"]["used_ratio"].get<double>();
  }
  if (doc["sample"].is_object()) v.sample_time = UnixOf(doc["sample"]["time"]);
  const json& pauses = doc["pauses"];
  if (pauses.is_object()) {
    v.pauses_since_start = static_cast<std::uint64_t>(Number(pauses, "count"));
    const json& last = pauses["last"];
    if (last.is_object()) {
      if (auto end = UnixOf(last["end"])) {
        v.last_pause =
            LastPause{*end, Number(last, "duration_seconds"),
                      last["bundle"].is_string() ? last["bundle"].get<std::string>() : ""};
      }
    }
  }
}

void FromSample(const forensics::SampleRow& row, View& v) {
  v.health = HealthOfState(row.state);
  v.state = row.state;
  v.interval = row.interval_seconds;
  v.score = row.score;
  for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
    v.components[std::string(analysis::kComponentNames[i])] = row.components[i];
  }
  v.load1 = row.load1;
  v.cores = row.cpus;
  if (row.memory_total > 0) {
    v.memory_used = 1 - static_cast<double>(std::min(row.memory_available, row.memory_total)) /
                            static_cast<double>(row.memory_total);
  }
  v.sample_time = row.time;
}

// The newest pause in the history, with its bundle when one was captured.
std::optional<LastPause> LastPauseIn(forensics::Store& store) {
  auto pauses = store.LatestEvents(0, {forensics::EventKind::kPause}, 1);
  if (!pauses || pauses->empty()) return std::nullopt;
  const auto& e = pauses->front();
  LastPause last{e.end_time, e.duration_seconds, ""};
  if (auto captures = store.Captures(e.key)) {
    for (const auto& c : *captures) {
      if (c.result == "ok") last.bundle = std::filesystem::path(c.bundle_path).filename().string();
    }
  }
  return last;
}

std::string Capitalised(std::string word) {
  if (!word.empty()) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

std::string Fixed(double value, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, value);
  return buf;
}

std::string Line(const View& v, double now, bool color) {
  Style style = Style::kGreen;
  if (v.health == "stressed") style = Style::kYellow;
  if (v.health == "critical" || v.health == "stale") style = Style::kRed;
  std::string health = Paint(Capitalised(v.health), style, color);
  std::string line;
  if (!v.running) {
    line = Paint("Not running", Style::kRed, color);
    if (v.sample_time) line += " (last sample " + Ago(now - *v.sample_time) + ": " + health + ")";
  } else if (v.health == "stale" && v.sample_time) {
    line = health + " (last sample " + Ago(now - *v.sample_time) + ")";
  } else {
    line = health;
  }
  if (v.score) line += " | Stress: " + Fixed(*v.score, 0) + "%";
  if (v.load1) line += " | Load: " + Fixed(*v.load1, 1) + "/" + std::to_string(v.cores);
  if (v.memory_used) line += " | Mem: " + Percent(*v.memory_used);
  line += " | Last pause: ";
  if (v.last_pause) {
    line += Ago(now - v.last_pause->end) + " (" + Seconds(v.last_pause->duration) + ")";
  } else {
    line += "none";
  }
  return line;
}

json ToJson(const View& v, double now, int exit_code) {
  json last = nullptr;
  if (v.last_pause) {
    last = {{"end", forensics::Rfc3339(static_cast<std::int64_t>(v.last_pause->end * 1e9))},
            {"ago_seconds", now - v.last_pause->end},
            {"duration_seconds", v.last_pause->duration},
            {"bundle", v.last_pause->bundle.empty() ? json(nullptr) : json(v.last_pause->bundle)}};
  }
  auto opt = [](const std::optional<double>& x) { return x ? json(*x) : json(nullptr); };
  json sample_time = nullptr, age = nullptr;
  if (v.sample_time) {
    sample_time = forensics::Rfc3339(static_cast<std::int64_t>(*v.sample_time * 1e9));
    age = now - *v.sample_time;
  }
  return {
      {"source", v.running ? "daemon" : "database"},
      {"daemon_running", v.running},
      {"daemon", v.daemon},
      {"health", v.health.empty() ? json(nullptr) : json(v.health)},
      {"exit_code", exit_code},
      {"stress", opt(v.score)},
      {"components", v.components},
      {"state", v.state.empty() ? json(nullptr) : json(v.state)},
      {"interval_seconds", v.interval},
      {"load1", opt(v.load1)},
      {"cores", v.cores},
      {"load_per_core", v.load1 && v.cores > 0 ? json(*v.load1 / v.cores) : json(nullptr)},
      {"memory_used_ratio", opt(v.memory_used)},
      {"sample_time", sample_time},
      {"sample_age_seconds", age},
      {"last_pause", last},
      {"pauses_since_start", v.pauses_since_start ? json(*v.pauses_since_start) : json(nullptr)}};
}

}  // namespace

int ReportStatus(const Context& ctx, const StatusOptions& options) {
  const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  View view;
  const Daemon daemon = LocateDaemon(ctx);
  auto live = FetchStatus(daemon);
  auto store = OpenHistory(ctx);
  if (live) {
    FromDaemon(*live, view);
    // Pauses from before this daemon started are in the history.
    if (!view.last_pause && store) view.last_pause = LastPauseIn(**store);
  } else {
    std::string why = live.error().message;
    if (daemon.lock) {
      why = "the daemon (pid " + std::to_string(daemon.lock->pid) + ") holds " +
            ctx.config.storage.data_dir + " but does not answer: " + why;
    } else {
      why = "no daemon is running (" + why + ")";
    }
    if (!store) {
      Fail(ctx, why + "; " + store.error().message);
    } else {
      auto latest = (*store)->LatestSample();
      if (!latest) return Fail(ctx, why + "; " + latest.error().message);
      Fail(ctx, why + "; showing the history in " + ctx.config.storage.database);
      if (*latest) FromSample(**latest, view);
      view.last_pause = LastPauseIn(**store);
    }
  }
  const int code = ExitCode(view);
  if (options.format == "json") {
    *ctx.out << ToJson(view, now, code).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    *ctx.out << Line(view, now, ctx.color) << "\n";
  }
  return code;
}

}  // namespace rh::exporter::cli
