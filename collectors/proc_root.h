#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace rh::collectors {

/// Receives the bytes of every file read through a ProcRoot, e.g. to copy them into a forensic
/// bundle so that it can be replayed. Implementations must be thread-safe if the ProcRoot is
/// shared between threads.
class ReadRecorder {
 public:
  virtual ~ReadRecorder() = default;
  /// `tree` is "proc" or "sys"; `relative` is the path below that root ("pressure/io").
  virtual void Record(std::string_view tree, std::string_view relative,
                      std::string_view content) = 0;
};

/// A file below one of the trees: tree "proc" or "sys" and the path below it, or tree "/" and
/// an absolute path (outside both, real root only).
struct TreePath {
  std::string tree;
  std::string relative;
  TreePath Child(std::string_view name) const {
    return {tree, relative.empty() || relative.back() == '/' ? relative + std::string(name)
                                                             : relative + "/" + std::string(name)};
  }
  bool operator==(const TreePath&) const = default;
};

/// Where the kernel's /proc and /sys are mounted: the only place that names the real paths.
/// Tests pass a fixture tree; `rh-forensics replay` passes a bundle's raw/ directory.
/// A value type; copies share the recorder pointer (not owned).
class ProcRoot {
 public:
  /// The real /proc and /sys.
  ProcRoot();
  ProcRoot(std::filesystem::path proc, std::filesystem::path sys, ReadRecorder* recorder = nullptr);

  const std::filesystem::path& proc() const { return proc_; }
  const std::filesystem::path& sys() const { return sys_; }
  ReadRecorder* recorder() const { return recorder_; }

  std::filesystem::path Proc(std::string_view relative) const { return proc_ / relative; }
  std::filesystem::path Sys(std::string_view relative) const { return sys_ / relative; }

  /// Where a path that the kernel names absolutely (a mount point in /proc/PID/mountinfo) is
  /// under this root: "/sys/fs/cgroup" is {"sys", "fs/cgroup"}. A path outside /proc and /sys
  /// is {"/", the path} for the real root and nullopt for another (a fixture tree, a bundle).
  std::optional<TreePath> Locate(std::string_view absolute) const;
  std::filesystem::path Path(const TreePath& path) const;

  /// The default mount points, "/proc" and "/sys".
  static const std::filesystem::path& DefaultProc();
  static const std::filesystem::path& DefaultSys();

 private:
  std::filesystem::path proc_;
  std::filesystem::path sys_;
  ReadRecorder* recorder_ = nullptr;
};

/// Files in /proc and /sys report a size of 0 or 4096 whatever they hold, so reads go to EOF,
/// capped: a file larger than the cap is an error rather than an unbounded allocation.
inline constexpr std::size_t kDefaultReadCap = 4 << 20;

/// A kernel file read again and again through one descriptor kept open (pread from offset 0
/// regenerates seq_file and sysfs contents), into a buffer reused between reads.
/// Not thread-safe; owns a descriptor, so neither copyable nor movable.
class KernelFile {
 public:
  /// `tree` is "proc" or "sys"; `relative` the path below it (or "/" and an absolute path).
  KernelFile(const ProcRoot& root, std::string_view tree, std::string relative,
             std::size_t cap = kDefaultReadCap);
  ~KernelFile();
  KernelFile(const KernelFile&) = delete;
  KernelFile& operator=(const KernelFile&) = delete;

  /// The whole current content. The view stays valid until the next Read(). A missing file is an
  /// Error whose `missing()` is true. Reopens the file if a previous read failed.
  Result<std::string_view> Read();
  /// Whether the last failed Read() failed because the file does not exist.
  bool missing() const { return missing_; }
  const std::string& path() const { return path_; }

 private:
  ProcRoot root_;
  std::string tree_;
  std::string relative_;
  std::string path_;
  std::size_t cap_;
  std::string buffer_;
  int fd_ = -1;
  bool missing_ = false;
};

/// Reads a whole file once (open, read to EOF with a cap, close), reporting it to the root's
/// recorder. Used for per-process files that come and go. `missing` is set when it does not exist
/// or is hidden from us (ENOENT, ESRCH, or EACCES as for other users' processes under hidepid=1).
Result<std::string> ReadWholeFile(const ProcRoot& root, std::string_view tree,
                                  std::string_view relative, std::size_t cap = kDefaultReadCap,
                                  bool* missing = nullptr);

/// Reads a whole file into `buffer`, reusing its memory (the buffer only grows), and reports it to
/// the root's recorder. With `dir_fd` an open descriptor of a directory of `tree` (e.g. the proc
/// root), `relative` is opened relative to it, which saves the walk from "/"; with AT_FDCWD it is
/// resolved below the root like ReadWholeFile. The view is valid until `buffer` changes.
Result<std::string_view> ReadFileAt(const ProcRoot& root, int dir_fd, std::string_view tree,
                                    std::string_view relative, std::string& buffer,
                                    std::size_t cap = kDefaultReadCap, bool* missing = nullptr);

}  // namespace rh::collectors
