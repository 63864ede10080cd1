#include "collectors/process_detail.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/process.h"

namespace rh::collectors {
namespace {

constexpr std::size_t kSmallCap = 64 << 10;  // stat, status, cgroup

bool IsPid(const char* name) {
  if (*name == '\0') return false;
  for (; *name != '\0'; ++name) {
    if (*name < '0' || *name > '9') return false;
  }
  return true;
}

std::string ProcPath(const ProcRoot& root, std::int32_t pid, std::string_view name) {
  return root.Proc(std::to_string(pid) + "/" + std::string(name)).string();
}

// Reads `name` inside the process directory; errors name the file under the root.
Result<std::string> ReadIn(const ProcRoot& root, std::int32_t pid, int process_dir,
                           std::string_view name, bool* missing) {
  std::string buffer;
  auto read = ReadFileAt(root, process_dir, "proc", name, buffer, kSmallCap, missing);
  if (!read.ok()) {
    // ReadFileAt names the file as if `name` were below the root itself.
    std::string message = read.error().message;
    const std::string wrong = root.Proc(name).string();
    if (message.starts_with(wrong)) message.replace(0, wrong.size(), ProcPath(root, pid, name));
    return Error{message};
  }
  return std::string(*read);
}

std::optional<std::string> ReadLinkIn(int process_dir, const char* name) {
  char target[4096];
  ssize_t n = readlinkat(process_dir, name, target, sizeof(target));
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof(target)) return std::nullopt;
  return std::string(target, static_cast<std::size_t>(n));
}

std::optional<DescriptorCounts> CountDescriptors(int process_dir, std::size_t max) {
  int fd_dir = openat(process_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_dir < 0) return std::nullopt;
  DIR* dir = fdopendir(fd_dir);
  if (dir == nullptr) {
    close(fd_dir);
    return std::nullopt;
  }
  DescriptorCounts counts;
  while (const dirent* entry = readdir(dir)) {
    if (!IsPid(entry->d_name)) continue;
    if (counts.total == max) {
      counts.truncated = true;
      break;
    }
    ++counts.total;
    char target[64];
    ssize_t n = readlinkat(dirfd(dir), entry->d_name, target, sizeof(target));
    if (n <= 0) continue;
    std::string_view link(target, static_cast<std::size_t>(n));
    if (link.front() == '/') {
      ++counts.files;
    } else if (link.starts_with("socket:")) {
      ++counts.sockets;
    }
  }
  closedir(dir);
  return counts;
}

}  // namespace

int OpenProcessDirectory(const ProcRoot& root, std::int32_t pid) {
  const std::string path = root.Proc(std::to_string(pid)).string();
  return open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

Result<ProcessFiles> ReadProcessFiles(const ProcRoot& root, std::int32_t pid, int process_dir,
                                      std::size_t max_descriptors, bool* missing) {
  ProcessFiles out;
  auto stat_text = ReadIn(root, pid, process_dir, "stat", missing);
  if (!stat_text.ok()) return stat_text.error();
  auto stat = ParseProcessStat(*stat_text);
  if (!stat.ok()) return Error{ProcPath(root, pid, "stat") + ": " + stat.error().message};
  out.stat = std::move(stat).value();
  if (auto status = ReadIn(root, pid, process_dir, "status", nullptr); status.ok()) {
    out.status = std::move(status).value();
  }
  if (auto cgroup = ReadIn(root, pid, process_dir, "cgroup", nullptr); cgroup.ok()) {
    out.cgroup = std::move(cgroup).value();
  }
  out.cwd = ReadLinkIn(process_dir, "cwd");
  out.exe = ReadLinkIn(process_dir, "exe");
  out.descriptors = CountDescriptors(process_dir, max_descriptors);
  return out;
}

Result<std::vector<ProcessStat>> ReadAllProcessStats(const ProcRoot& root,
                                                     std::size_t max_processes) {
  DIR* dir = opendir(root.proc().c_str());
  if (dir == nullptr) return Error{root.proc().string() + ": " + std::strerror(errno)};
  std::vector<ProcessStat> out;
  std::string buffer;
  std::string relative;
  while (const dirent* entry = readdir(dir)) {
    if (!IsPid(entry->d_name)) continue;
    if (out.size() == max_processes) break;
    relative.assign(entry->d_name).append("/stat");
    bool missing = false;
    auto text = ReadFileAt(root, dirfd(dir), "proc", relative, buffer, kSmallCap, &missing);
    if (!text.ok()) {
      if (missing) continue;
      closedir(dir);
      return text.error();
    }
    if (auto stat = ParseProcessStat(*text); stat.ok()) out.push_back(std::move(stat).value());
  }
  closedir(dir);
  return out;
}

Result<std::string> ReadBootId(const ProcRoot& root) {
  auto text = ReadWholeFile(root, "proc", "sys/kernel/random/boot_id", 4096);
  if (!text.ok()) return text.error();
  std::string id = std::move(text).value();
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  if (id.empty()) return Error{root.Proc("sys/kernel/random/boot_id").string() + ": empty"};
  return id;
}

}  // namespace rh::collectors
