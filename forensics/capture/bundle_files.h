#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/culprits.h"
#include "analysis/pause_scope.h"
#include "analysis/scored_sample.h"
#include "collectors/collector.h"
#include "config/config.h"
#include "forensics/capture/process_table.h"

namespace rh::forensics {

// The JSON files of a bundle other than the manifest, as docs/bundle-format.md describes them.
// Pure: text in, text out. Strings that need not be UTF-8 (process names, arguments, cgroup
// paths, user names, wait channels) are written with BytesToJson, so no byte is lost.

/// processes.json: the table at `captured_ns` (Unix ns) and the notes about what was not read.
std::string ProcessesJson(const ProcessSnapshot& snapshot, std::int64_t captured_ns,
                          double clock_ticks_per_second);

/// blocked.json: the tasks in D state at `captured_ns`, with how long they have been blocked.
std::string BlockedJson(const ProcessSnapshot& snapshot, std::int64_t captured_ns);

/// What summary.json says about a pause: its scope with the evidence.
struct PauseSummary {
  analysis::ScopeVerdict verdict;
  double start_uncertainty_seconds = 0;
};

/// cgroups.json: the cgroup table at `captured_ns` (Unix ns): every leaf of the v2 hierarchy with
/// its memory, CPU and stall shares between the capture's passes and over the window.
std::string CgroupsJson(const collectors::Cgroups& cgroups,
                        const std::vector<analysis::CgroupWindow>& windows,
                        std::int64_t captured_ns);

/// summary.json: the verdict, the score before the event, notes on degraded parts, for a pause
/// (`pause` not null) what froze, and what asked for the capture when `trigger_detail` is set.
std::string SummaryJson(const analysis::CulpritVerdict& verdict, double score_before,
                        const std::vector<std::string>& notes, const PauseSummary* pause = nullptr,
                        std::string_view trigger_detail = {});

/// What capture.json records besides the passes: the inputs that are not in the raw files.
struct CaptureInputs {
  config::Stress stress;
  collectors::CollectorOptions collector_options;  ///< With page size and tick rate resolved.
  double io_baseline = 0;  ///< analysis::StressState::io_baseline before the first pass.
  double pass_gap_seconds = 0.5;
};

/// capture.json: {"config": "<the [stress] tables as TOML>", "collector_options": {...},
/// "io_baseline": ..., "pass_gap_seconds": ..., "passes": [...]}.
std::string CaptureJson(const CaptureInputs& inputs,
                        const std::vector<std::shared_ptr<const analysis::ScoredSample>>& passes);

/// The [stress] tables of `stress` as TOML that config::Parse reads back exactly.
std::string StressToml(const config::Stress& stress);

/// One JSON line per pass, oldest first.
std::string SamplesJsonl(const std::vector<std::shared_ptr<const analysis::ScoredSample>>& samples);

}  // namespace rh::forensics
