#include "forensics/bundle_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

namespace rh::forensics {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxDepth = 32;

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// One line, whatever libarchive says.
std::string OneLine(const char* text) {
  std::string out = text != nullptr ? text : "unknown error";
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

std::string Errno(int err) { return std::strerror(err); }

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

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
      Fd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.get() < 0) return Error{where + ": " + Errno(errno)};
      if (Status s = ReadTree(sub.get(), relative, depth + 1, limits, origin, totals, out);
          !s.ok()) {
        return s;
      }
    } else if (S_ISREG(st.st_mode)) {
      if (static_cast<std::uint64_t>(st.st_size) > limits.max_file_bytes) {
        return Error{where + ": larger than " + std::to_string(limits.max_file_bytes) + " bytes"};
      }
      Fd file(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
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

// Why libarchive could not read on: a cut-off stream, or something that is no tar at all.
std::string Unreadable(const std::string& where, archive* a) {
  std::string message = OneLine(archive_error_string(a));
  bool cut = message.find("runcated") != std::string::npos ||
             message.find("remature") != std::string::npos ||
             message.find("nexpected end") != std::string::npos;
  return where + (cut ? ": truncated or corrupt archive (" : ": not a tar or tar.gz archive (") +
         message + ")";
}

// Strips "./" prefixes and a trailing '/'.
std::string Normalise(std::string path) {
  while (path.size() >= 2 && path.compare(0, 2, "./") == 0) path.erase(0, 2);
  while (!path.empty() && path.back() == '/' && path.size() > 1) path.pop_back();
  return path;
}

std::string TypeName(const archive_entry* entry) {
  switch (archive_entry_filetype(const_cast<archive_entry*>(entry))) {
    case AE_IFLNK:
      return "a symbolic link";
    case AE_IFCHR:
      return "a character device";
    case AE_IFBLK:
      return "a block device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "of an unsupported type";
  }
}

struct ArchiveReader {
  archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

struct ArchiveWriter {
  archive* a = archive_write_new();
  ~ArchiveWriter() { archive_write_free(a); }
};

struct EntryHolder {
  archive_entry* e = archive_entry_new();
  ~EntryHolder() { archive_entry_free(e); }
};

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
  return {};
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
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
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

Result<BundleFiles> ReadBundleArchive(const fs::path& file, const ReadLimits& limits) {
  BundleFiles out;
  out.origin = file.string();
  out.archive = true;
  const std::string& where = out.origin;
  Fd fd(open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return Error{where + ": " + Errno(errno)};
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error{where + ": not a bundle directory or archive"};
  }
  ArchiveReader reader;
  archive* a = reader.a;
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_fd(a, fd.get(), 65536) != ARCHIVE_OK) return Error{Unreadable(where, a)};
  std::set<std::string> seen;
  std::uint64_t members = 0, total = 0;
  std::string top;
  std::vector<char> buffer(65536);
  for (;;) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      if (members == 0) return Error{Unreadable(where, a)};
      return Error{where + ": truncated or corrupt archive (" + OneLine(archive_error_string(a)) +
                   ")"};
    }
    if (++members > limits.max_files) {
      return Error{where + ": more than " + std::to_string(limits.max_files) + " members"};
    }
    const char* raw_name = archive_entry_pathname(entry);
    if (raw_name == nullptr) return Error{where + ": a member has no readable name"};
    const std::string name = Normalise(raw_name);
    const std::string member = "member " + Quote(raw_name);
    if (name.empty() || name == ".") continue;
    if (name.front() == '/') return Error{where + ": " + member + " has an absolute path"};
    if (name == ".." || name.starts_with("../") || name.ends_with("/..") ||
        name.find("/../") != std::string::npos) {
      return Error{where + ": " + member + " has a \"..\" component"};
    }
    if (!IsSafeRelativePath(name)) return Error{where + ": " + member + " has an unsafe path"};
    if (archive_entry_hardlink(entry) != nullptr) {
      return Error{where + ": " + member + " is a hard link; bundles hold only regular files"};
    }
    const auto type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR) {
      return Error{where + ": " + member + " is " + TypeName(entry) +
                   "; bundles hold only regular files"};
    }
    if (!seen.insert(name).second) return Error{where + ": " + member + " appears twice"};
    std::size_t slash = name.find('/');
    std::string first = name.substr(0, slash);
    if (top.empty()) top = first;
    if (first != top) {
      return Error{where + ": " + member + " is outside the bundle directory \"" + top + "/\""};
    }
    if (type == AE_IFDIR) continue;
    if (slash == std::string::npos) {
      return Error{where + ": " + member + " is outside the bundle directory"};
    }
    const std::string relative = name.substr(slash + 1);
    if (archive_entry_size_is_set(entry) && archive_entry_size(entry) >= 0 &&
        static_cast<std::uint64_t>(archive_entry_size(entry)) > limits.max_file_bytes) {
      return Error{where + ": " + member + " is larger than " +
                   std::to_string(limits.max_file_bytes) + " bytes"};
    }
    std::string content;
    for (;;) {
      la_ssize_t n = archive_read_data(a, buffer.data(), buffer.size());
      if (n < 0) {
        return Error{where + ": truncated or corrupt archive at " + member + " (" +
                     OneLine(archive_error_string(a)) + ")"};
      }
      if (n == 0) break;
      const auto got = static_cast<std::uint64_t>(n);
      if (content.size() + got > limits.max_file_bytes) {
        return Error{where + ": " + member + " is larger than " +
                     std::to_string(limits.max_file_bytes) + " bytes"};
      }
      total += got;
      if (total > limits.max_total_bytes) {
        return Error{where + ": more than " + std::to_string(limits.max_total_bytes) +
                     " bytes uncompressed"};
      }
      const auto compressed =
          static_cast<double>(std::max<la_int64_t>(1, archive_filter_bytes(a, -1)));
      if (total > limits.ratio_after_bytes &&
          static_cast<double>(total) > limits.max_compression_ratio * compressed) {
        return Error{where + ": compresses more than " +
                     std::to_string(static_cast<long long>(limits.max_compression_ratio)) +
                     ":1, refused as a decompression bomb (at " + member + ")"};
      }
      content.append(buffer.data(), got);
    }
    out.files.emplace(relative, std::move(content));
  }
  if (top.empty()) return Error{where + ": not a bundle (empty archive)"};
  out.name = top;
  if (out.Find(kManifestFile) == nullptr) {
    return Error{where + ": not a bundle (no " + top + "/" + std::string(kManifestFile) + ")"};
  }
  return out;
}

Result<BundleFiles> ReadBundle(const fs::path& path, const ReadLimits& limits) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Error{path.string() + ": " + Errno(errno)};
  if (S_ISDIR(st.st_mode)) return ReadBundleDirectory(path, limits);
  if (S_ISREG(st.st_mode)) return ReadBundleArchive(path, limits);
  return Error{path.string() + ": not a bundle directory or archive"};
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
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                        std::string(prefix) + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Error{pattern + ": cannot create a temporary directory: " + Errno(errno)};
  }
  chmod(pattern.c_str(), 0700);
  return std::unique_ptr<PrivateDir>(new PrivateDir(pattern));
}

PrivateDir::~PrivateDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Status WriteFileUnder(const fs::path& dir, std::string_view relative, std::string_view content,
                      bool replace) {
  const std::string where = (dir / relative).string();
  if (!IsSafeRelativePath(relative)) return Error{where + ": unsafe path"};
  Fd current(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
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
    current.reset(next);
    begin = slash + 1;
  }
  std::string name(relative.substr(begin));
  int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (replace ? O_TRUNC : O_EXCL);
  Fd file(openat(current.get(), name.c_str(), flags, 0600));
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

Status WriteBundleArchive(const std::map<std::string, std::string>& files, std::string_view name,
                          std::int64_t mtime, const fs::path& out, bool overwrite) {
  if (!IsSafeRelativePath(name) || name.find('/') != std::string_view::npos) {
    return Error{"\"" + std::string(name) + "\" is not a bundle name"};
  }
  std::string temp;
  auto fd = CreateTempNextTo(out, 0600, temp);
  if (!fd) return fd.error();
  auto fail = [&](const std::string& why) -> Status {
    close(*fd);
    unlink(temp.c_str());
    return Error{out.string() + ": " + why};
  };
  {
    ArchiveWriter writer;
    archive* a = writer.a;
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_open_fd(a, *fd) != ARCHIVE_OK) {
      return fail(OneLine(archive_error_string(a)));
    }
    auto header = [&](const std::string& path, bool directory, std::size_t size) -> bool {
      EntryHolder entry;
      archive_entry_set_pathname(entry.e, path.c_str());
      archive_entry_set_filetype(entry.e, directory ? AE_IFDIR : AE_IFREG);
      archive_entry_set_perm(entry.e, directory ? 0700 : 0600);
      archive_entry_set_size(entry.e, static_cast<la_int64_t>(size));
      archive_entry_set_mtime(entry.e, mtime, 0);
      archive_entry_set_uid(entry.e, 0);
      archive_entry_set_gid(entry.e, 0);
      return archive_write_header(a, entry.e) == ARCHIVE_OK;
    };
    const std::string top(name);
    if (!header(top + "/", true, 0)) return fail(OneLine(archive_error_string(a)));
    for (const auto& [path, content] : files) {
      if (!IsSafeRelativePath(path)) return fail("unsafe path \"" + path + "\"");
      if (!header(top + "/" + path, false, content.size())) {
        return fail(OneLine(archive_error_string(a)));
      }
      std::size_t done = 0;
      while (done < content.size()) {
        la_ssize_t n = archive_write_data(a, content.data() + done, content.size() - done);
        if (n <= 0) return fail(OneLine(archive_error_string(a)));
        done += static_cast<std::size_t>(n);
      }
    }
    if (archive_write_close(a) != ARCHIVE_OK) return fail(OneLine(archive_error_string(a)));
  }
  return Commit(*fd, temp, out, overwrite);
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
  Fd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
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
  Fd directory(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (directory.get() < 0) return Error{dir.string() + ": " + Errno(errno)};
  Fd file(openat(directory.get(), std::string(name).c_str(),
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
