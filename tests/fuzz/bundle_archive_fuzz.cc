// Fuzz target: the bundle archive reader (tar and tar.gz, as `rh-forensics export` writes them)
// and the manifest of what it read. The input is written to a private temporary file because
// the reader takes a path, as rh-forensics does.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "forensics/bundle_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = [] {
    const char* tmp = getenv("TMPDIR");
    std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    return dir + "/rh-fuzz-archive-" + std::to_string(getpid()) + ".tar.gz";
  }();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) abort();
  for (std::size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) abort();
    done += static_cast<std::size_t>(n);
  }
  close(fd);
  rh::forensics::ReadLimits limits;
  limits.max_files = 64;
  limits.max_file_bytes = 1 << 20;
  limits.max_total_bytes = 4 << 20;
  limits.ratio_after_bytes = 1 << 20;
  auto bundle = rh::forensics::ReadBundleArchive(path, limits);
  if (bundle.ok()) (void)rh::forensics::ReadManifest(*bundle);
  unlink(path.c_str());
  return 0;
}
