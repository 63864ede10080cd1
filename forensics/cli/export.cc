#include <ostream>
#include <system_error>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/redact.h"
#include "forensics/cli/text.h"
#include "forensics/redaction.h"

namespace rh::forensics::cli {

int Export(const Context& ctx, const std::string& id_or_path, const std::string& output,
           bool redact, bool force) {
  std::error_code ec;
  if (!force && std::filesystem::exists(std::filesystem::symlink_status(output, ec))) {
    return Fail(ctx, output + ": already exists (use --force to replace it)");
  }
  auto bundle = OpenBundle(id_or_path, ctx.events_dir, ctx.limits);
  if (!bundle) return Fail(ctx, bundle.error().message);
  if (auto problems = CheckFiles(bundle->manifest, bundle->files); !problems.empty()) {
    return Fail(ctx, bundle->files.origin + ": does not verify (" +
                         std::to_string(problems.size()) + " problems, first " +
                         problems.front().path +
                         "); refusing to export it (see rh-forensics verify)");
  }
  std::map<std::string, std::string> files;
  if (redact) {
    auto redacted = RedactBundle(*bundle, RandomSalt(), ctx.limits);
    if (!redacted) return Fail(ctx, redacted.error().message);
    files = std::move(redacted).value();
  } else {
    files = bundle->files.files;
  }
  const std::int64_t mtime = bundle->manifest.created_ns / 1'000'000'000;
  if (Status s = WriteBundleArchive(files, bundle->manifest.id, mtime, output, force); !s.ok()) {
    return Fail(ctx, s.error().message);
  }
  *ctx.out << "exported " << Printable(bundle->manifest.id) << " to " << Printable(output)
           << (redact ? " (redacted)" : "") << ": " << files.size() << " files\n";
  return kExitOk;
}

}  // namespace rh::forensics::cli
