#include "forensics/safe_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace rh::forensics {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Result<UniqueFd> OpenSafeDirectory(const std::filesystem::path& path, std::string_view setting) {
  const std::string where = path.string();
  if (path.empty()) return Error{std::string(setting) + " is empty"};
  std::filesystem::path partial;
  for (const auto& part : path) {
    partial /= part;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error{"cannot create directory " + partial.string() + ": " + std::strerror(errno)};
    }
  }
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.ok()) {
    const int err = errno;
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      return Error{where + ": is a symbolic link, which rogue-hunter does not follow for a " +
                   "directory it writes; set " + std::string(setting) +
                   " to the directory it points to"};
    }
    return Error{where + ": " + std::strerror(err)};
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error{where + ": " + std::strerror(errno)};
  const uid_t me = geteuid();
  if (st.st_uid != me) {
    return Error{where + ": belongs to uid " + std::to_string(st.st_uid) + ", not to uid " +
                 std::to_string(me) + " that runs rogue-hunter; run `chown " + std::to_string(me) +
                 " " + where + "` or set " + std::string(setting) + " to a directory of your own"};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error{where + ": is writable by group or others (mode " + mode +
                 "), so they could plant links in it; run `chmod go-w " + where + "`"};
  }
  return fd;
}

}  // namespace rh::forensics
