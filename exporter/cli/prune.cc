// rogue-hunter prune: applies the retention settings now, then vacuums the database.

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <ostream>

#include "exporter/cli/commands.h"
#include "exporter/cli/format.h"
#include "forensics/cli/bundle_view.h"
#include "forensics/cli/text.h"

namespace rh::exporter::cli {
namespace {

namespace fs = std::filesystem;
using forensics::cli::HumanBytes;
using forensics::cli::Printable;

constexpr int kBatch = 5000;
// From this many rows or bundles on, deleting shows its progress.
constexpr std::uint64_t kLargeDeletion = 10000;

std::uint64_t FileBytes(const std::string& database) {
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    auto size = fs::file_size(database + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

std::string Plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Progress of a long deletion on stderr: one line rewritten in place on a terminal, a line per
// tenth otherwise.
class Progress {
 public:
  Progress(const Context& ctx, std::string what, std::uint64_t total)
      : ctx_(ctx), what_(std::move(what)), total_(total), terminal_(isatty(STDERR_FILENO) == 1) {}

  void Advance(std::uint64_t n) {
    done_ += n;
    if (total_ < kLargeDeletion) return;
    const std::uint64_t tenth = std::min<std::uint64_t>(10, done_ * 10 / total_);
    if (terminal_) {
      *ctx_.err << "\r" << what_ << ": " << done_ << "/" << total_ << " ("
                << std::min<std::uint64_t>(100, done_ * 100 / total_) << "%)" << std::flush;
    } else if (tenth > shown_) {
      shown_ = tenth;
      *ctx_.err << what_ << ": " << done_ << "/" << total_ << " ("
                << std::min<std::uint64_t>(100, done_ * 100 / total_) << "%)\n";
    }
  }
  void Finish() {
    if (terminal_ && total_ >= kLargeDeletion) *ctx_.err << "\n";
  }

 private:
  const Context& ctx_;
  std::string what_;
  std::uint64_t total_;
  bool terminal_;
  std::uint64_t done_ = 0;
  std::uint64_t shown_ = 0;
};

}  // namespace

int Prune(const Context& ctx, const PruneOptions& options) {
  const double now = static_cast<double>(ctx.clock->Now().realtime_ns) / 1e9;
  const auto& retention = ctx.config.retention;
  const double samples_before = now - retention.samples_days * 86400.0;
  const double events_before = now - retention.events_days * 86400.0;
  const double processes_before = now - ctx.config.process.history_hours * 3600.0;
  const std::string& database = ctx.config.storage.database;
  const std::string& events_dir = ctx.config.forensics.events_dir;
  std::ostream& out = *ctx.out;

  std::unique_ptr<forensics::Store> store;
  forensics::PruneCounts rows;
  std::error_code ec;
  if (fs::exists(database, ec)) {
    forensics::Store::Options open;
    open.read_only = options.dry_run;
    open.now = now;
    auto opened = forensics::Store::Open(database, open);
    if (!opened) return Fail(ctx, opened.error().message);
    store = std::move(opened).value();
    auto counted = store->CountPrunable(samples_before, events_before, processes_before);
    if (!counted) return Fail(ctx, counted.error().message);
    rows = *counted;
  }
  std::vector<std::string> problems;
  auto bundles = forensics::cli::ScanEventsDir(events_dir, problems);
  if (!bundles) return Fail(ctx, bundles.error().message);
  for (const auto& p : problems) *ctx.err << "rogue-hunter: warning: " << p << " (kept)\n";
  std::vector<const forensics::cli::StoredBundle*> old;
  std::uint64_t bundle_bytes = 0;
  for (const auto& b : *bundles) {
    if (static_cast<double>(b.manifest.created_ns) / 1e9 < events_before) {
      old.push_back(&b);
      bundle_bytes += b.bytes;
    }
  }

  out << "Retention: samples older than " << retention.samples_days << " days (before "
      << LocalTime(samples_before) << "), events and bundles older than " << retention.events_days
      << " days (before " << LocalTime(events_before) << ")\n";
  if (store) {
    out << "History " << Printable(database) << " (" << HumanBytes(FileBytes(database))
        << "): " << Plural(rows.samples, "sample", "samples") << ", "
        << Plural(rows.events, "event", "events") << " with "
        << Plural(rows.event_processes, "process row", "process rows") << ", "
        << Plural(rows.captures, "capture record", "capture records") << "; "
        << Plural(rows.process_samples, "process history row", "process history rows")
        << " older than " << ctx.config.process.history_hours << " hours, "
        << Plural(rows.kill_audit, "kill audit row", "kill audit rows") << "\n";
  } else {
    out << "History " << Printable(database) << ": none yet\n";
  }
  out << "Bundles " << Printable(events_dir) << ": " << Plural(old.size(), "bundle", "bundles")
      << " (" << HumanBytes(static_cast<double>(bundle_bytes)) << ")\n";
  if (rows.total() == 0 && old.empty()) {
    out << "nothing to prune\n";
    return kExitOk;
  }
  if (options.dry_run) {
    out << "dry run: nothing deleted\n";
    return kExitOk;
  }
  if (!options.yes) {
    if (!ctx.interactive) {
      return Fail(ctx,
                  "refusing to delete without confirmation: stdin is not a terminal "
                  "(use --yes)");
    }
    if (!Confirm(ctx, "Delete them?")) return Fail(ctx, "nothing deleted");
  }

  std::uint64_t deleted_rows = 0;
  const std::uint64_t before_bytes = FileBytes(database);
  if (store && rows.total() > 0) {
    Progress progress(ctx, "deleting rows", rows.total());
    // Samples and events by their retention, then the per-process history by its own (the kill
    // audit goes with the events), each in batches until one comes back short.
    const std::function<Result<std::uint64_t>()> batches[] = {
        [&] { return store->Prune(samples_before, events_before, kBatch); },
        [&] { return store->PruneProcessData(processes_before, events_before, kBatch); }};
    for (const auto& batch : batches) {
      for (;;) {
        auto n = batch();
        if (!n) return Fail(ctx, n.error().message);
        deleted_rows += *n;
        progress.Advance(*n);
        if (*n < static_cast<std::uint64_t>(kBatch)) break;
      }
    }
    progress.Finish();
  }
  std::size_t deleted_bundles = 0;
  {
    Progress progress(ctx, "deleting bundles", old.size());
    for (const auto* b : old) {
      if (Status s = forensics::cli::RemoveBundle(b->path); !s.ok()) {
        return Fail(ctx, s.error().message);
      }
      ++deleted_bundles;
      progress.Advance(1);
    }
    progress.Finish();
  }
  std::string vacuumed;
  if (store && deleted_rows > 0) {
    out << "vacuuming " << Printable(database) << "...\n" << std::flush;
    if (Status s = store->Vacuum(); !s.ok()) {
      Fail(ctx,
           "vacuum: " + s.error().message + " (the rows are deleted; the file keeps its size)");
    } else {
      vacuumed = "; the database went from " + HumanBytes(static_cast<double>(before_bytes)) +
                 " to " + HumanBytes(static_cast<double>(FileBytes(database)));
    }
  }
  out << "deleted " << Plural(deleted_rows, "row", "rows") << " and "
      << Plural(deleted_bundles, "bundle", "bundles") << " ("
      << HumanBytes(static_cast<double>(bundle_bytes)) << ")" << vacuumed << "\n";
  return kExitOk;
}

}  // namespace rh::exporter::cli
