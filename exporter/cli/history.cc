#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>

#include "analysis/stress.h"
#include "exporter/cli/commands.h"
#include "exporter/cli/format.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"

namespace rh::exporter::cli {
namespace {

using forensics::SampleRow;
using nlohmann::json;

constexpr int kPage = 20000;

// One column of the machine-readable forms: its name and its value in a row (null when absent).
struct Column {
  const char* name;
  std::function<json(const SampleRow&)> value;
};

std::optional<double> LoadPerCore(const SampleRow& r) {
  if (r.cpus == 0) return std::nullopt;
  return r.load1 / r.cpus;
}

std::optional<double> MemoryUsed(const SampleRow& r) {
  if (r.memory_total == 0) return std::nullopt;
  return 1 - static_cast<double>(std::min(r.memory_available, r.memory_total)) /
                 static_cast<double>(r.memory_total);
}

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// Every stored field of a sample, in the database's column order, plus two derived ones
// (load_per_core, memory_used_ratio). docs/cli.md lists them.
const std::vector<Column>& Columns() {
  static const std::vector<Column> columns = [] {
    std::vector<Column> c = {
        {"time",
         [](const SampleRow& r) {
           return json(forensics::Rfc3339(static_cast<std::int64_t>(std::llround(r.time * 1e9))));
         }},
        {"unix_time", [](const SampleRow& r) { return json(r.time); }},
        {"sequence", [](const SampleRow& r) { return json(r.sequence); }},
        {"interval_seconds", [](const SampleRow& r) { return json(r.interval_seconds); }},
        {"state", [](const SampleRow& r) { return json(r.state); }},
        {"score", [](const SampleRow& r) { return json(r.score); }},
    };
    static const char* const kPoints[] = {"load_points",   "cpu_points",     "io_points",
                                          "memory_points", "thermal_points", "latency_points"};
    static_assert(std::size(kPoints) == analysis::kComponentCount);
    for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
      c.push_back({kPoints[i], [i](const SampleRow& r) { return json(r.components[i]); }});
    }
    std::vector<Column> rest = {
        {"latency_seconds", [](const SampleRow& r) { return json(r.latency_seconds); }},
        {"load1", [](const SampleRow& r) { return json(r.load1); }},
        {"cpus", [](const SampleRow& r) { return json(r.cpus); }},
        {"load_per_core", [](const SampleRow& r) { return Optional(LoadPerCore(r)); }},
        {"procs_running", [](const SampleRow& r) { return json(r.procs_running); }},
        {"procs_blocked", [](const SampleRow& r) { return json(r.procs_blocked); }},
        {"cpu_total_seconds", [](const SampleRow& r) { return json(r.cpu_total_seconds); }},
        {"cpu_iowait_seconds", [](const SampleRow& r) { return json(r.cpu_iowait_seconds); }},
        {"cpu_steal_seconds", [](const SampleRow& r) { return json(r.cpu_steal_seconds); }},
        {"psi_cpu_some", [](const SampleRow& r) { return Optional(r.psi_cpu_some); }},
        {"psi_io_some", [](const SampleRow& r) { return Optional(r.psi_io_some); }},
        {"psi_io_full", [](const SampleRow& r) { return Optional(r.psi_io_full); }},
        {"psi_memory_some", [](const SampleRow& r) { return Optional(r.psi_memory_some); }},
        {"psi_memory_full", [](const SampleRow& r) { return Optional(r.psi_memory_full); }},
        {"memory_total", [](const SampleRow& r) { return json(r.memory_total); }},
        {"memory_available", [](const SampleRow& r) { return json(r.memory_available); }},
        {"memory_used_ratio", [](const SampleRow& r) { return Optional(MemoryUsed(r)); }},
        {"swap_total", [](const SampleRow& r) { return json(r.swap_total); }},
        {"swap_free", [](const SampleRow& r) { return json(r.swap_free); }},
        {"pswpin", [](const SampleRow& r) { return json(r.pswpin); }},
        {"pswpout", [](const SampleRow& r) { return json(r.pswpout); }},
        {"pgmajfault", [](const SampleRow& r) { return json(r.pgmajfault); }},
        {"pgpgin", [](const SampleRow& r) { return json(r.pgpgin); }},
        {"pgpgout", [](const SampleRow& r) { return json(r.pgpgout); }},
        {"thermal_throttles", [](const SampleRow& r) { return json(r.thermal_throttles); }},
        {"max_temperature", [](const SampleRow& r) { return Optional(r.max_temperature); }},
    };
    c.insert(c.end(), rest.begin(), rest.end());
    return c;
  }();
  return columns;
}

// Shortest text that reads back as the same number.
std::string NumberText(const json& v) {
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.get<double>());
  return ec == std::errc() ? std::string(buf, end) : "";
}

// An RFC 4180 field: quoted when it holds a comma, a quote or a line break.
std::string CsvField(const json& v) {
  if (v.is_null()) return "";
  std::string text = v.is_string() ? v.get<std::string>() : NumberText(v);
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

json RowJson(const SampleRow& r) {
  json out = json::object();
  for (const auto& c : Columns()) out[c.name] = c.value(r);
  return out;
}

// Calls `each` for every sample in [from, to], oldest first, reading a page at a time.
Status ForEachSample(forensics::Store& store, double from, double to,
                     const std::function<void(const SampleRow&)>& each) {
  for (;;) {
    auto page = store.Samples(from, to, kPage);
    if (!page) return page.error();
    for (const auto& r : *page) each(r);
    if (page->size() < static_cast<std::size_t>(kPage)) return {};
    from = std::nextafter(page->back().time, INFINITY);
  }
}

std::string TableLine(const char* time, const char* state, const char* score, const char* load,
                      const char* cpu, const char* io, const char* memory, const char* thermal,
                      const char* latency, const char* per_core, const char* used) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%-14s  %-8s  %5s  %4s  %3s  %3s  %3s  %5s  %3s  %7s  %4s", time,
                state, score, load, cpu, io, memory, thermal, latency, per_core, used);
  return buf;
}

std::string Int(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

}  // namespace

int History(const Context& ctx, const HistoryOptions& options) {
  if (!(options.hours > 0)) return Fail(ctx, "-H: hours must be above 0", kExitUsage);
  auto store = OpenHistory(ctx);
  if (!store) return Fail(ctx, store.error().message);
  const double to = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  const double from = to - options.hours * 3600;
  const double threshold = ctx.config.sampling.elevation_threshold;
  auto wanted = [&](const SampleRow& r) { return !options.high_stress || r.score >= threshold; };
  std::ostream& out = *ctx.out;
  std::size_t count = 0;
  Status read;

  if (options.format == "csv") {
    std::string header;
    for (const auto& c : Columns()) header += (header.empty() ? "" : ",") + std::string(c.name);
    out << header << "\r\n";
    read = ForEachSample(**store, from, to, [&](const SampleRow& r) {
      if (!wanted(r)) return;
      std::string line;
      for (std::size_t i = 0; i < Columns().size(); ++i) {
        if (i > 0) line += ',';
        line += CsvField(Columns()[i].value(r));
      }
      out << line << "\r\n";
    });
  } else if (options.format == "json") {
    json head = {{"database", ctx.config.storage.database},
                 {"from", forensics::Rfc3339(static_cast<std::int64_t>(from * 1e9))},
                 {"to", forensics::Rfc3339(static_cast<std::int64_t>(to * 1e9))},
                 {"hours", options.hours},
                 {"high_stress", options.high_stress},
                 {"threshold", options.high_stress ? json(threshold) : json(nullptr)}};
    std::string text = head.dump(2);
    text.pop_back();  // the closing brace; the samples follow
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    out << text << ",\n  \"samples\": [";
    read = ForEachSample(**store, from, to, [&](const SampleRow& r) {
      if (!wanted(r)) return;
      out << (count++ == 0 ? "\n    " : ",\n    ")
          << RowJson(r).dump(-1, ' ', false, json::error_handler_t::replace);
    });
    out << (count == 0 ? "],\n" : "\n  ],\n") << "  \"count\": " << count << "\n}\n";
  } else {
    std::vector<std::string> lines;
    read = ForEachSample(**store, from, to, [&](const SampleRow& r) {
      if (!wanted(r)) return;
      ++count;
      char time[32];
      std::snprintf(time, sizeof(time), "%s", LocalTime(r.time).substr(5).c_str());
      auto per_core = LoadPerCore(r);
      auto used = MemoryUsed(r);
      const auto& p = r.components;
      lines.push_back(TableLine(time, r.state.c_str(), Int(r.score).c_str(), Int(p[0]).c_str(),
                                Int(p[1]).c_str(), Int(p[2]).c_str(), Int(p[3]).c_str(),
                                Int(p[4]).c_str(), Int(p[5]).c_str(),
                                per_core ? forensics::cli::Decimal(*per_core, 2).c_str() : "-",
                                used ? Percent(*used).c_str() : "-"));
    });
    if (read.ok()) {
      const std::string span =
          options.hours == 1 ? "hour" : forensics::cli::Decimal(options.hours) + " hours";
      if (count == 0) {
        out << "no " << (options.high_stress ? "high-stress " : "") << "samples in the last "
            << span << " in " << forensics::cli::Printable(ctx.config.storage.database) << "\n";
      } else {
        out << TableLine("TIME", "STATE", "SCORE", "LOAD", "CPU", "IO", "MEM", "THERM", "LAT",
                         "LD/CORE", "MEM%")
            << "\n";
        for (const auto& l : lines) out << l << "\n";
        out << count << " samples in the last " << span
            << (options.high_stress ? " with stress >= " + Int(threshold) : "")
            << "; LOAD..LAT are the score's points per component\n";
      }
    }
  }
  if (!read.ok()) return Fail(ctx, read.error().message);
  return kExitOk;
}

}  // namespace rh::exporter::cli
