#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace rh::forensics {

// The forensic bundle's manifest and names (docs/bundle-format.md). Shared by the capture, which
// writes bundles, and rh-forensics, which reads them.

inline constexpr int kBundleFormatVersion = 1;

inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kSummaryFile = "summary.json";
inline constexpr std::string_view kSamplesFile = "samples.jsonl";
inline constexpr std::string_view kCaptureFile = "capture.json";
inline constexpr std::string_view kProcessesFile = "processes.json";
inline constexpr std::string_view kBlockedFile = "blocked.json";
inline constexpr std::string_view kKernelLogFile = "kernel.log";
inline constexpr std::string_view kJournalFile = "journal.log";
inline constexpr std::string_view kRawDir = "raw";

struct ManifestFile {
  std::string path;  ///< Relative, '/'-separated; never absolute, never "..".
  std::uint64_t size = 0;
  std::string sha256;  ///< Lower-case hex.
};

struct Manifest {
  int format_version = kBundleFormatVersion;
  std::string id;
  std::int64_t created_ns = 0;  ///< Unix nanoseconds.
  std::string trigger;          ///< "pause", "critical" or "manual".
  std::string event_kind;
  std::int64_t event_start_ns = 0;
  std::int64_t event_end_ns = 0;
  double event_duration_seconds = 0;
  std::string hostname;
  std::string kernel;
  std::string boot_id;
  std::uint32_t page_size = 4096;
  std::uint32_t clock_ticks_per_second = 100;
  std::string software_version;
  std::string software_revision;
  std::string config_digest;        ///< "sha256:<hex>".
  bool redacted = false;            ///< Exported with --redact: users, host and arguments hashed.
  std::vector<ManifestFile> files;  ///< Sorted by path.
};

/// The manifest as JSON text (pretty-printed, stable key order).
std::string ManifestToJson(const Manifest& manifest);

/// Parses and validates manifest.json text. `source` names the file in errors. Refuses an unknown
/// format_version (naming it), missing or mistyped fields, integers out of range, an id with a
/// control character or invalid UTF-8, and unsafe file paths.
Result<Manifest> ParseManifest(std::string_view text, std::string_view source);

/// Whether a relative path is safe to create or open inside a bundle: not empty, not absolute,
/// no "." or ".." component, no empty component, no NUL.
bool IsSafeRelativePath(std::string_view path);

/// The id of a bundle for an event that ended at `end_realtime_ns`: "20261123T101503.812Z-pause".
std::string BundleId(std::int64_t end_realtime_ns, std::string_view trigger);

/// Hex SHA-256 of bytes.
std::string Sha256Hex(std::string_view bytes);

}  // namespace rh::forensics
