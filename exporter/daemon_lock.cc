#include "exporter/daemon_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

namespace rh::exporter {
namespace {

namespace fs = std::filesystem;

std::string Format(const DaemonInfo& info) {
  return "pid=" + std::to_string(info.pid) + "\nlisten=" + info.listen + "\nconfig=" + info.config +
         "\nversion=" + info.version + "\n";
}

DaemonInfo Parse(const std::string& text) {
  DaemonInfo info;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (key == "pid") {
      info.pid = static_cast<pid_t>(std::strtol(value.c_str(), nullptr, 10));
    } else if (key == "listen") {
      info.listen = std::move(value);
    } else if (key == "config") {
      info.config = std::move(value);
    } else if (key == "version") {
      info.version = std::move(value);
    }
  }
  return info;
}

std::string ReadAll(int fd) {
  std::string text;
  char buf[512];
  off_t offset = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), offset);
    if (n <= 0 || text.size() > 64 * 1024) break;
    text.append(buf, static_cast<std::size_t>(n));
    offset += n;
  }
  return text;
}

}  // namespace

fs::path LockPath(const fs::path& data_dir) { return data_dir / "daemon.lock"; }

Result<DaemonLock> DaemonLock::Acquire(const fs::path& data_dir, const DaemonInfo& self,
                                       std::optional<DaemonInfo>* holder) {
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) {
    fs::create_directories(data_dir, ec);
    if (ec) return Error{data_dir.string() + ": cannot create the data directory: " + ec.message()};
    fs::permissions(data_dir, fs::perms::owner_all, ec);
  }
  const fs::path path = LockPath(data_dir);
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Error{path.string() + ": " + std::strerror(errno)};
  // A command probing whether a daemon runs (RunningDaemon) holds a shared lock for a moment:
  // try a few times before concluding that another daemon holds it.
  bool locked = false;
  for (int attempt = 0; attempt < 20 && !locked; ++attempt) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
      locked = true;
    } else if (errno == EWOULDBLOCK) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else {
      Error e{path.string() + ": cannot lock: " + std::strerror(errno)};
      close(fd);
      return e;
    }
  }
  if (!locked) {
    DaemonInfo other = Parse(ReadAll(fd));
    close(fd);
    if (holder != nullptr) *holder = other;
    if (other.pid <= 0) {
      return Error{"another rogue-hunter daemon is running on " + data_dir.string() + " (" +
                   path.string() + " is locked)"};
    }
    return Error{"another rogue-hunter daemon (pid " + std::to_string(other.pid) +
                 ") is already running on " + data_dir.string() +
                 "; stop it first, or give this one another storage.data_dir"};
  }
  DaemonLock lock(fd);
  if (Status s = lock.Update(self); !s.ok()) return s.error();
  return lock;
}

DaemonLock::~DaemonLock() {
  if (fd_ >= 0) close(fd_);  // releases the lock; the file stays, harmlessly unlocked
}

Status DaemonLock::Update(const DaemonInfo& self) {
  const std::string text = Format(self);
  // Write first, then cut: a reader never sees an empty file.
  if (pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ftruncate(fd_, static_cast<off_t>(text.size())) != 0) {
    return Error{std::string("cannot write the daemon lock file: ") + std::strerror(errno)};
  }
  return {};
}

std::optional<DaemonInfo> RunningDaemon(const fs::path& data_dir) {
  const fs::path path = LockPath(data_dir);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  std::optional<DaemonInfo> running;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    running = Parse(ReadAll(fd));
  }
  close(fd);
  return running;
}

}  // namespace rh::exporter
