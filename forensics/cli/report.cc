#include <algorithm>
#include <array>
#include <cmath>
#include <ostream>
#include <sstream>
#include <system_error>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {
namespace {

constexpr std::array<const char*, analysis::kComponentCount> kColors = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"};
constexpr double kWidth = 900, kHeight = 240;
constexpr double kLeft = 56, kRight = 16, kTop = 16, kBottom = 34;
constexpr std::size_t kMaxLogLines = 2000;
constexpr std::size_t kTopProcesses = 10;

struct Point {
  double t = 0;  // Unix seconds
  std::array<double, analysis::kComponentCount> components{};
  double score = 0, load_per_core = 0, cpu = 0, io = 0, memory = 0, available = 0;
};

Point ToPoint(const analysis::ScoredSample& s) {
  Point p;
  p.t = static_cast<double>(s.sample.clock.realtime_ns) / 1e9;
  p.components = s.assessment.components;
  p.score = s.assessment.score;
  p.load_per_core = s.assessment.signals.load_per_core;
  p.cpu = s.assessment.signals.cpu_some * 100;
  p.io = s.assessment.signals.io_psi * 100;
  p.memory = s.assessment.signals.memory_psi * 100;
  const auto& m = s.sample.meminfo;
  p.available =
      m.total > 0 ? 100.0 * static_cast<double>(m.available) / static_cast<double>(m.total) : 0;
  return p;
}

std::string Num(double v) { return Decimal(v, 2); }

std::string ClockTime(double unix_seconds) {
  std::string t =
      ShortTime(static_cast<std::int64_t>(unix_seconds * 1e9));  // "YYYY-MM-DD HH:MM:SSZ"
  return t.size() >= 19 ? t.substr(11, 8) : t;
}

// One chart: maps times and values to the plot area and draws axes and the event window.
class Chart {
 public:
  Chart(double t0, double t1, double ymax, std::string unit)
      : t0_(t0), t1_(t1 > t0 ? t1 : t0 + 1), ymax_(ymax > 0 ? ymax : 1), unit_(std::move(unit)) {}

  double X(double t) const { return kLeft + (t - t0_) / (t1_ - t0_) * (kWidth - kLeft - kRight); }
  double Y(double v) const {
    double clamped = std::clamp(v, 0.0, ymax_);
    return kTop + (1 - clamped / ymax_) * (kHeight - kTop - kBottom);
  }

  // Axes, ticks and grid, drawn under the data.
  std::string Axes() const {
    std::ostringstream svg;
    const double bottom = kHeight - kBottom;
    svg << "<line class=\"axis\" x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\""
        << bottom << "\" y2=\"" << bottom << "\"/>";
    svg << "<line class=\"axis\" x1=\"" << kLeft << "\" x2=\"" << kLeft << "\" y1=\"" << kTop
        << "\" y2=\"" << bottom << "\"/>";
    for (int i = 0; i <= 5; ++i) {
      double t = t0_ + (t1_ - t0_) * i / 5;
      const char* anchor = i == 0 ? "start" : i == 5 ? "end" : "middle";
      svg << "<text class=\"tick\" x=\"" << Num(X(t)) << "\" y=\"" << bottom + 16
          << "\" text-anchor=\"" << anchor << "\">" << ClockTime(t) << "</text>";
    }
    for (int i = 0; i <= 2; ++i) {
      double v = ymax_ * i / 2;
      svg << "<text class=\"tick\" x=\"" << kLeft - 6 << "\" y=\"" << Num(Y(v) + 4)
          << "\" text-anchor=\"end\">" << Decimal(v, 2) << HtmlEscape(unit_) << "</text>";
      if (i > 0) {
        svg << "<line class=\"grid\" x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\""
            << Num(Y(v)) << "\" y2=\"" << Num(Y(v)) << "\"/>";
      }
    }
    return svg.str();
  }

  // The event's window, drawn over the data.
  std::string Event(const Manifest& m) const {
    std::ostringstream svg;
    const double bottom = kHeight - kBottom;
    const double start = X(static_cast<double>(m.event_start_ns) / 1e9);
    const double end = X(static_cast<double>(m.event_end_ns) / 1e9);
    if (end > start) {
      svg << "<rect class=\"pause\" x=\"" << Num(start) << "\" y=\"" << kTop << "\" width=\""
          << Num(std::max(1.0, end - start)) << "\" height=\"" << bottom - kTop << "\"><title>"
          << (m.event_kind == "pause" ? "frozen: nothing ran, no samples"
                                      : HtmlEscape(m.event_kind))
          << "</title></rect>";
    }
    svg << "<line class=\"event\" x1=\"" << Num(start) << "\" x2=\"" << Num(start) << "\" y1=\""
        << kTop << "\" y2=\"" << bottom << "\"/>";
    // The label goes on the side of the window with room for it.
    const bool left = start > (kWidth - kRight) * 0.75;
    svg << "<text class=\"label\" x=\"" << Num(left ? start - 4 : std::max(start, end) + 4)
        << "\" y=\"" << kTop + 12 << "\" text-anchor=\"" << (left ? "end" : "start") << "\">"
        << HtmlEscape(m.event_kind) << " " << Decimal(m.event_duration_seconds, 2) << " s</text>";
    return svg.str();
  }

 private:
  double t0_, t1_, ymax_;
  std::string unit_;
};

// Runs of consecutive points to draw as one line or area: a pause splits them, since nothing
// was sampled while the machine was frozen and a line across the gap would invent values.
std::vector<std::pair<std::size_t, std::size_t>> Segments(const std::vector<Point>& points,
                                                          const Manifest& m) {
  const bool gap = m.event_kind == "pause" && m.event_end_ns > m.event_start_ns;
  const double start = static_cast<double>(m.event_start_ns) / 1e9;
  const double end = static_cast<double>(m.event_end_ns) / 1e9;
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t begin = 0;
  for (std::size_t i = 1; i <= points.size(); ++i) {
    if (i == points.size() || (gap && points[i - 1].t <= start && points[i].t >= end)) {
      if (i > begin) out.emplace_back(begin, i);
      begin = i;
    }
  }
  return out;
}

std::string Open() {
  std::ostringstream s;
  s << "<svg viewBox=\"0 0 " << kWidth << " " << kHeight << "\" role=\"img\">";
  return s.str();
}

std::string Legend(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out = "<p class=\"legend\">";
  for (const auto& [color, name] : entries) {
    out += "<span><i style=\"background:" + color + "\"></i>" + HtmlEscape(name) + "</span>";
  }
  return out + "</p>";
}

std::string StackedComponents(const std::vector<Point>& points, const Manifest& m, double t0,
                              double t1) {
  double top = 10;
  for (const auto& p : points) {
    double sum = 0;
    for (double c : p.components) sum += c;
    top = std::max(top, sum);
  }
  top = std::ceil(top / 10) * 10;
  Chart chart(t0, t1, top, "");
  std::ostringstream svg;
  svg << Open() << chart.Axes();
  std::vector<double> below(points.size(), 0);
  const auto segments = Segments(points, m);
  for (std::size_t k = 0; k < analysis::kComponentCount; ++k) {
    std::vector<double> above(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) above[i] = below[i] + points[i].components[k];
    for (const auto& [begin, end] : segments) {
      svg << "<polygon fill=\"" << kColors[k] << "\" points=\"";
      for (std::size_t i = begin; i < end; ++i) {
        svg << Num(chart.X(points[i].t)) << "," << Num(chart.Y(above[i])) << " ";
      }
      for (std::size_t i = end; i-- > begin;) {
        svg << Num(chart.X(points[i].t)) << "," << Num(chart.Y(below[i])) << " ";
      }
      svg << "\"><title>" << analysis::kComponentNames[k] << "</title></polygon>";
    }
    below = std::move(above);
  }
  svg << chart.Event(m) << "</svg>";
  std::vector<std::pair<std::string, std::string>> legend;
  for (std::size_t k = 0; k < analysis::kComponentCount; ++k) {
    legend.emplace_back(kColors[k], std::string(analysis::kComponentNames[k]));
  }
  return svg.str() + Legend(legend);
}

std::string LineChart(
    const std::vector<Point>& points, const Manifest& m, double t0, double t1, double ymax,
    const std::string& unit,
    const std::vector<std::tuple<std::string, std::string, double Point::*>>& series) {
  Chart chart(t0, t1, ymax, unit);
  std::ostringstream svg;
  svg << Open() << chart.Axes();
  std::vector<std::pair<std::string, std::string>> legend;
  const auto segments = Segments(points, m);
  for (const auto& [color, name, field] : series) {
    for (const auto& [begin, end] : segments) {
      svg << "<polyline class=\"line\" stroke=\"" << color << "\" points=\"";
      for (std::size_t i = begin; i < end; ++i) {
        svg << Num(chart.X(points[i].t)) << "," << Num(chart.Y(points[i].*field)) << " ";
      }
      svg << "\"><title>" << HtmlEscape(name) << "</title></polyline>";
    }
    legend.emplace_back(color, name);
  }
  svg << chart.Event(m) << "</svg>";
  return svg.str() + Legend(legend);
}

const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:960px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}
svg{width:100%;height:auto;background:#fff}
.pause{fill:#d62728;fill-opacity:.15}.event{stroke:#d62728;stroke-dasharray:4 3}
.axis{stroke:#555}.grid{stroke:#ddd}.tick{font-size:11px;fill:#555}.label{font-size:12px;fill:#d62728}
.line{fill:none;stroke-width:2}.legend span{margin-right:14px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.muted{color:#777}
)";

}  // namespace

int Report(const Context& ctx, const std::string& id_or_path, const std::string& output,
           bool force) {
  std::error_code ec;
  if (!force && std::filesystem::exists(std::filesystem::symlink_status(output, ec))) {
    return Fail(ctx, output + ": already exists (use --force to replace it)");
  }
  auto bundle = OpenBundle(id_or_path, ctx.events_dir, ctx.limits);
  if (!bundle) return Fail(ctx, bundle.error().message);
  auto details = ReadDetails(*bundle);
  if (!details) return Fail(ctx, details.error().message);
  std::vector<analysis::ScoredSample> samples;
  if (const std::string* text = bundle->files.Find(kSamplesFile)) {
    auto parsed = ParseSamples(*text, bundle->Where(kSamplesFile));
    if (!parsed) return Fail(ctx, parsed.error().message);
    samples = std::move(parsed).value();
  }
  const Manifest& m = bundle->manifest;
  const bool verified = CheckFiles(m, bundle->files).empty();

  std::vector<Point> points;
  for (const auto& s : samples) points.push_back(ToPoint(s));
  for (const auto& s : details->capture) points.push_back(ToPoint(s));
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.t < b.t; });
  double t0 = static_cast<double>(m.event_start_ns) / 1e9;
  double t1 = static_cast<double>(m.event_end_ns) / 1e9;
  for (const auto& p : points) {
    t0 = std::min(t0, p.t);
    t1 = std::max(t1, p.t);
  }
  double pad = std::max(1.0, (t1 - t0) * 0.02);
  t0 -= pad;
  t1 += pad;
  double max_load = 1;
  for (const auto& p : points) max_load = std::max(max_load, p.load_per_core);

  std::ostringstream html;
  const std::string title = "rogue-hunter: " + HtmlEscape(m.id);
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">"
       << "<meta name=\"viewport\" content=\"width=device-width\">"
       << "<title>" << title << "</title><style>" << kStyle << "</style></head><body>\n";
  html << "<h1>" << title << "</h1>\n<table>";
  auto row = [&](const std::string& name, const std::string& value_html) {
    html << "<tr><th>" << name << "</th><td>" << value_html << "</td></tr>";
  };
  row("Event", HtmlEscape(m.event_kind) + ", " + Decimal(m.event_duration_seconds, 3) + " s, " +
                   HtmlEscape(Rfc3339(m.event_start_ns)) + " to " +
                   HtmlEscape(Rfc3339(m.event_end_ns)));
  row("Trigger", HtmlEscape(m.trigger));
  row("Host", HtmlEscape(m.hostname) + " (kernel " + HtmlEscape(m.kernel) + ")" +
                  (m.redacted ? " <span class=\"muted\">redacted</span>" : ""));
  row("Captured",
      HtmlEscape(Rfc3339(m.created_ns)) + " by rogue-hunter " + HtmlEscape(m.software_version));
  if (details->summary) {
    const Summary& s = *details->summary;
    row("Dominant stress",
        HtmlEscape(s.dominant_text.empty() ? s.dominant_component : s.dominant_text) + " (" +
            HtmlEscape(s.dominant_component) + ", " + Decimal(s.dominant_points, 1) + " points)");
  }
  row("Integrity", verified ? "every file matches the manifest"
                            : "<b>does not verify</b>: run rh-forensics verify");
  html << "</table>\n";

  html << "<h2>Stress components</h2>\n";
  if (points.empty()) {
    html << "<p class=\"muted\">No samples in this bundle.</p>\n";
  } else {
    if (points.size() == 1) {  // draw a single sample as a narrow band
      Point twin = points.front();
      points.front().t -= pad / 2;
      twin.t += pad / 2;
      points.push_back(twin);
    }
    html << StackedComponents(points, m, t0, t1) << "\n";
    html << "<h2>Load per core</h2>\n"
         << LineChart(points, m, t0, t1, std::ceil(max_load * 1.1 * 10) / 10, "",
                      {{"#4e79a7", "load1 / online CPUs", &Point::load_per_core}})
         << "\n";
    html << "<h2>Pressure (PSI avg10) and available memory</h2>\n"
         << LineChart(points, m, t0, t1, 100, "%",
                      {{"#f28e2b", "PSI cpu some", &Point::cpu},
                       {"#e15759", "PSI io some+full", &Point::io},
                       {"#76b7b2", "PSI memory some+full", &Point::memory},
                       {"#59a14f", "memory available", &Point::available}})
         << "\n";
  }

  html << "<h2>Culprits</h2>\n";
  if (!details->summary || details->summary->culprits.empty()) {
    html << "<p class=\"muted\">None ranked.</p>\n";
  } else {
    html << "<table><tr><th>#</th><th>process</th><th>pid</th><th>score</th><th>unit</th>"
            "<th>evidence</th></tr>\n";
    for (const auto& c : details->summary->culprits) {
      html << "<tr><td>" << c.rank << "</td><td>" << HtmlEscape(c.comm) << "</td><td>" << c.pid
           << "</td><td>" << Decimal(c.score, 2) << "</td><td>" << HtmlEscape(c.unit)
           << "</td><td>";
      for (const auto& e : c.evidence) {
        html << HtmlEscape(e.text.empty() ? e.kind : e.text) << " <span class=\"muted\">["
             << HtmlEscape(e.kind) << "]</span><br>";
      }
      html << "</td></tr>\n";
    }
    html << "</table>\n";
  }

  html << "<h2>Blocked tasks (D state)</h2>\n";
  if (details->blocked.empty()) html << "<p class=\"muted\">None.</p>\n";
  for (const auto& t : details->blocked) {
    html << "<p>pid " << t.pid << " <b>" << HtmlEscape(t.comm) << "</b> in "
         << HtmlEscape(t.wchan.empty() ? "?" : t.wchan);
    if (t.blocked_seconds) html << ", blocked " << Decimal(*t.blocked_seconds, 1) << " s";
    html << "</p>\n";
    if (!t.stack.empty()) {
      html << "<pre>";
      for (const auto& frame : t.stack) html << HtmlEscape(frame) << "\n";
      html << "</pre>\n";
    }
  }

  if (!details->processes.empty()) {
    auto top = [&](const char* heading, auto key) {
      std::vector<const ProcessEntry*> list;
      for (const auto& p : details->processes) list.push_back(&p);
      std::stable_sort(list.begin(), list.end(), [&](const ProcessEntry* x, const ProcessEntry* y) {
        return key(*x) > key(*y);
      });
      html << "<h2>" << heading << " (of " << details->processes.size() << " processes)</h2>\n"
           << "<table><tr><th>pid</th><th>process</th><th>state</th><th>CPU</th><th>RSS</th>"
              "<th>user</th><th>unit</th></tr>\n";
      for (std::size_t i = 0; i < list.size() && i < kTopProcesses; ++i) {
        const ProcessEntry& p = *list[i];
        html << "<tr><td>" << p.pid << "</td><td>" << HtmlEscape(p.comm) << "</td><td>"
             << HtmlEscape(p.state) << "</td><td>" << Decimal(p.cpu_ratio * 100, 1) << "%</td><td>"
             << HumanBytes(static_cast<double>(p.rss_bytes)) << "</td><td>" << HtmlEscape(p.user)
             << "</td><td>" << HtmlEscape(p.unit) << "</td></tr>\n";
      }
      html << "</table>\n";
    };
    top("Top processes by CPU", [](const ProcessEntry& p) { return p.cpu_ratio; });
    top("Top processes by memory",
        [](const ProcessEntry& p) { return static_cast<double>(p.rss_bytes); });
  }

  auto log = [&](const char* heading, const std::vector<std::string>& lines) {
    html << "<h2>" << heading << "</h2>\n";
    std::size_t count = lines.size();
    while (count > 0 && lines[count - 1].empty()) --count;
    if (count == 0) {
      html << "<p class=\"muted\">None.</p>\n";
      return;
    }
    html << "<pre>";
    for (std::size_t i = 0; i < count && i < kMaxLogLines; ++i)
      html << HtmlEscape(lines[i]) << "\n";
    if (count > kMaxLogLines) html << "... " << count - kMaxLogLines << " more lines\n";
    html << "</pre>\n";
  };
  log("Kernel messages", details->kernel_log);
  if (bundle->files.Find(kJournalFile) != nullptr) log("Journal", details->journal);
  html << "<p class=\"muted\">Generated by rh-forensics from " << HtmlEscape(bundle->files.origin)
       << ".</p>\n</body></html>\n";

  if (Status s = WriteFileAtomically(output, html.str(), force, 0600); !s.ok()) {
    return Fail(ctx, s.error().message);
  }
  *ctx.out << "wrote " << Printable(output) << "\n";
  return kExitOk;
}

}  // namespace rh::forensics::cli
