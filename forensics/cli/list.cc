#include <nlohmann/json.hpp>
#include <ostream>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/table.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {

int List(const Context& ctx, const std::string& format) {
  std::vector<std::string> problems;
  auto bundles = ScanEventsDir(ctx.events_dir, problems);
  if (!bundles) return Fail(ctx, bundles.error().message);
  for (const auto& p : problems) Warn(ctx, p);

  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& b : *bundles) {
      const Manifest& m = b.manifest;
      nlohmann::json top = nullptr;
      if (b.summary && !b.summary->culprits.empty()) {
        const Culprit& c = b.summary->culprits.front();
        top = {{"pid", c.pid}, {"comm", BytesToJson(c.comm)}, {"score", c.score}};
      }
      out.push_back({{"id", m.id},
                     {"path", b.path.string()},
                     {"created", Rfc3339(m.created_ns)},
                     {"trigger", m.trigger},
                     {"start", Rfc3339(m.event_start_ns)},
                     {"end", Rfc3339(m.event_end_ns)},
                     {"duration_seconds", m.event_duration_seconds},
                     {"top_culprit", top},
                     {"size_bytes", b.bytes}});
    }
    *ctx.out << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  }

  Table table({"ID", "TIME (UTC)", "TRIGGER", "DURATION", "TOP CULPRIT", "SIZE"});
  for (const auto& b : *bundles) {
    const Manifest& m = b.manifest;
    std::string top = "-";
    if (b.summary && !b.summary->culprits.empty()) {
      const Culprit& c = b.summary->culprits.front();
      top = Printable(c.comm) + " (" + std::to_string(c.pid) + ")";
    }
    table.Add({Printable(m.id), ShortTime(m.event_start_ns), Printable(m.trigger),
               Decimal(m.event_duration_seconds) + " s", top,
               HumanBytes(static_cast<double>(b.bytes))});
  }
  if (bundles->empty()) {
    *ctx.out << "no bundles in " << Printable(ctx.events_dir) << "\n";
  } else {
    table.Print(*ctx.out);
  }
  return kExitOk;
}

}  // namespace rh::forensics::cli
