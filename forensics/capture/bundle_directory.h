#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "forensics/bundle.h"
#include "forensics/safe_directory.h"

namespace rh::forensics {

// Writing bundles into the events directory (docs/bundle-format.md, "Where and how"): everything
// relative to directory descriptors, directories 0700 and files 0600 created with
// O_NOFOLLOW | O_EXCL, so that no symlink planted in the events directory is ever followed.

/// Whether `name` is a bundle id: "20261123T101503.812Z-pause", optionally with "-2", "-3"...
bool IsBundleId(std::string_view name);

/// The events directory, held open by descriptor. Not thread-safe; movable.
class EventsDirectory {
 public:
  /// Creates the directory (and missing parents, 0700) and opens it with OpenSafeDirectory():
  /// a symlink, a directory others can write or another user's is refused; nothing below it is
  /// ever followed either.
  static Result<EventsDirectory> Open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_.get(); }

  /// Removes leftover ".tmp-*" entries of an interrupted capture: directories with their content,
  /// anything else (a symlink included) unlinked, never followed. Returns how many.
  Result<int> RemoveLeftovers() const;

  struct Bundle {
    std::string id;
    std::uint64_t bytes = 0;  ///< Sum of the sizes of its regular files.
  };
  /// Bundle directories (names that are bundle ids), sorted by id, which is oldest first.
  /// Sizes of ids in `known` are taken from there instead of walking the directory again.
  Result<std::vector<Bundle>> Bundles(const std::vector<Bundle>& known = {}) const;

  /// Removes the entry `name` (a directory with its content; never following a symlink).
  Status Remove(std::string_view name) const;

 private:
  EventsDirectory(std::filesystem::path path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}
  std::filesystem::path path_;
  UniqueFd fd_;
};

/// A bundle being written under ".tmp-<id>" in the events directory and renamed to its id by
/// Commit(). Records every file's size and SHA-256 for the manifest. Removes the temporary
/// directory on destruction unless committed. Write() from one thread at a time; WriteTree() may
/// run on other threads at the same time, for other files; Commit() once all writes returned.
/// Not copyable or movable.
class BundleWriter {
 public:
  /// Creates ".tmp-<id>", or ".tmp-<id>-2", "-3"... when that name or the id is taken by
  /// anything (a symlink included).
  static Result<std::unique_ptr<BundleWriter>> Create(const EventsDirectory& events,
                                                      std::string id);
  ~BundleWriter();
  BundleWriter(const BundleWriter&) = delete;
  BundleWriter& operator=(const BundleWriter&) = delete;

  /// The id the bundle will have (Commit() may still add a suffix if it is taken meanwhile).
  const std::string& id() const { return id_; }

  /// Creates the file `relative` (a safe relative path, '/'-separated; parents created 0700)
  /// with mode 0600 and writes `content`. Fails if it exists.
  Status Write(std::string_view relative, std::string_view content);

  /// Writes every file of `files` as `prefix` + its path, like Write(). Stops at the first error,
  /// or early when `cancel` becomes true.
  Status WriteTree(std::string_view prefix, const std::map<std::string, std::string>& files,
                   const std::atomic<bool>* cancel = nullptr);

  /// The files written so far (unsorted before Commit()).
  std::vector<ManifestFile> files() const;
  std::uint64_t bytes() const;

  /// Sets the manifest's id and files (sorted), writes manifest.json, syncs every file and
  /// directory of the bundle to disk (syncfs), renames the directory to the id without replacing
  /// anything (a suffix is added when the id was taken meanwhile) and syncs the rename (fsync of
  /// the bundle and events directories). Returns the final id.
  Result<std::string> Commit(Manifest manifest);

  /// Removes the temporary directory now.
  void Abandon();

 private:
  BundleWriter(const EventsDirectory& events, std::string base, int suffix, std::string temp,
               UniqueFd fd);
  // The directories of the last file written, from the root down: consecutive files in sorted
  // order share most of them.
  using Chain = std::vector<std::pair<std::string, UniqueFd>>;
  Result<int> Directory(std::string_view relative_dir, Chain& chain);
  Status WriteOne(std::string_view relative, std::string_view content, Chain& chain);
  Status WriteFile(int dir, std::string_view name, std::string_view content,
                   std::string_view relative);

  const EventsDirectory& events_;
  std::string base_;  // the id asked for
  int suffix_ = 1;    // 1: none, else "-<suffix>"
  std::string id_;
  std::string temp_;
  UniqueFd root_;
  bool done_ = false;
  Chain chain_;  // Write()'s
  mutable std::mutex mutex_;
  std::vector<ManifestFile> files_;  // guarded by mutex_
  std::uint64_t bytes_ = 0;          // guarded by mutex_
};

}  // namespace rh::forensics
