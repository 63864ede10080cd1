// OpenBundle: apart from bundle_view.cc because it reads archives too (libarchive), which the
// daemon's binary, using only the rest of bundle_view, need not load.

#include <filesystem>

#include "forensics/bundle.h"
#include "forensics/cli/bundle_view.h"

namespace rh::forensics::cli {

namespace fs = std::filesystem;

Result<OpenedBundle> OpenBundle(std::string_view id_or_path, const std::string& events_dir,
                                const ReadLimits& limits) {
  const std::string given(id_or_path);
  std::error_code ec;
  fs::path path = given;
  if (!fs::exists(fs::symlink_status(path, ec))) {
    bool plain_id = IsSafeRelativePath(given) && given.find('/') == std::string::npos;
    if (!plain_id) return Error{given + ": no such bundle directory or archive"};
    path = fs::path(events_dir) / given;
    if (!fs::exists(fs::symlink_status(path, ec))) {
      return Error{given + ": no such bundle in " + events_dir + " (and no such file)"};
    }
  }
  auto files = ReadBundle(path, limits);
  if (!files) return files.error();
  auto manifest = ReadManifest(*files);
  if (!manifest) return manifest.error();
  return OpenedBundle{std::move(files).value(), std::move(manifest).value()};
}

}  // namespace rh::forensics::cli
