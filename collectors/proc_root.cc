#include "collectors/proc_root.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace rh::collectors {
namespace {

Error ReadError(const std::string& path, int err) {
  return Error{path + ": " + std::strerror(err)};
}

std::filesystem::path Resolve(const ProcRoot& root, std::string_view tree, std::string_view rel) {
  if (tree == "/") return std::filesystem::path(rel);
  return tree == "sys" ? root.Sys(rel) : root.Proc(rel);
}

// Reads from `fd` at offset 0 to EOF into `out`, whose size is only ever grown (never shrunk, so
// a reused buffer is not zero-filled again). Sets `used`; returns 0 or an errno value (EFBIG over
// the cap).
int ReadAll(int fd, std::size_t cap, std::string& out, std::size_t& used) {
  if (out.size() < 4096) out.resize(std::min<std::size_t>(4096, cap));
  used = 0;
  for (;;) {
    if (used == out.size()) {
      if (out.size() >= cap) return EFBIG;
      out.resize(std::min(cap, out.size() * 2));
    }
    ssize_t n = pread(fd, out.data() + used, out.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

ProcRoot::ProcRoot() : ProcRoot(DefaultProc(), DefaultSys()) {}

ProcRoot::ProcRoot(std::filesystem::path proc, std::filesystem::path sys, ReadRecorder* recorder)
    : proc_(std::move(proc)), sys_(std::move(sys)), recorder_(recorder) {}

std::optional<TreePath> ProcRoot::Locate(std::string_view absolute) const {
  for (const auto& [base, tree] : {std::pair{&DefaultSys(), "sys"}, {&DefaultProc(), "proc"}}) {
    const std::string prefix = base->string();
    if (absolute == prefix) return TreePath{tree, ""};
    if (absolute.starts_with(prefix + "/")) {
      return TreePath{tree, std::string(absolute.substr(prefix.size() + 1))};
    }
  }
  if (!absolute.starts_with("/") || proc_ != DefaultProc() || sys_ != DefaultSys()) {
    return std::nullopt;
  }
  return TreePath{"/", std::string(absolute)};
}

std::filesystem::path ProcRoot::Path(const TreePath& path) const {
  return Resolve(*this, path.tree, path.relative);
}

const std::filesystem::path& ProcRoot::DefaultProc() {
  static const std::filesystem::path path("/proc");
  return path;
}

const std::filesystem::path& ProcRoot::DefaultSys() {
  static const std::filesystem::path path("/sys");
  return path;
}

KernelFile::KernelFile(const ProcRoot& root, std::string_view tree, std::string relative,
                       std::size_t cap)
    : root_(root),
      tree_(tree),
      relative_(std::move(relative)),
      path_(Resolve(root, tree, relative_).string()),
      cap_(cap) {}

KernelFile::~KernelFile() {
  if (fd_ >= 0) close(fd_);
}

Result<std::string_view> KernelFile::Read() {
  if (fd_ < 0) {
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      missing_ = errno == ENOENT;
      return ReadError(path_, errno);
    }
  }
  missing_ = false;
  std::size_t used = 0;
  if (int err = ReadAll(fd_, cap_, buffer_, used); err != 0) {
    close(fd_);
    fd_ = -1;
    missing_ = err == ENOENT;
    return ReadError(path_, err);
  }
  std::string_view content(buffer_.data(), used);
  if (root_.recorder() != nullptr) root_.recorder()->Record(tree_, relative_, content);
  return content;
}

Result<std::string> ReadWholeFile(const ProcRoot& root, std::string_view tree,
                                  std::string_view relative, std::size_t cap, bool* missing) {
  std::string content;
  auto read = ReadFileAt(root, AT_FDCWD, tree, relative, content, cap, missing);
  if (!read.ok()) return read.error();
  content.resize(read->size());
  return content;
}

Result<std::string_view> ReadFileAt(const ProcRoot& root, int dir_fd, std::string_view tree,
                                    std::string_view relative, std::string& buffer, std::size_t cap,
                                    bool* missing) {
  // Relative to dir_fd when one is given; else the full path below the root.
  const std::string path =
      dir_fd == AT_FDCWD ? Resolve(root, tree, relative).string() : std::string(relative);
  if (missing != nullptr) *missing = false;
  int fd = openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
  auto fail = [&](int err) {
    // Hidden counts as gone: with hidepid=1 another user's PID directories are listed but
    // their files answer EACCES.
    if (missing != nullptr) *missing = err == ENOENT || err == ESRCH || err == EACCES;
    return ReadError(Resolve(root, tree, relative).string(), err);
  };
  if (fd < 0) return fail(errno);
  std::size_t used = 0;
  int err = ReadAll(fd, cap, buffer, used);
  close(fd);
  if (err != 0) return fail(err);
  std::string_view content(buffer.data(), used);
  if (root.recorder() != nullptr) root.recorder()->Record(tree, relative, content);
  return content;
}

}  // namespace rh::collectors
