#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "forensics/bundle.h"

namespace rh::forensics {

// Reading forensic bundles (docs/bundle-format.md) from a directory or from an archive that
// `rh-forensics export` wrote, into memory, with caps that stop a hostile archive from filling
// memory or the disk. Nothing here writes outside a PrivateDir.

/// Caps applied while reading a bundle; reading stops as soon as one is exceeded.
struct ReadLimits {
  std::uint64_t max_files = 100'000;            ///< Files (archive members) in one bundle.
  std::uint64_t max_file_bytes = 256ULL << 20;  ///< Bytes of one file.
  std::uint64_t max_total_bytes = 1ULL << 30;   ///< Bytes of all files together.
  /// Uncompressed bytes per compressed byte above which an archive is refused, checked once
  /// `ratio_after_bytes` have been uncompressed (a bundle is JSON and text: about 10:1).
  double max_compression_ratio = 100;
  std::uint64_t ratio_after_bytes = 16ULL << 20;
};

/// The default limits, lowered (never raised) by the environment variable
/// RH_FORENSICS_READ_LIMITS="files=N,file_bytes=N,total_bytes=N,ratio=R,ratio_after=N"
/// (for tests; a malformed entry is ignored).
ReadLimits ReadLimitsFromEnvironment();

/// A bundle read into memory: every regular file by its path relative to the bundle directory,
/// manifest.json included. A value; not thread-safe.
struct BundleFiles {
  std::string origin;  ///< The directory or archive that was read, as given.
  std::string name;    ///< Name of the bundle directory (an archive's top-level directory).
  bool archive = false;
  std::map<std::string, std::string> files;
  /// Entries of a bundle directory that are not regular files (symlinks, FIFOs, sockets...),
  /// by relative path. Never read or followed; `verify` names them.
  std::vector<std::string> irregular;

  /// The content of `path`, or null.
  const std::string* Find(std::string_view path) const;
  /// How to name `path` of this bundle in messages: "<dir>/<path>" or "<archive>:<name>/<path>".
  std::string Where(std::string_view path) const;
};

/// Reads a bundle directory. It must hold a regular manifest.json; symlinks are never followed.
Result<BundleFiles> ReadBundleDirectory(const std::filesystem::path& dir, const ReadLimits& limits);

/// Reads a tar or tar.gz archive holding one bundle under "<id>/". Refuses members with an
/// absolute path or "..", anything but regular files and directories (symlinks, hard links,
/// devices, FIFOs), duplicate members, members outside the one top-level directory, and
/// archives over the limits. Errors are one line naming the archive and the member.
Result<BundleFiles> ReadBundleArchive(const std::filesystem::path& file, const ReadLimits& limits);

/// A directory is read as a bundle directory, a regular file as an archive.
Result<BundleFiles> ReadBundle(const std::filesystem::path& path, const ReadLimits& limits);

/// One regular file of a bundle directory (e.g. "summary.json"), opened without following
/// links, at most `max_bytes`. Reads into the heap: safe on a small thread stack.
Result<std::string> ReadBundleFile(const std::filesystem::path& dir, std::string_view name,
                                   std::uint64_t max_bytes);

/// Parses the bundle's manifest.json; the error says when there is none ("not a bundle").
Result<Manifest> ReadManifest(const BundleFiles& bundle);

/// A difference between a bundle and its manifest.
struct FileProblem {
  enum class Kind { kMissing, kExtra, kSizeDiffers, kHashDiffers, kNotRegular };
  Kind kind = Kind::kMissing;
  std::string path;
  std::string detail;  ///< One line: what differs.
};

/// Every listed file that is missing or differs in size or SHA-256, every file present but not
/// listed, every entry that is not a regular file. Sorted by path. Empty when the bundle verifies.
std::vector<FileProblem> CheckFiles(const Manifest& manifest, const BundleFiles& bundle);

/// The manifest's `files` recomputed from the content (every file but manifest.json).
std::vector<ManifestFile> ListFiles(const std::map<std::string, std::string>& files);

/// A directory "<prefix>-XXXXXX" under $TMPDIR (or /tmp) with mode 0700, removed with its
/// content on destruction, and also when SIGINT, SIGTERM or SIGHUP arrives while it exists (the
/// process then dies of that signal as it would have without it). Its owner holds a lock on it
/// (flock) for its lifetime, so that a directory left by a process killed outright (SIGKILL) is
/// found and removed by the next Create() of the same prefix: Create() removes every such
/// directory of this user that is unlocked and older than ten seconds. Only one PrivateDir at a
/// time removes itself on signals. Owns the directory: not copyable or movable.
class PrivateDir {
 public:
  static Result<std::unique_ptr<PrivateDir>> Create(std::string_view prefix);
  ~PrivateDir();
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  PrivateDir(std::filesystem::path path, int lock_fd);
  std::filesystem::path path_;
  int lock_fd_;  // the directory, opened and flock()ed
  bool handles_signals_ = false;
};

/// Writes `content` to `relative` under `dir` (which must exist), creating directories (0700)
/// as needed. Refuses unsafe relative paths and never follows a symlink. With `replace`, an
/// existing file is truncated and rewritten in place (same inode); otherwise it must not exist.
Status WriteFileUnder(const std::filesystem::path& dir, std::string_view relative,
                      std::string_view content, bool replace = false);

/// Writes a bundle as one archive (gzip-compressed pax tar) with every file under "<name>/",
/// files mode 0600, owned by uid/gid 0 with no user or group names, modified at `mtime` (Unix
/// seconds). Writes to a temporary file next to `out` and renames it into place: an existing
/// `out` is replaced only with `overwrite`.
Status WriteBundleArchive(const std::map<std::string, std::string>& files, std::string_view name,
                          std::int64_t mtime, const std::filesystem::path& out, bool overwrite);

/// Writes `content` to `out` atomically (temporary file, fsync, rename): an existing `out` is
/// replaced only with `overwrite`.
Status WriteFileAtomically(const std::filesystem::path& out, std::string_view content,
                           bool overwrite, unsigned mode = 0644);

/// Reads a regular file (never through a symlink) of at most `cap` bytes.
Result<std::string> ReadRegularFile(const std::filesystem::path& path, std::uint64_t cap);

}  // namespace rh::forensics
