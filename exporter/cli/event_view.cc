#include "exporter/cli/event_view.h"

#include <fstream>
#include <sstream>

#include "forensics/bundle.h"

namespace rh::exporter::cli {
namespace {

constexpr std::size_t kMaxSummaryBytes = 1 << 20;

}  // namespace

EventView ViewEvent(forensics::Store& store, forensics::EventRecord event) {
  EventView v;
  v.event = std::move(event);
  if (auto captures = store.Captures(v.event.key)) v.captures = std::move(captures).value();
  for (const auto& c : v.captures) {
    if (c.result != "ok" || c.bundle_path.empty()) continue;
    v.bundle_path = c.bundle_path;
    v.bundle = v.bundle_path.filename().string();
  }
  if (!v.bundle.empty()) {
    std::error_code ec;
    v.bundle_present = std::filesystem::is_directory(v.bundle_path, ec);
    const auto file = v.bundle_path / forensics::kSummaryFile;
    std::ifstream in(file, std::ios::binary);
    if (v.bundle_present && in) {
      std::string text(kMaxSummaryBytes + 1, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<std::size_t>(in.gcount()));
      if (text.size() > kMaxSummaryBytes) {
        v.summary_error = file.string() + ": larger than 1 MiB";
      } else if (auto summary = forensics::cli::ParseSummary(text, file.string())) {
        v.summary = std::move(summary).value();
      } else {
        v.summary_error = summary.error().message;
      }
    } else if (v.bundle_present) {
      v.summary_error = file.string() + ": cannot be read";
    }
  }
  if (v.summary && !v.summary->culprits.empty()) {
    v.culprit = v.summary->culprits.front().comm;
    v.culprit_pid = static_cast<std::int32_t>(v.summary->culprits.front().pid);
    v.culprit_ranked = true;
  } else if (v.event.kind == forensics::EventKind::kPause ||
             v.event.kind == forensics::EventKind::kCritical) {
    for (const auto& p : v.event.processes) {
      if (p.list == "cpu" && p.rank == 1) {
        v.culprit = p.comm;
        v.culprit_pid = p.pid;
      }
    }
  }
  return v;
}

}  // namespace rh::exporter::cli
