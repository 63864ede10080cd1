// Bundles as .tar.gz archives, with libarchive: reading an exported bundle and writing one. Apart
// from bundle_reader.cc so that a program that only reads bundle directories (the daemon's
// binary, whose operator commands list and prune bundles) does not load libarchive and what it
// pulls in (libxml2, ICU, compressors): about 1.4 MiB of resident memory.

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "forensics/bundle_reader.h"
#include "forensics/safe_directory.h"

namespace rh::forensics {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

Result<BundleFiles> ReadBundleArchive(const fs::path& file, const ReadLimits& limits) {
  BundleFiles out;
  out.origin = file.string();
  out.archive = true;
  const std::string& where = out.origin;
  UniqueFd fd(open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return Error{where + ": " + std::strerror(errno)};
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
  if (stat(path.c_str(), &st) != 0) return Error{path.string() + ": " + std::strerror(errno)};
  if (S_ISDIR(st.st_mode)) return ReadBundleDirectory(path, limits);
  if (S_ISREG(st.st_mode)) return ReadBundleArchive(path, limits);
  return Error{path.string() + ": not a bundle directory or archive"};
}

Status WriteBundleArchive(const std::map<std::string, std::string>& files, std::string_view name,
                          std::int64_t mtime, const fs::path& out, bool overwrite) {
  if (!IsSafeRelativePath(name) || name.find('/') != std::string_view::npos) {
    return Error{"\"" + std::string(name) + "\" is not a bundle name"};
  }
  // Built in memory (the files already are), then written like any file.
  std::string data;
  {
    ArchiveWriter writer;
    archive* a = writer.a;
    auto append = [](archive*, void* target, const void* buffer, size_t length) -> la_ssize_t {
      static_cast<std::string*>(target)->append(static_cast<const char*>(buffer), length);
      return static_cast<la_ssize_t>(length);
    };
    auto fail = [&](const std::string& why) -> Status { return Error{out.string() + ": " + why}; };
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open(a, &data, nullptr, append, nullptr) != ARCHIVE_OK) {
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
  return WriteFileAtomically(out, data, overwrite, 0600);
}

}  // namespace rh::forensics
