#include <unistd.h>

#include <istream>
#include <ostream>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/text.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {

int Prune(const Context& ctx, bool dry_run, bool yes, std::istream& in, bool interactive) {
  std::vector<std::string> problems;
  auto bundles = ScanEventsDir(ctx.events_dir, problems);
  if (!bundles) return Fail(ctx, bundles.error().message);
  for (const auto& p : problems) Warn(ctx, p + " (kept)");
  const int days = ctx.config.retention.events_days;
  const std::int64_t cutoff =
      ctx.clock->Now().realtime_ns - static_cast<std::int64_t>(days) * 86400 * 1'000'000'000LL;
  std::vector<const StoredBundle*> old;
  std::uint64_t bytes = 0;
  for (const auto& b : *bundles) {
    if (b.manifest.created_ns < cutoff) {
      old.push_back(&b);
      bytes += b.bytes;
    }
  }
  std::ostream& out = *ctx.out;
  const std::string what = std::to_string(old.size()) + (old.size() == 1 ? " bundle" : " bundles") +
                           " (" + HumanBytes(static_cast<double>(bytes)) + ") older than " +
                           std::to_string(days) + " days in " + Printable(ctx.events_dir);
  if (old.empty()) {
    out << "nothing to prune: no bundles older than " << days << " days in "
        << Printable(ctx.events_dir) << "\n";
    return kExitOk;
  }
  for (const auto* b : old) {
    out << (dry_run ? "would delete " : "") << Printable(b->manifest.id) << "  created "
        << Rfc3339(b->manifest.created_ns) << "  " << HumanBytes(static_cast<double>(b->bytes))
        << "\n";
  }
  if (dry_run) {
    out << "dry run: would delete " << what << "\n";
    return kExitOk;
  }
  if (!yes) {
    if (!interactive) {
      return Fail(ctx, "refusing to delete " + what +
                           " without confirmation: stdin is not a terminal (use --yes)");
    }
    out << "Delete " << what << "? [y/N] " << std::flush;
    std::string answer;
    std::getline(in, answer);
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "YES" && answer != "Yes") {
      return Fail(ctx, "nothing deleted");
    }
  }
  std::size_t deleted = 0;
  for (const auto* b : old) {
    if (Status s = RemoveBundle(b->path); !s.ok()) return Fail(ctx, s.error().message);
    out << "deleted " << Printable(b->manifest.id) << "\n";
    ++deleted;
  }
  out << "deleted " << deleted << (deleted == 1 ? " bundle" : " bundles") << "\n";
  return kExitOk;
}

}  // namespace rh::forensics::cli
