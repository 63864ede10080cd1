#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <tuple>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/table.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxListed = 25;

// A process is the same in both bundles when its pid and start time (or, without a start
// time, its name) match: a reused pid is a new process.
using ProcessKey = std::tuple<std::int64_t, std::string>;
ProcessKey Key(const ProcessEntry& p) {
  return {p.pid, p.start.empty() ? "comm:" + p.comm : p.start};
}

struct Side {
  OpenedBundle bundle;
  BundleDetails details;
  std::optional<analysis::Assessment> stress;  // at capture
};

Result<Side> Load(const Context& ctx, const std::string& which) {
  auto bundle = OpenBundle(which, ctx.events_dir, ctx.limits);
  if (!bundle) return bundle.error();
  auto details = ReadDetails(*bundle);
  if (!details) return details.error();
  Side side{std::move(bundle).value(), std::move(details).value(), std::nullopt};
  if (!side.details.capture.empty()) {
    side.stress = side.details.capture.back().assessment;
  } else if (const std::string* text = side.bundle.files.Find(kSamplesFile)) {
    auto samples = ParseSamples(*text, side.bundle.Where(kSamplesFile));
    if (samples && !samples->empty()) side.stress = samples->back().assessment;
  }
  return side;
}

json ProcessJson(const ProcessEntry& p) {
  return {{"pid", p.pid},
          {"comm", BytesToJson(p.comm)},
          {"rss_bytes", p.rss_bytes},
          {"cpu_ratio", p.cpu_ratio},
          {"state", p.state}};
}

std::string Dominant(const Side& s) {
  if (!s.details.summary || s.details.summary->dominant_component.empty()) return "-";
  const auto& sum = *s.details.summary;
  return Printable(sum.dominant_component) + " (" + Decimal(sum.dominant_points, 1) + ")";
}

}  // namespace

int Diff(const Context& ctx, const std::string& a_name, const std::string& b_name,
         const std::string& format) {
  auto a = Load(ctx, a_name);
  if (!a) return Fail(ctx, a.error().message);
  auto b = Load(ctx, b_name);
  if (!b) return Fail(ctx, b.error().message);

  std::map<ProcessKey, const ProcessEntry*> in_a, in_b;
  for (const auto& p : a->details.processes) in_a.emplace(Key(p), &p);
  for (const auto& p : b->details.processes) in_b.emplace(Key(p), &p);
  std::vector<const ProcessEntry*> added, gone;
  std::vector<std::pair<const ProcessEntry*, const ProcessEntry*>> grown;
  for (const auto& [key, p] : in_b) {
    auto it = in_a.find(key);
    if (it == in_a.end()) {
      added.push_back(p);
    } else if (p->rss_bytes > it->second->rss_bytes) {
      grown.emplace_back(it->second, p);
    }
  }
  for (const auto& [key, p] : in_a) {
    if (!in_b.contains(key)) gone.push_back(p);
  }
  auto by_rss = [](const ProcessEntry* x, const ProcessEntry* y) {
    return x->rss_bytes > y->rss_bytes;
  };
  std::stable_sort(added.begin(), added.end(), by_rss);
  std::stable_sort(gone.begin(), gone.end(), by_rss);
  std::stable_sort(grown.begin(), grown.end(), [](const auto& x, const auto& y) {
    return x.second->rss_bytes - x.first->rss_bytes > y.second->rss_bytes - y.first->rss_bytes;
  });

  using TaskKey = std::pair<std::int64_t, std::string>;
  std::map<TaskKey, const BlockedEntry*> blocked_a, blocked_b;
  for (const auto& t : a->details.blocked) blocked_a.emplace(TaskKey{t.tid, t.comm}, &t);
  for (const auto& t : b->details.blocked) blocked_b.emplace(TaskKey{t.tid, t.comm}, &t);
  std::vector<const BlockedEntry*> blocked_only_a, blocked_only_b;
  std::vector<std::pair<const BlockedEntry*, const BlockedEntry*>> blocked_moved;
  for (const auto& [key, t] : blocked_a) {
    auto it = blocked_b.find(key);
    if (it == blocked_b.end()) {
      blocked_only_a.push_back(t);
    } else if (it->second->wchan != t->wchan) {
      blocked_moved.emplace_back(t, it->second);
    }
  }
  for (const auto& [key, t] : blocked_b) {
    if (!blocked_a.contains(key)) blocked_only_b.push_back(t);
  }

  if (format == "json") {
    auto list = [](const std::vector<const ProcessEntry*>& v) {
      json out = json::array();
      for (const auto* p : v) out.push_back(ProcessJson(*p));
      return out;
    };
    json grown_json = json::array();
    for (const auto& [before, after] : grown) {
      json e = ProcessJson(*after);
      e["rss_bytes_before"] = before->rss_bytes;
      e["rss_growth_bytes"] = after->rss_bytes - before->rss_bytes;
      grown_json.push_back(e);
    }
    auto tasks = [](const std::vector<const BlockedEntry*>& v) {
      json out = json::array();
      for (const auto* t : v) {
        out.push_back(
            {{"pid", t->pid}, {"comm", BytesToJson(t->comm)}, {"wchan", BytesToJson(t->wchan)}});
      }
      return out;
    };
    json moved = json::array();
    for (const auto& [x, y] : blocked_moved) {
      moved.push_back({{"pid", x->pid},
                       {"comm", BytesToJson(x->comm)},
                       {"wchan_a", BytesToJson(x->wchan)},
                       {"wchan_b", BytesToJson(y->wchan)}});
    }
    json components = json::object();
    for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
      components[std::string(analysis::kComponentNames[i])] = {
          {"a", a->stress ? json(a->stress->components[i]) : json(nullptr)},
          {"b", b->stress ? json(b->stress->components[i]) : json(nullptr)}};
    }
    components["score"] = {{"a", a->stress ? json(a->stress->score) : json(nullptr)},
                           {"b", b->stress ? json(b->stress->score) : json(nullptr)}};
    auto dominant = [](const Side& s) -> json {
      if (!s.details.summary) return nullptr;
      return {{"component", s.details.summary->dominant_component},
              {"points", s.details.summary->dominant_points},
              {"text", s.details.summary->dominant_text}};
    };
    json out = {{"a", a->bundle.manifest.id},
                {"b", b->bundle.manifest.id},
                {"new_processes", list(added)},
                {"gone_processes", list(gone)},
                {"grown_processes", grown_json},
                {"blocked_only_a", tasks(blocked_only_a)},
                {"blocked_only_b", tasks(blocked_only_b)},
                {"blocked_moved", moved},
                {"stress", components},
                {"dominant", {{"a", dominant(*a)}, {"b", dominant(*b)}}}};
    *ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }

  std::ostream& out = *ctx.out;
  const Manifest& ma = a->bundle.manifest;
  const Manifest& mb = b->bundle.manifest;
  out << "A: " << Printable(ma.id) << "  " << Printable(ma.event_kind) << " "
      << Decimal(ma.event_duration_seconds) << " s at " << Rfc3339(ma.event_start_ns) << "\n";
  out << "B: " << Printable(mb.id) << "  " << Printable(mb.event_kind) << " "
      << Decimal(mb.event_duration_seconds) << " s at " << Rfc3339(mb.event_start_ns) << "\n";

  out << "\nStress components at capture:\n";
  Table stress({"COMPONENT", "A", "B", "CHANGE"});
  auto row = [&](const std::string& name, std::optional<double> x, std::optional<double> y) {
    std::string change = x && y ? (*y - *x >= 0 ? "+" : "") + Decimal(*y - *x, 1) : "";
    stress.Add({name, x ? Decimal(*x, 1) : "-", y ? Decimal(*y, 1) : "-", change});
  };
  for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
    row(std::string(analysis::kComponentNames[i]),
        a->stress ? std::optional(a->stress->components[i]) : std::nullopt,
        b->stress ? std::optional(b->stress->components[i]) : std::nullopt);
  }
  row("score", a->stress ? std::optional(a->stress->score) : std::nullopt,
      b->stress ? std::optional(b->stress->score) : std::nullopt);
  stress.Print(out, "  ");
  out << "Dominant: A " << Dominant(*a) << ", B " << Dominant(*b) << "\n";

  auto processes = [&](const char* title, const std::vector<const ProcessEntry*>& v) {
    out << "\n" << title << " (" << v.size() << ")" << (v.empty() ? "\n" : ":\n");
    Table table({"PID", "COMM", "RSS", "CPU"});
    for (std::size_t i = 0; i < v.size() && i < kMaxListed; ++i) {
      table.Add({std::to_string(v[i]->pid), Printable(v[i]->comm),
                 HumanBytes(static_cast<double>(v[i]->rss_bytes)),
                 Decimal(v[i]->cpu_ratio * 100, 1) + "%"});
    }
    if (!v.empty()) table.Print(out, "  ");
    if (v.size() > kMaxListed) out << "  ... and " << v.size() - kMaxListed << " more\n";
  };
  processes("New processes in B", added);
  out << "\nProcesses whose RSS grew (" << grown.size() << ")" << (grown.empty() ? "\n" : ":\n");
  if (!grown.empty()) {
    Table table({"PID", "COMM", "RSS IN A", "RSS IN B", "GROWTH"});
    for (std::size_t i = 0; i < grown.size() && i < kMaxListed; ++i) {
      const auto& [before, after] = grown[i];
      table.Add({std::to_string(after->pid), Printable(after->comm),
                 HumanBytes(static_cast<double>(before->rss_bytes)),
                 HumanBytes(static_cast<double>(after->rss_bytes)),
                 "+" + HumanBytes(static_cast<double>(after->rss_bytes - before->rss_bytes))});
    }
    table.Print(out, "  ");
    if (grown.size() > kMaxListed) out << "  ... and " << grown.size() - kMaxListed << " more\n";
  }
  processes("Processes gone since A", gone);

  auto tasks = [&](const char* title, const std::vector<const BlockedEntry*>& v) {
    out << "\n" << title << " (" << v.size() << ")" << (v.empty() ? "\n" : ":\n");
    for (const auto* t : v) {
      out << "  pid " << t->pid << " " << Printable(t->comm) << " in "
          << (t->wchan.empty() ? "?" : Printable(t->wchan)) << "\n";
    }
  };
  tasks("Blocked tasks only in A", blocked_only_a);
  tasks("Blocked tasks only in B", blocked_only_b);
  if (!blocked_moved.empty()) {
    out << "\nBlocked in both, waiting elsewhere (" << blocked_moved.size() << "):\n";
    for (const auto& [x, y] : blocked_moved) {
      out << "  pid " << x->pid << " " << Printable(x->comm) << ": " << Printable(x->wchan)
          << " -> " << Printable(y->wchan) << "\n";
    }
  }
  return kExitOk;
}

}  // namespace rh::forensics::cli
