#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/table.h"
#include "forensics/cli/text.h"
#include "forensics/json_read.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxLogLines = 400;
constexpr std::size_t kTopProcesses = 5;

// The file's JSON, or null when it is absent or not JSON (ReadDetails() has refused the
// files that must be JSON already).
json ParsedOrNull(const OpenedBundle& b, std::string_view path) {
  const std::string* text = b.files.Find(path);
  if (text == nullptr) return nullptr;
  auto parsed = ParseJson(*text, b.Where(path));
  return parsed ? std::move(parsed).value() : json(nullptr);
}

json LinesJson(const std::vector<std::string>& lines) {
  json out = json::array();
  for (const auto& l : lines) out.push_back(BytesToJson(l));
  return out;
}

std::string WhatHappened(const Manifest& m) {
  const std::string window = Rfc3339(m.event_start_ns) + " to " + Rfc3339(m.event_end_ns);
  if (m.event_kind == "pause") {
    return "The machine froze for " + Decimal(m.event_duration_seconds) + " s: nothing ran from " +
           window + ".";
  }
  if (m.event_kind == "critical") {
    return "Critical stress episode starting " + Rfc3339(m.event_start_ns) + " (" +
           Decimal(m.event_duration_seconds) + " s captured).";
  }
  if (m.event_kind == "manual") return "Manual capture at " + Rfc3339(m.event_end_ns) + ".";
  return Printable(m.event_kind) + " from " + window + " (" + Decimal(m.event_duration_seconds) +
         " s).";
}

void PrintLog(std::ostream& out, const std::string& title, const std::vector<std::string>& lines) {
  std::size_t count = lines.size();
  while (count > 0 && lines[count - 1].empty()) --count;
  out << "\n" << title << " (" << count << (count == 1 ? " line" : " lines") << "):\n";
  if (count == 0) out << "  (none)\n";
  for (std::size_t i = 0; i < count && i < kMaxLogLines; ++i)
    out << "  " << Printable(lines[i]) << "\n";
  if (count > kMaxLogLines) out << "  ... " << count - kMaxLogLines << " more lines\n";
}

}  // namespace

int Show(const Context& ctx, const std::string& id_or_path, const std::string& format) {
  auto bundle = OpenBundle(id_or_path, ctx.events_dir, ctx.limits);
  if (!bundle) return Fail(ctx, bundle.error().message);
  auto details = ReadDetails(*bundle);
  if (!details) return Fail(ctx, details.error().message);
  const Manifest& m = bundle->manifest;
  const auto problems = CheckFiles(m, bundle->files);
  if (!problems.empty()) {
    Warn(ctx, bundle->files.origin + " does not verify (" + std::to_string(problems.size()) +
                  " problems; see rh-forensics verify)");
  }
  const analysis::ScoredSample* capture =
      details->capture.empty() ? nullptr : &details->capture.back();

  if (format == "json") {
    json out = {{"id", m.id},
                {"origin", bundle->files.origin},
                {"verified", problems.empty()},
                {"manifest", ParsedOrNull(*bundle, kManifestFile)},
                {"summary", ParsedOrNull(*bundle, kSummaryFile)},
                {"stress", capture != nullptr ? ToJson(capture->assessment) : json(nullptr)},
                {"blocked", ParsedOrNull(*bundle, kBlockedFile)},
                {"kernel_log", LinesJson(details->kernel_log)},
                {"journal", LinesJson(details->journal)}};
    json problem_list = json::array();
    for (const auto& p : problems) problem_list.push_back({{"path", p.path}, {"detail", p.detail}});
    out["problems"] = problem_list;
    *ctx.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kExitOk;
  }

  std::ostream& out = *ctx.out;
  out << "Bundle " << Printable(m.id) << " (" << Printable(m.trigger)
      << (m.redacted ? ", redacted" : "") << ")\n";
  out << "Host " << Printable(m.hostname) << ", kernel " << Printable(m.kernel) << ", boot "
      << Printable(m.boot_id) << "\n";
  out << "Captured " << Rfc3339(m.created_ns) << " by rogue-hunter "
      << Printable(m.software_version) << "\n\n";
  out << WhatHappened(m) << "\n";

  if (details->summary && !details->summary->dominant_component.empty()) {
    const Summary& s = *details->summary;
    out << "Dominant stress: "
        << Printable(s.dominant_text.empty() ? s.dominant_component : s.dominant_text) << " ("
        << Printable(s.dominant_component) << ", " << Decimal(s.dominant_points, 1) << " points)\n";
  } else {
    out << "Dominant stress: unknown (no summary)\n";
  }
  if (capture != nullptr) {
    const auto& a = capture->assessment;
    out << "Stress at capture: score " << Decimal(a.score, 1) << " (";
    for (std::size_t i = 0; i < analysis::kComponentCount; ++i) {
      out << (i ? ", " : "") << analysis::kComponentNames[i] << " " << Decimal(a.components[i], 1);
    }
    out << ")\n";
    const auto& sig = a.signals;
    out << "  load per core " << Decimal(sig.load_per_core, 2) << ", PSI cpu "
        << Decimal(sig.cpu_some * 100, 1) << "%, io " << Decimal(sig.io_psi * 100, 1)
        << "%, memory " << Decimal(sig.memory_psi * 100, 1) << "%, steal "
        << Decimal(sig.steal_share * 100, 1) << "%\n";
  }
  if (details->summary && details->summary->score_before) {
    out << "Stress score before the event: " << Decimal(*details->summary->score_before, 1) << "\n";
  }
  if (details->summary && details->summary->steal_share > 0) {
    out << "CPU steal over the window: " << Decimal(details->summary->steal_share * 100, 1)
        << "%\n";
  }

  out << "\nCulprits";
  if (!details->summary || details->summary->culprits.empty()) {
    out << ": none ranked\n";
  } else {
    out << ":\n";
    for (const auto& c : details->summary->culprits) {
      out << "  " << c.rank << ". " << Printable(c.comm) << " (pid " << c.pid << ")"
          << " score " << Decimal(c.score, 2);
      if (!c.unit.empty()) out << ", " << Printable(c.unit);
      out << "\n";
      for (const auto& e : c.evidence) {
        out << "     - " << Printable(e.text.empty() ? e.kind : e.text) << " [" << Printable(e.kind)
            << "]\n";
      }
    }
  }

  out << "\nBlocked tasks (D state): " << details->blocked.size() << "\n";
  for (const auto& t : details->blocked) {
    out << "  pid " << t.pid << " " << Printable(t.comm) << " in "
        << (t.wchan.empty() ? "?" : Printable(t.wchan));
    if (t.blocked_seconds) out << ", blocked " << Decimal(*t.blocked_seconds, 1) << " s";
    if (t.tid != t.pid) out << " (thread " << t.tid << ")";
    out << "\n";
    for (const auto& frame : t.stack) out << "      " << Printable(frame) << "\n";
    if (t.stack.empty() && !t.stack_error.empty()) {
      out << "      (no kernel stack: " << Printable(t.stack_error) << ")\n";
    }
  }

  if (!details->processes.empty()) {
    auto top = [&](auto key, const char* title) {
      std::vector<const ProcessEntry*> list;
      for (const auto& p : details->processes) list.push_back(&p);
      std::stable_sort(list.begin(), list.end(), [&](const ProcessEntry* x, const ProcessEntry* y) {
        return key(*x) > key(*y);
      });
      out << "\n" << title << " (of " << details->processes.size() << " processes):\n";
      Table table({"PID", "COMM", "STATE", "CPU", "RSS", "USER"});
      for (std::size_t i = 0; i < list.size() && i < kTopProcesses; ++i) {
        const ProcessEntry& p = *list[i];
        table.Add({std::to_string(p.pid), Printable(p.comm), Printable(p.state),
                   Decimal(p.cpu_ratio * 100, 1) + "%",
                   HumanBytes(static_cast<double>(p.rss_bytes)), Printable(p.user)});
      }
      table.Print(out, "  ");
    };
    top([](const ProcessEntry& p) { return p.cpu_ratio; }, "Top by CPU");
    top([](const ProcessEntry& p) { return static_cast<double>(p.rss_bytes); }, "Top by memory");
  }

  if (details->summary && !details->summary->notes.empty()) {
    out << "\nCapture notes:\n";
    for (const auto& n : details->summary->notes) out << "  " << Printable(n) << "\n";
  }

  PrintLog(out, "Kernel messages of the window", details->kernel_log);
  if (bundle->files.Find(kJournalFile) != nullptr) PrintLog(out, "Journal", details->journal);
  return kExitOk;
}

}  // namespace rh::forensics::cli
