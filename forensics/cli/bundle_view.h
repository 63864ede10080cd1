#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/scored_sample.h"
#include "base/result.h"
#include "forensics/bundle.h"
#include "forensics/bundle_reader.h"

namespace rh::forensics::cli {

// What rh-forensics reads out of a bundle's files, parsed leniently: the summary, the process
// table and the blocked tasks are shown even when optional fields are absent, but a file that
// is not the JSON the format describes is an error naming it.

struct Evidence {
  std::string kind;  ///< "cpu", "rss_growth", "rss", "major_faults", "io", "blocked", ...
  double value = 0;
  std::string text;
};

struct Culprit {
  int rank = 0;
  std::int64_t pid = 0;
  std::string comm;  ///< Raw bytes.
  double score = 0;
  std::string unit;
  std::vector<Evidence> evidence;
};

/// summary.json.
struct Summary {
  std::string dominant_component;
  double dominant_points = 0;
  std::string dominant_text;
  std::vector<Culprit> culprits;
  std::int64_t blocked_tasks = 0;
  double steal_share = 0;
  std::optional<double> score_before;  ///< Stress score of the last sample before the event.
  std::vector<std::string> notes;      ///< What the capture could not read or write.
};

/// One process of processes.json.
struct ProcessEntry {
  std::int64_t pid = 0;
  std::int64_t ppid = 0;
  std::string user;
  std::optional<std::int64_t> uid;
  std::string comm;                  ///< Raw bytes.
  std::vector<std::string> cmdline;  ///< argv; empty for kernel threads or when unreadable.
  std::string state;
  double cpu_ratio = 0;
  std::uint64_t rss_bytes = 0;
  std::int64_t threads = 0;
  std::string start;  ///< Start time as recorded (ticks since boot or a time), for identity.
  std::string unit;
  std::string cgroup;
  std::string container;
};

/// One task of blocked.json.
struct BlockedEntry {
  std::int64_t pid = 0;
  std::int64_t tid = 0;  ///< The task; equal to pid for a single-threaded process.
  std::string comm;
  std::string wchan;
  std::vector<std::string> stack;
  std::string stack_error;  ///< Why the kernel stack is missing (it needs root).
  std::optional<double> blocked_seconds;
};

Result<Summary> ParseSummary(std::string_view text, const std::string& where);
Result<std::vector<ProcessEntry>> ParseProcesses(std::string_view text, const std::string& where);
Result<std::vector<BlockedEntry>> ParseBlocked(std::string_view text, const std::string& where);
/// capture.json's passes.
Result<std::vector<analysis::ScoredSample>> ParseCapturePasses(std::string_view text,
                                                               const std::string& where);
/// samples.jsonl; the error names the line.
Result<std::vector<analysis::ScoredSample>> ParseSamples(std::string_view text,
                                                         const std::string& where);
/// Lines of a text file, without the trailing newline.
std::vector<std::string> Lines(std::string_view text);

/// A bundle opened for reading: its files and parsed manifest.
struct OpenedBundle {
  BundleFiles files;
  Manifest manifest;

  /// The file's content, or an error naming it when absent.
  Result<std::string> File(std::string_view path) const;
  /// The optional file's content, or empty.
  std::string FileOr(std::string_view path) const;
  std::string Where(std::string_view path) const { return files.Where(path); }
};

/// Opens "ID|PATH": an existing directory or file at that path, else a bundle id in
/// `events_dir`. Reads the files with `limits` and parses the manifest.
Result<OpenedBundle> OpenBundle(std::string_view id_or_path, const std::string& events_dir,
                                const ReadLimits& limits);

/// The summary, processes and blocked tasks of an opened bundle; absent files give empty values.
struct BundleDetails {
  std::optional<Summary> summary;
  std::vector<ProcessEntry> processes;
  std::vector<BlockedEntry> blocked;
  std::vector<std::string> kernel_log;
  std::vector<std::string> journal;
  std::vector<analysis::ScoredSample> capture;  ///< capture.json's passes.
};
Result<BundleDetails> ReadDetails(const OpenedBundle& bundle);

/// A bundle directory in the events directory, from its manifest and summary only.
struct StoredBundle {
  std::filesystem::path path;
  Manifest manifest;
  std::optional<Summary> summary;
  std::uint64_t bytes = 0;  ///< Sum of the sizes of its regular files.
};

/// Every bundle directory in `events_dir` (names of the bundle id form only: ".tmp-*" and
/// anything else there is left alone), ordered by creation time. A directory whose manifest cannot
/// be read is reported in `problems` (one line each) and skipped. A missing events directory holds
/// no bundles.
Result<std::vector<StoredBundle>> ScanEventsDir(const std::string& events_dir,
                                                std::vector<std::string>& problems);

/// Deletes a bundle directory: renamed out of sight first (a ".tmp-" name, which listings and the
/// daemon skip), then removed.
Status RemoveBundle(const std::filesystem::path& bundle);

}  // namespace rh::forensics::cli
