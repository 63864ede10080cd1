// rogue-hunter tui: a live dashboard in the terminal. It reads the daemon's /api/status and the
// history database, never /proc.

#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "analysis/pause_scope.h"
#include "analysis/stress.h"
#include "base/utf8.h"
#include "exporter/cli/commands.h"
#include "exporter/cli/daemon_client.h"
#include "exporter/cli/event_view.h"
#include "exporter/cli/format.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"

// Last: curses defines short names; ask for functions rather than macros.
#define NCURSES_NOMACROS
#include <curses.h>

namespace rh::exporter::cli {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMinColumns = 80;
constexpr int kMinRows = 24;
constexpr auto kDatabaseRefresh = std::chrono::seconds(5);
// A pause that ended this recently is announced in reverse video.
constexpr double kFreshPauseSeconds = 300;

enum class View { kDashboard, kEvents, kProcesses, kHistory, kHelp };

// --- Restoring the terminal ------------------------------------------------------------------
// On a crash signal the handler may only use async-signal-safe calls: it writes the terminal's
// own "leave the full-screen mode" sequences, prepared in advance, and puts back the terminal
// modes saved before curses started; then the signal takes its default course.

struct TerminalRescue {
  termios saved{};
  bool have_saved = false;
  char reset[256] = {};
  std::size_t reset_length = 0;
};
TerminalRescue g_rescue;
std::atomic<bool> g_quit{false};

void OnCrash(int signal) {
  if (g_rescue.reset_length > 0) {
    ssize_t n = write(STDOUT_FILENO, g_rescue.reset, g_rescue.reset_length);
    (void)n;
  }
  if (g_rescue.have_saved) tcsetattr(STDIN_FILENO, TCSANOW, &g_rescue.saved);
  ::signal(signal, SIG_DFL);
  raise(signal);
}

void OnQuit(int) { g_quit = true; }

void AppendCapability(const char* name) {
  char* value = tigetstr(const_cast<char*>(name));
  if (value == nullptr || value == reinterpret_cast<char*>(-1)) return;
  const std::size_t n = std::strlen(value);
  if (g_rescue.reset_length + n >= sizeof(g_rescue.reset)) return;
  std::memcpy(g_rescue.reset + g_rescue.reset_length, value, n);
  g_rescue.reset_length += n;
}

void InstallSignalHandlers() {
  struct sigaction quit {};
  quit.sa_handler = OnQuit;
  sigemptyset(&quit.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &quit, nullptr);
  struct sigaction crash {};
  crash.sa_handler = OnCrash;
  sigemptyset(&crash.sa_mask);
  crash.sa_flags = SA_RESETHAND;
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(s, &crash, nullptr);
}

// --- Data -----------------------------------------------------------------------------------

double Num(const json& j, const char* key, double fallback = 0) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<double> UnixOf(const json& text) {
  if (!text.is_string()) return std::nullopt;
  auto ns = forensics::ParseRfc3339(text.get<std::string>());
  if (!ns) return std::nullopt;
  return static_cast<double>(*ns) / 1e9;
}

struct Data {
  json status;                                      // /api/status, or null
  std::string daemon_error;                         // why it could not be read
  std::optional<forensics::SampleRow> last_sample;  // the history's, when the daemon is away
  std::vector<EventView> events;
  std::string history_error;
  std::vector<forensics::SampleRow> samples;  // last hour, for the history view
  SteadyClock::time_point database_read{};
};

void ReadDaemon(const Context& ctx, Data& d) {
  auto status = FetchStatus(LocateDaemon(ctx), std::chrono::milliseconds(1500));
  if (status) {
    d.status = std::move(status).value();
    d.daemon_error.clear();
  } else {
    d.status = nullptr;
    d.daemon_error = status.error().message;
  }
}

void ReadDatabase(const Context& ctx, Data& d, bool with_samples) {
  d.database_read = SteadyClock::now();
  auto store = OpenHistory(ctx);
  if (!store) {
    d.history_error = store.error().message;
    return;
  }
  d.history_error.clear();
  d.events.clear();
  auto events =
      (*store)->LatestEvents(0,
                             {forensics::EventKind::kPause, forensics::EventKind::kSuspend,
                              forensics::EventKind::kCritical},
                             50);
  if (events) {
    for (auto& e : *events) d.events.push_back(ViewEvent(**store, std::move(e)));
  } else {
    d.history_error = events.error().message;
  }
  if (auto latest = (*store)->LatestSample(); latest && *latest) d.last_sample = **latest;
  if (with_samples) {
    const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
    if (auto samples = (*store)->Samples(now - 3600, now, 20000)) d.samples = std::move(*samples);
  }
}

// --- Drawing ---------------------------------------------------------------------------------

enum Pair : short { kGreen = 1, kYellow, kRed, kCyan };

class Screen {
 public:
  Screen(bool color, bool unicode) : color_(color), unicode_(unicode) {}

  bool unicode() const { return unicode_; }
  int rows() const { return getmaxy(stdscr); }
  int cols() const { return getmaxx(stdscr); }

  // Writes `text` at (y, x), clipped to the screen's width (counted in characters).
  void Put(int y, int x, std::string_view text, attr_t attr = A_NORMAL) const {
    if (y < 0 || y >= rows() || x >= cols()) return;
    const std::string clipped = Clip(text, static_cast<std::size_t>(cols() - x));
    wattrset(stdscr, static_cast<int>(attr));
    mvaddstr(y, x, clipped.c_str());
    wattrset(stdscr, A_NORMAL);
  }

  attr_t Color(Pair pair, attr_t fallback = A_BOLD) const {
    return color_ ? COLOR_PAIR(pair) : fallback;
  }

  // "[#####-----]" (or blocks) of `width` cells for a 0-1 ratio.
  std::string Bar(double ratio, int width) const {
    ratio = std::clamp(std::isfinite(ratio) ? ratio : 0.0, 0.0, 1.0);
    const int full = static_cast<int>(std::lround(ratio * width));
    std::string bar;
    for (int i = 0; i < width; ++i)
      bar += i < full ? (unicode_ ? "█" : "#") : (unicode_ ? "░" : ".");
    return bar;
  }

  void Rule(int y) const {
    std::string line;
    for (int i = 0; i < cols(); ++i) line += unicode_ ? "─" : "-";
    Put(y, 0, line, Color(kCyan, A_DIM));
  }

  static std::string Clip(std::string_view text, std::size_t width) {
    std::string out;
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size() && count < width;) {
      const Utf8Char c = DecodeUtf8(text, i);
      const std::size_t len = c.length == 0 ? 1 : c.length;
      out.append(text.substr(i, len));
      i += len;
      ++count;
    }
    return out;
  }

 private:
  bool color_;
  bool unicode_;
};

std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string PerSecond(const json& v) {
  if (!v.is_number()) return "-";
  return forensics::cli::HumanBytes(v.get<double>()) + "/s";
}

std::string Pad(std::string text, std::size_t width) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i)
    n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  if (n < width) text.append(width - n, ' ');
  return text;
}

std::string Name(std::string_view comm) { return forensics::cli::Printable(comm); }

void DrawHeader(const Screen& s, const Context& ctx, std::string_view title) {
  const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  std::string left = " rogue-hunter  " + std::string(title);
  std::string right = LocalClock(now) + " ";
  std::string line = Pad(left, static_cast<std::size_t>(std::max(0, s.cols() - 9))) + right;
  s.Put(0, 0, Pad(line, static_cast<std::size_t>(s.cols())), A_REVERSE);
}

attr_t HealthAttr(const Screen& s, std::string_view health) {
  if (health == "critical" || health == "stale") return s.Color(kRed, A_BOLD | A_REVERSE) | A_BOLD;
  if (health == "stressed") return s.Color(kYellow) | A_BOLD;
  return s.Color(kGreen) | A_BOLD;
}

// The last pause, from the daemon (since it started) or else the history.
struct PauseMark {
  double end = 0;
  double duration = 0;
  std::string culprit;
  std::string scope;  // "machine", ...; "" when not (yet) known
};

std::optional<PauseMark> LastPause(const Data& d) {
  std::optional<PauseMark> mark;
  const json& last = d.status.is_object() ? d.status["pauses"]["last"] : json(nullptr);
  if (last.is_object()) {
    if (auto end = UnixOf(last["end"])) {
      mark = PauseMark{*end, Num(last, "duration_seconds"), "", Str(last, "scope")};
    }
  }
  for (const auto& e : d.events) {
    if (e.event.kind != forensics::EventKind::kPause) continue;
    if (!mark) mark = PauseMark{e.event.end_time, e.event.duration_seconds, "", e.event.scope};
    if (std::fabs(e.event.end_time - mark->end) < 1) {
      if (!e.culprit.empty()) mark->culprit = e.culprit;
      if (mark->scope.empty()) mark->scope = e.event.scope;
    }
    break;
  }
  return mark;
}

// A pause's scope in one column: MACHINE, HYPERVISOR, PROCESS (only rogue-hunter), UNKNOWN, or
// "-" for a pause recorded before scopes.
std::string ScopeColumn(std::string_view scope) {
  const auto known = analysis::ScopeNamed(scope);
  if (!known) return "-";
  std::string upper(analysis::Name(*known));
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

void DrawEventsList(const Screen& s, const Data& d, int top, int bottom, double now,
                    std::size_t skip) {
  int y = top;
  if (d.events.empty()) {
    s.Put(y, 2,
          d.history_error.empty() ? "no pauses, suspends or critical episodes recorded"
                                  : d.history_error,
          A_DIM);
    return;
  }
  for (std::size_t i = skip; i < d.events.size() && y <= bottom; ++i, ++y) {
    const auto& v = d.events[i];
    const auto& e = v.event;
    const bool pause = e.kind == forensics::EventKind::kPause;
    std::string kind = e.kind == forensics::EventKind::kPause     ? "PAUSE"
                       : e.kind == forensics::EventKind::kSuspend ? "SUSPEND"
                                                                  : "CRITICAL";
    // A pause is marked unless only rogue-hunter stopped in it: that one is not the machine's.
    const bool marked = pause && e.scope != analysis::Name(analysis::PauseScope::kProcess);
    std::string line =
        std::string(marked ? (s.unicode() ? "⚠ " : "! ") : "  ") +
        LocalTime(e.start_time).substr(5) + "  " + Pad(kind, 8) + " " +
        Pad(e.kind == forensics::EventKind::kCritical ? "-" : Seconds(e.duration_seconds), 9) +
        Pad(pause ? ScopeColumn(e.scope) : "", 11);
    std::string culprit =
        v.culprit.empty() ? "" : "[" + Name(v.culprit) + (v.culprit_ranked ? " suspected]" : "?]");
    line += Pad(culprit, 22) + " " + Ago(now - e.end_time);
    s.Put(y, 1, line, marked ? s.Color(kYellow, A_BOLD) : A_NORMAL);
  }
}

void DrawDashboard(const Screen& s, const Context& ctx, const Data& d) {
  const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  const json& st = d.status;
  const bool live = st.is_object();
  int y = 1;
  std::string health;
  double score = 0;
  json components = json::object();
  std::string state, interval;
  if (live) {
    health = Str(st, "health");
    score = Num(st["stress"], "score");
    if (st["stress"].is_object()) components = st["stress"]["components"];
    state = Str(st["sampling"], "state");
    interval = Fixed(Num(st["sampling"], "interval_seconds"), 0) + " s";
  } else if (d.last_sample) {
    health = d.last_sample->state == "elevated"   ? "stressed"
             : d.last_sample->state == "critical" ? "critical"
                                                  : "healthy";
    score = d.last_sample->score;
    for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
      components[std::string(analysis::kComponentNames[i])] = d.last_sample->components[i];
    }
    state = d.last_sample->state;
    interval = Fixed(d.last_sample->interval_seconds, 0) + " s";
  }
  if (!live) {
    std::string why = " DAEMON NOT RUNNING ";
    if (d.last_sample) why += "- last sample " + Ago(now - d.last_sample->time) + " ";
    s.Put(y, 1, why, s.Color(kRed, A_REVERSE) | A_REVERSE | A_BOLD);
    ++y;
  }
  std::string word = health.empty() ? "NO DATA" : health;
  std::transform(word.begin(), word.end(), word.begin(), ::toupper);
  s.Put(y, 1, Pad(word, 9), HealthAttr(s, health));
  s.Put(y, 11, "STRESS " + s.Bar(score / 100, 20) + " " + Fixed(score, 0) + "%",
        HealthAttr(s, health) & ~A_REVERSE);
  s.Put(y, 47, "Sampling: " + (state.empty() ? "-" : state + ", every " + interval));
  ++y;
  std::string parts;
  for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
    const std::string name(analysis::kComponentNames[i]);
    parts += name + " " + Fixed(Num(components, name.c_str()), 0) + "  ";
  }
  s.Put(y++, 1, "points: " + parts, A_DIM);
  s.Rule(y++);

  if (live) {
    const json& cpu = st["cpu"];
    const json& mem = st["memory"];
    const json& io = st["io"];
    const json& load = st["load"];
    const double busy = Num(cpu, "busy_ratio");
    s.Put(y++, 1,
          "CPU  " + s.Bar(busy, 16) + " " + Pad(Percent(busy), 5) + " iowait " +
              Percent(Num(cpu, "iowait_ratio")) + "  steal " + Percent(Num(cpu, "steal_ratio")) +
              "  Load " + Fixed(Num(load, "load1"), 1) + "/" + Fixed(Num(load, "cores"), 0) + " (" +
              Fixed(Num(load, "per_core"), 2) + "/core)");
    const double used = Num(mem, "used_ratio");
    s.Put(y++, 1,
          "Mem  " + s.Bar(used, 16) + " " + Pad(Percent(used), 5) + " free " +
              forensics::cli::HumanBytes(Num(mem, "available_bytes")) + "  swap used " +
              forensics::cli::HumanBytes(Num(mem, "swap_used_bytes")) + "  pressure " +
              Percent(Num(mem, "pressure_ratio")));
    const double io_some = Num(io, "pressure_some_ratio");
    s.Put(y++, 1,
          "I/O  " + s.Bar(io_some, 16) + " " + Pad(Percent(io_some), 5) + " R " +
              PerSecond(io["read_bytes_per_second"]) + "  W " +
              PerSecond(io["write_bytes_per_second"]) + "  (bar: I/O pressure)");
  } else {
    s.Put(y++, 1, "CPU, memory and I/O are shown while the daemon runs:", A_DIM);
    s.Put(y++, 3, d.daemon_error, A_DIM);
    const double total = d.last_sample ? d.last_sample->Number("memory_total").value_or(0) : 0;
    if (total > 0) {
      const double used =
          1 - std::min(d.last_sample->Number("memory_available").value_or(0), total) / total;
      s.Put(y++, 1,
            "Mem  " + s.Bar(used, 16) + " " + Percent(used) + " at the last sample   Load: " +
                Fixed(d.last_sample->Number("load1").value_or(0), 1) + "/" +
                std::to_string(static_cast<int>(d.last_sample->Number("cpus").value_or(0))));
    } else {
      ++y;
    }
  }
  s.Rule(y++);

  s.Put(y++, 1, "TOP PROCESSES (CPU)          PID  STATE   CPU      RSS", A_BOLD);
  const int process_rows = 5;
  if (live && st["processes"].is_object()) {
    int shown = 0;
    for (const auto& p : st["processes"]["top_cpu"]) {
      if (shown++ >= process_rows) break;
      s.Put(y++, 3,
            Pad(Name(Str(p, "comm")), 24) + " " +
                Pad(std::to_string(static_cast<long>(Num(p, "pid"))), 7) + " " +
                Pad(Str(p, "state"), 5) + " " + Pad(Percent(Num(p, "cpu_ratio")), 6) + "  " +
                forensics::cli::HumanBytes(Num(p, "rss_bytes")));
    }
    y += process_rows - std::min(shown, process_rows);
  } else {
    y += process_rows;
  }
  s.Rule(y++);
  s.Put(y++, 1, "RECENT EVENTS", A_BOLD);
  const int event_rows = std::max(1, s.rows() - y - 3);
  DrawEventsList(s, d, y, y + event_rows - 1, now, 0);
  y += event_rows;

  if (auto mark = LastPause(d)) {
    const double ago = now - mark->end;
    std::string text = std::string(s.unicode() ? "▶" : ">") + " LAST PAUSE ENDED " +
                       LocalClock(mark->end) + ", " + Ago(ago) + ", " + Seconds(mark->duration) +
                       ": " +
                       std::string(mark->scope.empty() ? "scope being judged"
                                                       : analysis::ScopePhrase(mark->scope)) +
                       (mark->culprit.empty() ? "" : ", suspect " + Name(mark->culprit));
    s.Put(y, 1, text,
          ago < kFreshPauseSeconds ? s.Color(kRed, A_REVERSE) | A_REVERSE | A_BOLD : A_BOLD);
  } else {
    s.Put(y, 1, "No pause recorded.", A_DIM);
  }
  if (live) {
    s.Put(y + 1, 1,
          "pauses since the daemon started: " +
              std::to_string(static_cast<long>(Num(st["pauses"], "count"))),
          A_DIM);
  }
}

void DrawProcesses(const Screen& s, const Data& d) {
  int y = 2;
  const json& p = d.status.is_object() ? d.status["processes"] : json(nullptr);
  if (!p.is_object()) {
    s.Put(y, 1, "The daemon is not running: " + d.daemon_error, A_DIM);
    return;
  }
  s.Put(y++, 1,
        "Processes: " + std::to_string(static_cast<long>(Num(p, "total"))) + " total, " +
            std::to_string(static_cast<long>(Num(p, "running"))) + " running, " +
            std::to_string(static_cast<long>(Num(p, "blocked"))) + " blocked (D), " +
            std::to_string(static_cast<long>(Num(p, "zombie"))) + " zombie");
  // As many of each top list as leave room for the blocked tasks above the key line:
  // sampling.top_processes may be larger than a small terminal.
  const int per_list = std::max(1, (s.rows() - 11) / 2);
  for (const auto& [title, key] :
       {std::pair{"BY CPU", "top_cpu"}, std::pair{"BY MEMORY", "top_memory"}}) {
    ++y;
    s.Put(y++, 1, Pad(title, 26) + "  PID  STATE   CPU      RSS", A_BOLD);
    int shown = 0;
    for (const auto& t : p[key]) {
      if (shown++ == per_list) break;
      s.Put(y++, 3,
            Pad(Name(Str(t, "comm")), 24) + " " +
                Pad(std::to_string(static_cast<long>(Num(t, "pid"))), 7) + " " +
                Pad(Str(t, "state"), 5) + " " + Pad(Percent(Num(t, "cpu_ratio")), 6) + "  " +
                forensics::cli::HumanBytes(Num(t, "rss_bytes")));
    }
  }
  ++y;
  s.Put(y++, 1, "BLOCKED TASKS (D state)      PID  WAITING IN", A_BOLD);
  if (p["blocked_tasks"].empty()) s.Put(y++, 3, "none", A_DIM);
  for (const auto& b : p["blocked_tasks"]) {
    s.Put(y++, 3,
          Pad(Name(Str(b, "comm")), 24) + " " +
              Pad(std::to_string(static_cast<long>(Num(b, "pid"))), 7) + " " +
              Name(Str(b, "wchan")));
  }
}

void DrawHistory(const Screen& s, const Context& ctx, const Data& d) {
  int y = 2;
  if (d.samples.empty()) {
    s.Put(y, 1, d.history_error.empty() ? "no samples in the last hour" : d.history_error, A_DIM);
    return;
  }
  // The score over the hour, one column per slice of time, highest score of the slice.
  const int width = s.cols() - 8;
  const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  std::vector<double> peak(static_cast<std::size_t>(std::max(width, 1)), -1);
  for (const auto& r : d.samples) {
    const int column = static_cast<int>((r.time - (now - 3600)) / 3600 * width);
    if (column >= 0 && column < width) {
      peak[static_cast<std::size_t>(column)] =
          std::max(peak[static_cast<std::size_t>(column)], r.score);
    }
  }
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  static const char* kAscii[] = {"_", ".", "-", "-", "=", "=", "#", "#"};
  const int chart_rows = 4;
  s.Put(y++, 1, "Stress score, last hour (peak per " + Fixed(3600.0 / width, 0) + " s)", A_BOLD);
  for (int row = 0; row < chart_rows; ++row) {
    const double low = 100.0 * (chart_rows - 1 - row) / chart_rows;
    std::string line = Pad(Fixed(low + 100.0 / chart_rows, 0), 4) + "|";
    for (int c = 0; c < width; ++c) {
      const double v = peak[static_cast<std::size_t>(c)];
      if (v < 0 || v < low) {
        line += " ";
      } else if (v >= low + 100.0 / chart_rows) {
        line += s.unicode() ? "█" : "#";
      } else {
        const int step = std::clamp(static_cast<int>((v - low) / (100.0 / chart_rows) * 8), 0, 7);
        line += s.unicode() ? kBlocks[step] : kAscii[step];
      }
    }
    s.Put(y++, 1, line, row < 2 ? s.Color(kRed, A_BOLD) : s.Color(kGreen, A_NORMAL));
  }
  s.Put(y++, 1, "    +" + std::string(static_cast<std::size_t>(width), '-'));
  s.Put(y++, 6, Pad("-60 min", static_cast<std::size_t>(width - 3)) + "now", A_DIM);
  ++y;
  s.Put(y++, 1, "TIME      STATE     SCORE  LOAD  CPU   IO  MEM  THERM  LAT", A_BOLD);
  for (auto it = d.samples.rbegin(); it != d.samples.rend() && y < s.rows() - 1; ++it) {
    const auto& r = *it;
    char line[128];
    std::snprintf(line, sizeof(line), "%-8s  %-8s  %5.0f  %4.0f  %3.0f  %3.0f  %3.0f  %5.0f  %3.0f",
                  LocalClock(r.time).c_str(), r.state.c_str(), r.score, r.components[0],
                  r.components[1], r.components[2], r.components[3], r.components[4],
                  r.components[5]);
    s.Put(y++, 1, line);
  }
}

void DrawHelp(const Screen& s) {
  const char* lines[] = {
      "KEYS",
      "  q        quit (also Ctrl-C)",
      "  e        events: pauses, suspends and critical episodes from the history",
      "  p        processes: top by CPU and by memory, blocked tasks",
      "  h        history: the stress score over the last hour and the latest samples",
      "  d, Esc   back to the dashboard (the key of the current view too)",
      "  Up/Down  scroll the events list",
      "  ?        this help",
      "",
      "WHAT IT SHOWS",
      "  STRESS is the daemon's 0-100 score: the sum of the capped points of each",
      "  component (load, cpu, io, memory, thermal, latency). High CPU use alone is",
      "  not stress. Sampling is every 5 s when normal, every second when elevated.",
      "  A pause is a stretch where rogue-hunter did not run. Its scope says what",
      "  froze: MACHINE (nothing else ran either), HYPERVISOR (the VM was not",
      "  scheduled), UNKNOWN, or PROCESS (only rogue-hunter stopped: a signal, a",
      "  frozen cgroup, a CPU quota; not marked, not yellow). The marker at the",
      "  bottom says when the last one ended. 'suspected' culprits come from the",
      "  forensic bundle's ranking; a '?' is only the busiest process then.",
      "",
      "  Data: the daemon's /api/status, every refresh; the history database for",
      "  events and history. NO_COLOR=1 turns colours off.",
  };
  int y = 2;
  for (const char* l : lines) s.Put(y++, 2, l, l[0] != ' ' && l[0] != '\0' ? A_BOLD : A_NORMAL);
}

}  // namespace

int Tui(const Context& ctx, const TuiOptions& options) {
  if (isatty(STDIN_FILENO) != 1 || isatty(STDOUT_FILENO) != 1) {
    return Fail(ctx,
                "tui needs a terminal (stdin and stdout); use `rogue-hunter status` in "
                "scripts");
  }
  setlocale(LC_ALL, "");
  const bool unicode = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  if (tcgetattr(STDIN_FILENO, &g_rescue.saved) == 0) g_rescue.have_saved = true;
  InstallSignalHandlers();
  if (initscr() == nullptr) return Fail(ctx, "cannot initialise the terminal");
  AppendCapability("sgr0");
  AppendCapability("cnorm");
  AppendCapability("rmcup");
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  wtimeout(stdscr, 100);
  set_escdelay(25);
  const char* no_color = std::getenv("NO_COLOR");
  const bool color = has_colors() && (no_color == nullptr || *no_color == '\0');
  if (color) {
    start_color();
    use_default_colors();
    init_pair(kGreen, COLOR_GREEN, -1);
    init_pair(kYellow, COLOR_YELLOW, -1);
    init_pair(kRed, COLOR_RED, -1);
    init_pair(kCyan, COLOR_CYAN, -1);
  }
  const Screen screen(color, unicode);

  Data data;
  View view = View::kDashboard;
  std::size_t scroll = 0;
  const auto refresh_every = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(options.refresh_seconds));
  auto next_refresh = SteadyClock::now();
  bool dirty = true;
  while (!g_quit) {
    const auto now = SteadyClock::now();
    if (now >= next_refresh) {
      ReadDaemon(ctx, data);
      if (now - data.database_read >= kDatabaseRefresh ||
          (view == View::kHistory && data.samples.empty())) {
        ReadDatabase(ctx, data, view == View::kHistory);
      }
      next_refresh = now + refresh_every;
      dirty = true;
    }
    if (dirty) {
      werase(stdscr);
      if (screen.cols() < kMinColumns || screen.rows() < kMinRows) {
        screen.Put(0, 0,
                   "rogue-hunter tui needs at least 80x24; this terminal is " +
                       std::to_string(screen.cols()) + "x" + std::to_string(screen.rows()) +
                       ". q quits.");
      } else {
        const char* titles[] = {"", "events", "processes", "history (last hour)", "help"};
        DrawHeader(screen, ctx, titles[static_cast<int>(view)]);
        switch (view) {
          case View::kDashboard:
            DrawDashboard(screen, ctx, data);
            break;
          case View::kEvents:
            screen.Put(2, 1,
                       "  " + Pad("TIME", 16) + Pad("KIND", 9) + Pad("DURATION", 9) +
                           Pad("CULPRIT", 29) + "WHEN",
                       A_BOLD);
            DrawEventsList(screen, data, 3, screen.rows() - 3,
                           static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9, scroll);
            break;
          case View::kProcesses:
            DrawProcesses(screen, data);
            break;
          case View::kHistory:
            DrawHistory(screen, ctx, data);
            break;
          case View::kHelp:
            DrawHelp(screen);
            break;
        }
        screen.Put(screen.rows() - 1, 0,
                   " [q] Quit  [e] Events  [p] Processes  [h] History  [d] Dashboard  [?] Help",
                   A_REVERSE);
      }
      wrefresh(stdscr);
      dirty = false;
    }
    const int key = wgetch(stdscr);
    if (key == ERR) continue;
    dirty = true;
    auto toggle = [&](View v) { view = view == v ? View::kDashboard : v; };
    switch (key) {
      case 'q':
      case 'Q':
        g_quit = true;
        break;
      case 'e':
        toggle(View::kEvents);
        scroll = 0;
        break;
      case 'p':
        toggle(View::kProcesses);
        break;
      case 'h':
        toggle(View::kHistory);
        if (view == View::kHistory) ReadDatabase(ctx, data, true);
        break;
      case '?':
        toggle(View::kHelp);
        break;
      case 'd':
      case 27:  // Esc
        view = View::kDashboard;
        break;
      case KEY_DOWN:
        if (scroll + 1 < data.events.size()) ++scroll;
        break;
      case KEY_UP:
        if (scroll > 0) --scroll;
        break;
      case KEY_RESIZE:
        break;
      default:
        dirty = false;
    }
  }
  endwin();
  return kExitOk;
}

}  // namespace rh::exporter::cli
