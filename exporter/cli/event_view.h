#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forensics/cli/bundle_view.h"
#include "forensics/store.h"

namespace rh::exporter::cli {

/// An event of the history with what is known about it: its captures and, when a bundle was
/// written and is still there, the bundle's summary (ranked culprits, dominant stress).
struct EventView {
  forensics::EventRecord event;
  std::vector<forensics::CaptureRecord> captures;
  std::string bundle;                 ///< The bundle's id; empty when none was written.
  std::filesystem::path bundle_path;  ///< Its directory.
  bool bundle_present = false;        ///< The directory still exists (not pruned or capped).
  std::optional<forensics::cli::Summary> summary;
  std::string summary_error;  ///< Why summary.json could not be read, if it could not.
  /// Who is to blame, as far as the history knows: the bundle's first-ranked culprit, else the
  /// process that used most CPU in the last sample before the event.
  std::string culprit;  ///< Raw bytes; empty when there is none.
  std::int32_t culprit_pid = 0;
  bool culprit_ranked = false;  ///< From the bundle's ranking (not just the busiest process).
};

/// Gathers the view of `event` from `store` and the bundle directory.
EventView ViewEvent(forensics::Store& store, forensics::EventRecord event);

}  // namespace rh::exporter::cli
