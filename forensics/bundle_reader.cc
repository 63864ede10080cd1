#include "forensics/bundle_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <set>
#include <utility>

#include "forensics/safe_directory.h"

namespace rh::forensics {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxDepth = 32;

std::string Errno(int err) { return std::strerror(err); }

// Reads what remains of `fd` into `out`, failing past `cap` bytes.
Status ReadCapped(int fd, std::uint64_t cap, const std::string& where, std::string& out) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{where + ": " + Errno(errno)};
    }
    if (n == 0) return {};
    if (out.size() + static_cast<std::size_t>(n) > cap) {
      return Error{where + ": larger than " + std::to_string(cap) + " bytes"};
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

struct Totals {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

Status ReadTree(int dirfd, const std::string& prefix, int depth, const ReadLimits& limits,
                const std::string& origin, Totals& totals, BundleFiles& out) {
  if (depth > kMaxDepth) return Error{origin + "/" + prefix + ": directories nested too deep"};
  int dup_fd = dup(dirfd);
  if (dup_fd < 0) return Error{origin + ": " + Errno(errno)};
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    close(dup_fd);
    return Error{origin + "/" + prefix + ": " + Errno(errno)};
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(std::move(name));
    if (totals.files + names.size() > limits.max_files) {
      closedir(dir);
      return Error{origin + ": more than " + std::to_string(limits.max_files) + " files"};
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    const std::string relative = prefix.empty() ? name : prefix + "/" + name;
    const std::string where = origin + "/" + relative;
    struct stat st {};
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Error{where + ": " + Errno(errno)};
    }
    if (++totals.files > limits.max_files) {
      return Error{origin + ": more than " + std::to_string(limits.max_files) + " files"};
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.get() < 0) return Error{where + ": " + Errno(errno)};
      if (Status s = ReadTree(sub.get(), relative, depth + 1, limits, origin, totals, out);
          !s.ok()) {
        return s;
      }
    } else if (S_ISREG(st.st_mode)) {
      if (static_cast<std::uint64_t>(st.st_size) > limits.max_file_bytes) {
        return Error{where + ": larger than " + std::to_string(limits.max_file_bytes) + " bytes"};
      }
      UniqueFd file(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      if (file.get() < 0) return Error{where + ": " + Errno(errno)};
      std::string content;
      if (Status s = ReadCapped(file.get(), limits.max_file_bytes, where, content); !s.ok()) {
        return s;
      }
      totals.bytes += content.size();
      if (totals.bytes > limits.max_total_bytes) {
        return Error{origin + ": more than " + std::to_string(limits.max_total_bytes) +
                     " bytes in all"};
      }
      out.files.emplace(relative, std::move(content));
    } else {
      out.irregular.push_back(relative);
    }
  }
  return {};
}

// Parses "key=value,key=value".
void LowerFromSpec(std::string_view spec, ReadLimits& limits) {
  while (!spec.empty()) {
    std::size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(item.substr(0, eq));
    std::string value(item.substr(eq + 1));
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || errno != 0 || !(v >= 0)) continue;
    auto lower = [v](std::uint64_t& field) {
      if (v < static_cast<double>(field)) field = static_cast<std::uint64_t>(v);
    };
    if (key == "files") lower(limits.max_files);
    if (key == "file_bytes") lower(limits.max_file_bytes);
    if (key == "total_bytes") lower(limits.max_total_bytes);
    if (key == "ratio_after") lower(limits.ratio_after_bytes);
    if (key == "ratio" && v < limits.max_compression_ratio) limits.max_compression_ratio = v;
  }
}

// Creates a temporary file next to `out`; its path goes to `temp`.
Result<int> CreateTempNextTo(const fs::path& out, unsigned mode, std::string& temp) {
  fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  temp = (parent / ("." + out.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkstemp(temp.data());
  if (fd < 0) return Error{out.string() + ": cannot create a temporary file: " + Errno(errno)};
  fchmod(fd, static_cast<mode_t>(mode));
  return fd;
}

// fsyncs and renames `temp` to `out`, never replacing `out` unless `overwrite`.
Status Commit(int fd, const std::string& temp, const fs::path& out, bool overwrite) {
  if (fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(temp.c_str());
    return Error{out.string() + ": " + Errno(err)};
  }
  close(fd);
  int rc = overwrite ? rename(temp.c_str(), out.c_str())
                     : renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, out.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && !overwrite && errno == EINVAL) {  // file system without RENAME_NOREPLACE
    rc = link(temp.c_str(), out.c_str());
    if (rc == 0) unlink(temp.c_str());
  }
  if (rc != 0) {
    int err = errno;
    unlink(temp.c_str());
    if (err == EEXIST) return Error{out.string() + ": already exists (use --force to replace it)"};
    return Error{out.string() + ": " + Errno(err)};
  }
  // The rename, on disk too.
  UniqueFd parent(open(out.has_parent_path() ? out.parent_path().c_str() : ".",
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent.get() < 0 || fsync(parent.get()) != 0) {
    return Error{out.string() + ": written, but syncing its directory: " + Errno(errno)};
  }
  return {};
}

// --- Removing a private directory from a signal handler --------------------------------------

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};
char g_cleanup_path[PATH_MAX];
volatile sig_atomic_t g_cleanup_armed = 0;
struct sigaction g_previous_actions[std::size(kCleanupSignals)];

struct LinuxDirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// Removes everything in the directory `fd`, never following a link, with async-signal-safe
// calls only (no allocation): usable from a signal handler.
void EmptyDirectory(int fd, int depth) {
  if (depth > kMaxDepth) return;
  alignas(LinuxDirent64) char buffer[4096];
  for (int pass = 0; pass < 8; ++pass) {  // removing while listing may skip an entry
    if (lseek(fd, 0, SEEK_SET) != 0) return;
    bool left = false;
    for (;;) {
      const long n = syscall(SYS_getdents64, fd, buffer, sizeof buffer);
      if (n <= 0) break;
      for (long offset = 0; offset < n;) {
        const auto* entry = reinterpret_cast<const LinuxDirent64*>(buffer + offset);
        offset += entry->d_reclen;
        const char* name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        left = true;
        if (unlinkat(fd, name, 0) == 0 || errno != EISDIR) continue;
        const int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {
          EmptyDirectory(sub, depth + 1);
          close(sub);
        }
        unlinkat(fd, name, AT_REMOVEDIR);
      }
    }
    if (!left) return;
  }
}

void RemoveAndDie(int signal) {
  if (g_cleanup_armed != 0) {
    const int fd = open(g_cleanup_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      EmptyDirectory(fd, 0);
      close(fd);
    }
    rmdir(g_cleanup_path);
  }
  raise(signal);  // SA_RESETHAND restored the default action: dies once the handler returns
}

// Removes "<base>/<prefix>*" directories of this user left by dead processes: those unlocked (a
// live owner holds flock on its directory), and ".<prefix>*" ones (PrivateDir::Create() names
// them so until locked) unlocked and unchanged for ten seconds.
void RemoveStaleDirectories(const std::string& base, const std::string& prefix) {
  UniqueFd dir(open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return;
  const int listing = dup(dir.get());
  DIR* stream = listing >= 0 ? fdopendir(listing) : nullptr;
  if (stream == nullptr) {
    if (listing >= 0) close(listing);
    return;
  }
  std::vector<std::string> names;
  while (const dirent* e = readdir(stream)) {
    const std::string_view n = e->d_name;
    if (n.starts_with(prefix) || (n.starts_with(".") && n.substr(1).starts_with(prefix))) {
      names.emplace_back(n);
    }
  }
  closedir(stream);
  const time_t now = time(nullptr);
  for (const auto& name : names) {
    UniqueFd fd(openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    const bool hidden = name.front() == '.';
    if (fd.get() < 0 || fstat(fd.get(), &st) != 0 || st.st_uid != geteuid() ||
        (hidden && now - st.st_ctime < 10) || flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      continue;
    }
    EmptyDirectory(fd.get(), 0);
    unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR);
  }
}

}  // namespace

ReadLimits ReadLimitsFromEnvironment() {
  ReadLimits limits;
  if (const char* spec = std::getenv("RH_FORENSICS_READ_LIMITS")) LowerFromSpec(spec, limits);
  return limits;
}

const std::string* BundleFiles::Find(std::string_view path) const {
  auto it = files.find(std::string(path));
  return it == files.end() ? nullptr : &it->second;
}

std::string BundleFiles::Where(std::string_view path) const {
  if (archive) return origin + ":" + name + "/" + std::string(path);
  std::string base = origin;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + "/" + std::string(path);
}

Result<BundleFiles> ReadBundleDirectory(const fs::path& dir, const ReadLimits& limits) {
  BundleFiles out;
  out.origin = dir.string();
  fs::path clean = dir.lexically_normal();
  out.name = (clean.has_filename() ? clean : clean.parent_path()).filename().string();
  UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Error{out.origin + ": " + Errno(errno)};
  struct stat st {};
  if (fstatat(fd.get(), std::string(kManifestFile).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(st.st_mode)) {
    return Error{out.origin + ": not a bundle (no " + std::string(kManifestFile) + ")"};
  }
  Totals totals;
  if (Status s = ReadTree(fd.get(), "", 0, limits, out.origin, totals, out); !s.ok()) {
    return s.error();
  }
  return out;
}

Result<Manifest> ReadManifest(const BundleFiles& bundle) {
  const std::string* text = bundle.Find(kManifestFile);
  if (text == nullptr) {
    return Error{bundle.origin + ": not a bundle (no " + std::string(kManifestFile) + ")"};
  }
  return ParseManifest(*text, bundle.Where(kManifestFile));
}

std::vector<FileProblem> CheckFiles(const Manifest& manifest, const BundleFiles& bundle) {
  using Kind = FileProblem::Kind;
  std::vector<FileProblem> problems;
  std::set<std::string> listed;
  for (const auto& f : manifest.files) {
    if (!listed.insert(f.path).second) {
      problems.push_back({Kind::kExtra, f.path, "listed twice in the manifest"});
      continue;
    }
    const std::string* content = bundle.Find(f.path);
    if (content == nullptr) {
      bool irregular = std::find(bundle.irregular.begin(), bundle.irregular.end(), f.path) !=
                       bundle.irregular.end();
      if (!irregular) problems.push_back({Kind::kMissing, f.path, "listed but missing"});
      continue;
    }
    if (content->size() != f.size) {
      problems.push_back({Kind::kSizeDiffers, f.path,
                          std::to_string(content->size()) + " bytes, the manifest says " +
                              std::to_string(f.size)});
    } else if (Sha256Hex(*content) != f.sha256) {
      problems.push_back({Kind::kHashDiffers, f.path, "SHA-256 differs from the manifest"});
    }
  }
  for (const auto& [path, content] : bundle.files) {
    if (path != kManifestFile && !listed.contains(path)) {
      problems.push_back({Kind::kExtra, path, "present but not listed in the manifest"});
    }
  }
  for (const auto& path : bundle.irregular) {
    problems.push_back({Kind::kNotRegular, path, "not a regular file (never followed)"});
  }
  std::sort(problems.begin(), problems.end(),
            [](const FileProblem& x, const FileProblem& y) { return x.path < y.path; });
  return problems;
}

std::vector<ManifestFile> ListFiles(const std::map<std::string, std::string>& files) {
  std::vector<ManifestFile> out;
  for (const auto& [path, content] : files) {
    if (path == kManifestFile) continue;
    out.push_back({path, content.size(), Sha256Hex(content)});
  }
  return out;  // std::map iterates sorted by path
}

Result<std::unique_ptr<PrivateDir>> PrivateDir::Create(std::string_view prefix) {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  const std::string name = std::string(prefix) + "-";
  RemoveStaleDirectories(base, name);
  // A signal that arrives before the directory can remove itself waits until it can.
  sigset_t signals, previous;
  sigemptyset(&signals);
  for (int signal : kCleanupSignals) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  struct Unblock {
    sigset_t mask;
    ~Unblock() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } unblock{previous};
  // Created and locked under a hidden name, then renamed: under its real name it is always
  // locked while its owner lives.
  std::string hidden = base + "/." + name + "XXXXXX";
  if (mkdtemp(hidden.data()) == nullptr) {
    return Error{hidden + ": cannot create a temporary directory: " + Errno(errno)};
  }
  const std::string path = base + "/" + name + hidden.substr(hidden.size() - 6);
  UniqueFd fd(open(hidden.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0 || flock(fd.get(), LOCK_EX | LOCK_NB) != 0 ||
      renameat2(AT_FDCWD, hidden.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    rmdir(hidden.c_str());
    return Error{path + ": cannot create a temporary directory: " + Errno(err)};
  }
  fchmod(fd.get(), 0700);
  return std::unique_ptr<PrivateDir>(new PrivateDir(path, fd.release()));
}

PrivateDir::PrivateDir(std::filesystem::path path, int lock_fd)
    : path_(std::move(path)), lock_fd_(lock_fd) {
  const std::string text = path_.string();
  if (g_cleanup_armed == 0 && text.size() < sizeof g_cleanup_path) {
    std::memcpy(g_cleanup_path, text.c_str(), text.size() + 1);
    g_cleanup_armed = 1;
    handles_signals_ = true;
    struct sigaction action {};
    action.sa_handler = RemoveAndDie;
    action.sa_flags = SA_RESETHAND;  // the handler's raise() then dies of the signal
    sigemptyset(&action.sa_mask);
    for (int signal : kCleanupSignals) sigaddset(&action.sa_mask, signal);
    for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i) {
      sigaction(kCleanupSignals[i], &action, &g_previous_actions[i]);
    }
  }
}

PrivateDir::~PrivateDir() {
  if (handles_signals_) {
    for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i) {
      sigaction(kCleanupSignals[i], &g_previous_actions[i], nullptr);
    }
    g_cleanup_armed = 0;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
  close(lock_fd_);
}

Status WriteFileUnder(const fs::path& dir, std::string_view relative, std::string_view content,
                      bool replace) {
  const std::string where = (dir / relative).string();
  if (!IsSafeRelativePath(relative)) return Error{where + ": unsafe path"};
  UniqueFd current(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (current.get() < 0) return Error{dir.string() + ": " + Errno(errno)};
  std::size_t begin = 0;
  for (;;) {
    std::size_t slash = relative.find('/', begin);
    if (slash == std::string_view::npos) break;
    std::string part(relative.substr(begin, slash - begin));
    if (mkdirat(current.get(), part.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error{where + ": " + Errno(errno)};
    }
    int next = openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return Error{where + ": " + Errno(errno)};
    current = UniqueFd(next);
    begin = slash + 1;
  }
  std::string name(relative.substr(begin));
  int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL);
  UniqueFd file(openat(current.get(), name.c_str(), flags, 0600));
  if (file.get() < 0) return Error{where + ": " + Errno(errno)};
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(file.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{where + ": " + Errno(errno)};
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status WriteFileAtomically(const fs::path& out, std::string_view content, bool overwrite,
                           unsigned mode) {
  std::string temp;
  auto fd = CreateTempNextTo(out, mode, temp);
  if (!fd) return fd.error();
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(*fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(*fd);
      unlink(temp.c_str());
      return Error{out.string() + ": " + Errno(err)};
    }
    done += static_cast<std::size_t>(n);
  }
  return Commit(*fd, temp, out, overwrite);
}

Result<std::string> ReadRegularFile(const fs::path& path, std::uint64_t cap) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return Error{path.string() + ": " + Errno(errno)};
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error{path.string() + ": " + Errno(errno)};
  if (!S_ISREG(st.st_mode)) return Error{path.string() + ": not a regular file"};
  std::string content;
  if (Status s = ReadCapped(fd.get(), cap, path.string(), content); !s.ok()) return s.error();
  return content;
}

Result<std::string> ReadBundleFile(const std::filesystem::path& dir, std::string_view name,
                                   std::uint64_t max_bytes) {
  const std::string where = (dir / name).string();
  UniqueFd directory(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (directory.get() < 0) return Error{dir.string() + ": " + Errno(errno)};
  UniqueFd file(openat(directory.get(), std::string(name).c_str(),
                       O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (file.get() < 0) return Error{where + ": " + Errno(errno)};
  struct stat st {};
  if (fstat(file.get(), &st) != 0) return Error{where + ": " + Errno(errno)};
  if (!S_ISREG(st.st_mode)) return Error{where + ": not a regular file"};
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return Error{where + ": larger than " + std::to_string(max_bytes) + " bytes"};
  }
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t used = 0;
  while (used < content.size()) {
    ssize_t n = read(file.get(), content.data() + used, content.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{where + ": " + Errno(errno)};
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  content.resize(used);
  return content;
}

}  // namespace rh::forensics
