#include <ostream>

#include "forensics/cli/bundle_view.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/text.h"

namespace rh::forensics::cli {
namespace {

std::string_view KindName(FileProblem::Kind kind) {
  switch (kind) {
    case FileProblem::Kind::kMissing:
      return "missing";
    case FileProblem::Kind::kExtra:
      return "extra";
    case FileProblem::Kind::kSizeDiffers:
    case FileProblem::Kind::kHashDiffers:
      return "altered";
    case FileProblem::Kind::kNotRegular:
      return "not a file";
  }
  return "?";
}

}  // namespace

int Verify(const Context& ctx, const std::string& id_or_path) {
  auto bundle = OpenBundle(id_or_path, ctx.events_dir, ctx.limits);
  if (!bundle) return Fail(ctx, bundle.error().message);
  const auto problems = CheckFiles(bundle->manifest, bundle->files);
  const std::string origin = Printable(bundle->files.origin);
  if (problems.empty()) {
    *ctx.out << "OK " << origin << ": bundle " << Printable(bundle->manifest.id) << ", "
             << bundle->manifest.files.size() << " files match the manifest\n";
    return kExitOk;
  }
  std::string names;
  for (const auto& p : problems) {
    *ctx.out << KindName(p.kind) << ": " << Printable(bundle->files.Where(p.path)) << ": "
             << Printable(p.detail) << "\n";
    if (names.size() < 200)
      names += (names.empty() ? "" : ", ") + std::string(KindName(p.kind)) + " " + p.path;
  }
  *ctx.out << "FAILED " << origin << ": " << problems.size()
           << (problems.size() == 1 ? " problem" : " problems") << "\n";
  return Fail(ctx, bundle->files.origin + ": does not verify: " + names);
}

}  // namespace rh::forensics::cli
