#pragma once

#include <string>
#include <vector>

#include "analysis/scored_sample.h"
#include "base/result.h"
#include "config/config.h"
#include "forensics/cli/bundle_view.h"

namespace rh::forensics::cli {

/// A value that replay computed differently from what capture.json recorded.
struct ReplayDifference {
  std::size_t pass = 0;
  std::string field;  ///< JSON path, e.g. "sample.meminfo.available".
  std::string recorded;
  std::string replayed;
};

struct ReplayOutcome {
  std::vector<analysis::ScoredSample> recorded;
  std::vector<analysis::ScoredSample> replayed;
  std::vector<ReplayDifference> differences;
  std::size_t compared = 0;        ///< Values compared.
  std::size_t not_recorded = 0;    ///< Values replayed that the bundle predates (not compared).
  std::size_t redacted = 0;        ///< Recorded values an export --redact hashed (not compared).
  std::vector<std::string> notes;  ///< What the reader should know (e.g. another configuration).
};

/// Runs the daemon's collectors and scoring again over the bundle's raw/0 and raw/1, extracted
/// into a private temporary directory, with the recorded clock readings, page size, clock tick
/// rate, latency and I/O baseline, and compares every parsed raw value and the assessment with
/// capture.json (numbers within 1e-9, relative for large ones; collector durations and error
/// texts are not compared, nor values of fields and collectors newer than the bundle). Stress
/// weights come from capture.json when it records them, else from `config`.
Result<ReplayOutcome> ReplayBundle(const OpenedBundle& bundle, const config::Config& config);

}  // namespace rh::forensics::cli
