#include "collectors/self_usage.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "collectors/process.h"

namespace rh::collectors {
namespace {

Result<std::uint64_t> CountOpenFds(const ProcRoot& root) {
  const std::string path = root.Proc("self/fd").string();
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return Error{path + ": " + std::strerror(errno)};
  const std::string own = std::to_string(dirfd(dir));
  std::uint64_t count = 0;
  while (const dirent* entry = readdir(dir)) {
    const char* name = entry->d_name;
    if (name[0] == '.' || own == name) continue;
    ++count;
  }
  closedir(dir);
  return count;
}

}  // namespace

Result<SelfUsage> ReadSelfUsage(const ProcRoot& root, long clock_ticks_per_second, long page_size) {
  auto text = ReadWholeFile(root, "proc", "self/stat", 16 << 10);
  if (!text.ok()) return text.error();
  auto stat = ParseProcessStat(*text);
  if (!stat.ok()) return Error{root.Proc("self/stat").string() + ": " + stat.error().message};
  auto fds = CountOpenFds(root);
  if (!fds.ok()) return fds.error();
  const double ticks = static_cast<double>(clock_ticks_per_second > 0 ? clock_ticks_per_second
                                                                      : sysconf(_SC_CLK_TCK));
  const auto page = static_cast<std::uint64_t>(page_size > 0 ? page_size : sysconf(_SC_PAGESIZE));
  SelfUsage usage;
  usage.cpu_user_seconds = static_cast<double>(stat->utime_ticks) / ticks;
  usage.cpu_system_seconds = static_cast<double>(stat->stime_ticks) / ticks;
  usage.resident_bytes =
      stat->rss_pages > 0 ? static_cast<std::uint64_t>(stat->rss_pages) * page : 0;
  usage.open_fds = *fds;
  return usage;
}

}  // namespace rh::collectors
