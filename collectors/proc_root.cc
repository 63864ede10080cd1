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
  return tree == "sys" ? root.Sys(rel) : root.Proc(rel);
}

// Reads from `fd` at offset 0 to EOF into `out`. Returns 0 or an errno value (EFBIG over the cap).
int ReadAll(int fd, std::size_t cap, std::string& out) {
  out.resize(out.capacity() > 4096 ? out.capacity() : 4096);
  std::size_t used = 0;
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
  out.resize(used);
  return 0;
}

}  // namespace

ProcRoot::ProcRoot() : ProcRoot(DefaultProc(), DefaultSys()) {}

ProcRoot::ProcRoot(std::filesystem::path proc, std::filesystem::path sys, ReadRecorder* recorder)
    : proc_(std::move(proc)), sys_(std::move(sys)), recorder_(recorder) {}

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
  if (int err = ReadAll(fd_, cap_, buffer_); err != 0) {
    close(fd_);
    fd_ = -1;
    missing_ = err == ENOENT;
    return ReadError(path_, err);
  }
  if (root_.recorder() != nullptr) root_.recorder()->Record(tree_, relative_, buffer_);
  return std::string_view(buffer_);
}

Result<std::string> ReadWholeFile(const ProcRoot& root, std::string_view tree,
                                  std::string_view relative, std::size_t cap, bool* missing) {
  const std::string path = Resolve(root, tree, relative).string();
  if (missing != nullptr) *missing = false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (missing != nullptr) *missing = errno == ENOENT || errno == ESRCH;
    return ReadError(path, errno);
  }
  std::string content;
  content.reserve(512);
  int err = ReadAll(fd, cap, content);
  close(fd);
  if (err != 0) {
    if (missing != nullptr) *missing = err == ESRCH || err == ENOENT;
    return ReadError(path, err);
  }
  if (root.recorder() != nullptr) root.recorder()->Record(tree, relative, content);
  return content;
}

}  // namespace rh::collectors
