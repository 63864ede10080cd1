#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "forensics/bundle.h"

namespace rh::test {

// Builds valid forensic bundles (docs/bundle-format.md) for the rh-forensics tests, from the
// committed fixture tree: raw/0 is what the daemon's collectors read from tests/fixtures, raw/1
// the same tree with counters advanced (and a process grown), read by the same collectors as a
// capture does; capture.json holds those two passes scored by analysis::Assess.

/// One process of processes.json (and, with `stat`, of the raw trees' /proc).
struct FakeProcess {
  std::int32_t pid = 0;
  std::int32_t ppid = 1;
  std::string comm;
  std::string cmdline;  ///< Arguments joined by spaces.
  std::string user;
  char state = 'S';
  double cpu_share = 0;
  std::uint64_t rss_bytes = 0;
  double start_time = 1'795'000'000;
};

struct BundleOptions {
  std::string trigger = "pause";
  /// When the event ended (Unix ns); the id derives from it.
  std::int64_t end_ns = 1'795'429'503'812'000'000;
  double duration_seconds = 3.022;
  /// When the bundle was written; 0: half a second after the end.
  std::int64_t created_ns = 0;
  std::string hostname = "db-7.example.org";
  /// Replaces the default process table (see DefaultProcesses()).
  std::vector<FakeProcess> processes;
  /// Comm of the top culprit in summary.json (default "python3").
  std::string top_culprit = "python3";
  /// Multiplies the RSS of pid 612 in processes.json.
  double python_rss_factor = 1;
  /// A pause's scope and reason in summary.json; an empty scope writes no "pause" object (a
  /// bundle from before pause scopes).
  std::string scope = "machine";
  std::string reason = "none";
};

/// The default process table: systemd, python3 run by "mallory" with secret arguments, rsync
/// (blocked), cc1plus and a few kernel threads.
std::vector<FakeProcess> DefaultProcesses();

/// A bundle in memory. Edit `files` freely, then Write() it.
struct TestBundle {
  forensics::Manifest manifest;
  std::map<std::string, std::string> files;  ///< Every file but manifest.json.

  const std::string& id() const { return manifest.id; }
  /// manifest.json for the current files (sizes and SHA-256 recomputed).
  std::string ManifestJson() const;
  /// Writes <dir>/<id>/ with every file and manifest.json; returns that directory.
  std::filesystem::path Write(const std::filesystem::path& events_dir) const;
};

TestBundle MakeBundle(const BundleOptions& options = {});

/// A member of a hand-made archive.
struct Member {
  enum class Type { kFile, kDirectory, kSymlink, kHardlink, kFifo, kCharDevice };
  std::string path;
  std::string content;  ///< File content, or the link target.
  Type type = Type::kFile;
  std::uint64_t zeros = 0;  ///< Extra zero bytes appended to a file (streamed, never held).
};

/// Writes a tar.gz (pax) with exactly these members, in order.
void WriteArchive(const std::filesystem::path& out, const std::vector<Member>& members);

/// Every member of a tar.gz: path -> content.
std::map<std::string, std::string> ReadArchive(const std::filesystem::path& file);

}  // namespace rh::test
