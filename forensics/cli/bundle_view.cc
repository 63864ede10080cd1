#include "forensics/cli/bundle_view.h"

#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "forensics/capture/bundle_directory.h"
#include "forensics/json_read.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::uint64_t kSmallFileCap = 64ULL << 20;

// The first of `keys` present in `object`, or null.
const json* Field(const json& object, std::initializer_list<const char*> keys) {
  if (!object.is_object()) return nullptr;
  for (const char* key : keys) {
    auto it = object.find(key);
    if (it != object.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

std::string String(const json& object, std::initializer_list<const char*> keys) {
  const json* v = Field(object, keys);
  if (v == nullptr) return "";
  if (v->is_string() || v->is_object()) {
    auto bytes = BytesFromJson(*v);
    return bytes ? *bytes : "";
  }
  if (v->is_number()) return v->dump();
  return "";
}

double Number(const json& object, std::initializer_list<const char*> keys, double fallback = 0) {
  const json* v = Field(object, keys);
  return v != nullptr && v->is_number() ? v->get<double>() : fallback;
}

// An integer field as T, 0 when absent or not a number. A number that does not fit T is never
// narrowed: `problem` names it (the first one) and 0 is returned.
template <typename T>
T Integer(const json& object, std::initializer_list<const char*> keys, std::string& problem) {
  const json* v = Field(object, keys);
  if (v == nullptr || !v->is_number()) return 0;
  const std::optional<T> fits =
      v->is_number_float() ? IntegerFromDouble<T>(v->get<double>()) : JsonInteger<T>(*v);
  if (!fits) {
    if (problem.empty()) problem = std::string(*keys.begin()) + " is out of range: " + v->dump();
    return 0;
  }
  return *fits;
}

// The array of a file that is either an array or an object holding one under one of `keys`.
const json* ListOf(const json& document, std::initializer_list<const char*> keys) {
  if (document.is_array()) return &document;
  const json* list = Field(document, keys);
  return list != nullptr && list->is_array() ? list : nullptr;
}

}  // namespace

Result<Summary> ParseSummary(std::string_view text, const std::string& where) {
  auto j = ParseJson(text, where);
  if (!j) return j.error();
  if (!j->is_object()) return Error{where + ": not a JSON object"};
  Summary s;
  std::string problem;
  if (const json* d = Field(*j, {"dominant"}); d != nullptr && d->is_object()) {
    s.dominant_component = String(*d, {"component"});
    s.dominant_points = Number(*d, {"points"});
    s.dominant_text = String(*d, {"text"});
  }
  if (const json* list = Field(*j, {"culprits"})) {
    if (!list->is_array()) return Error{where + ": culprits is not an array"};
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& c = (*list)[i];
      if (!c.is_object()) {
        return Error{where + ": culprits[" + std::to_string(i) + "] is not an object"};
      }
      Culprit culprit;
      culprit.rank = Integer<int>(c, {"rank"}, problem);
      if (culprit.rank == 0) culprit.rank = static_cast<int>(i + 1);
      culprit.pid = Integer<std::int64_t>(c, {"pid"}, problem);
      if (!problem.empty()) {
        return Error{where + ": culprits[" + std::to_string(i) + "]." + problem};
      }
      culprit.comm = String(c, {"comm"});
      culprit.score = Number(c, {"score"});
      culprit.unit = String(c, {"unit"});
      if (const json* ev = Field(c, {"evidence"}); ev != nullptr && ev->is_array()) {
        for (const json& e : *ev) {
          if (!e.is_object()) continue;
          culprit.evidence.push_back(
              {String(e, {"kind"}), Number(e, {"value"}), String(e, {"text"})});
        }
      }
      s.culprits.push_back(std::move(culprit));
    }
  }
  s.blocked_tasks = Integer<std::int64_t>(*j, {"blocked_tasks"}, problem);
  if (!problem.empty()) return Error{where + ": " + problem};
  s.steal_share = Number(*j, {"steal_share"});
  if (const json* b = Field(*j, {"score_before"}); b != nullptr && b->is_number()) {
    s.score_before = b->get<double>();
  }
  if (const json* notes = Field(*j, {"notes"}); notes != nullptr && notes->is_array()) {
    for (const json& n : *notes) {
      if (auto bytes = BytesFromJson(n)) s.notes.push_back(*bytes);
    }
  }
  return s;
}

Result<std::vector<ProcessEntry>> ParseProcesses(std::string_view text, const std::string& where) {
  auto j = ParseJson(text, where);
  if (!j) return j.error();
  const json* list = ListOf(*j, {"processes"});
  if (list == nullptr) return Error{where + ": no process list"};
  std::vector<ProcessEntry> out;
  out.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& p = (*list)[i];
    if (!p.is_object() || !p.contains("pid")) {
      return Error{where + ": processes[" + std::to_string(i) + "] has no pid"};
    }
    ProcessEntry e;
    std::string problem;
    e.pid = Integer<std::int64_t>(p, {"pid"}, problem);
    e.ppid = Integer<std::int64_t>(p, {"ppid"}, problem);
    e.user = String(p, {"user", "username"});
    if (const json* uid = Field(p, {"uid"}); uid != nullptr && uid->is_number()) {
      e.uid = Integer<std::uint32_t>(p, {"uid"}, problem);
    }
    e.comm = String(p, {"comm"});
    if (const json* cmd = Field(p, {"cmdline", "argv", "args"})) {
      if (cmd->is_array()) {
        for (const json& arg : *cmd) {
          auto bytes = BytesFromJson(arg);
          if (bytes) e.cmdline.push_back(*bytes);
        }
      } else if (auto bytes = BytesFromJson(*cmd); bytes && !bytes->empty()) {
        e.cmdline.push_back(*bytes);
      }
    }
    e.state = String(p, {"state"});
    e.cpu_ratio = Number(p, {"cpu_ratio", "cpu_share", "cpu"});
    e.rss_bytes = Integer<std::uint64_t>(p, {"rss_bytes", "rss"}, problem);
    e.threads = Integer<std::int64_t>(p, {"threads"}, problem);
    if (!problem.empty()) {
      return Error{where + ": processes[" + std::to_string(i) + "]." + problem};
    }
    e.start = String(p, {"start_ticks", "start_time", "start"});
    e.unit = String(p, {"unit", "systemd_unit"});
    e.cgroup = String(p, {"cgroup"});
    e.container = String(p, {"container"});
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<BlockedEntry>> ParseBlocked(std::string_view text, const std::string& where) {
  auto j = ParseJson(text, where);
  if (!j) return j.error();
  const json* list = ListOf(*j, {"tasks", "blocked"});
  if (list == nullptr) return Error{where + ": no list of blocked tasks"};
  std::vector<BlockedEntry> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& t = (*list)[i];
    if (!t.is_object() || !t.contains("pid")) {
      return Error{where + ": task " + std::to_string(i) + " has no pid"};
    }
    BlockedEntry e;
    std::string problem;
    e.pid = Integer<std::int64_t>(t, {"pid"}, problem);
    e.tid = t.contains("tid") ? Integer<std::int64_t>(t, {"tid"}, problem) : e.pid;
    if (!problem.empty()) return Error{where + ": tasks[" + std::to_string(i) + "]." + problem};
    e.comm = String(t, {"comm"});
    e.wchan = String(t, {"wchan"});
    e.stack_error = String(t, {"stack_error"});
    if (const json* stack = Field(t, {"stack", "kernel_stack"})) {
      if (stack->is_array()) {
        for (const json& frame : *stack) {
          if (auto bytes = BytesFromJson(frame)) e.stack.push_back(*bytes);
        }
      } else if (auto bytes = BytesFromJson(*stack)) {
        e.stack = Lines(*bytes);
      }
    }
    if (const json* b = Field(t, {"blocked_seconds", "blocked_for_seconds"});
        b != nullptr && b->is_number()) {
      e.blocked_seconds = b->get<double>();
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<analysis::ScoredSample>> ParseCapturePasses(std::string_view text,
                                                               const std::string& where) {
  auto j = ParseJson(text, where);
  if (!j) return j.error();
  const json* passes = ListOf(*j, {"passes"});
  if (passes == nullptr) return Error{where + ": no passes"};
  std::vector<analysis::ScoredSample> out;
  for (std::size_t i = 0; i < passes->size(); ++i) {
    auto pass = ScoredSampleFromJson((*passes)[i]);
    if (!pass) {
      return Error{where + ": passes[" + std::to_string(i) + "]: " + pass.error().message};
    }
    out.push_back(std::move(pass).value());
  }
  return out;
}

Result<std::vector<analysis::ScoredSample>> ParseSamples(std::string_view text,
                                                         const std::string& where) {
  std::vector<analysis::ScoredSample> out;
  std::size_t number = 0;
  for (const auto& line : Lines(text)) {
    ++number;
    if (line.empty()) continue;
    const std::string at = where + ":" + std::to_string(number);
    auto j = ParseJson(line, at);
    if (!j) return j.error();
    auto pass = ScoredSampleFromJson(*j);
    if (!pass) return Error{at + ": " + pass.error().message};
    out.push_back(std::move(pass).value());
  }
  return out;
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

Result<std::string> OpenedBundle::File(std::string_view path) const {
  const std::string* content = files.Find(path);
  if (content == nullptr) return Error{files.Where(path) + ": missing"};
  return *content;
}

std::string OpenedBundle::FileOr(std::string_view path) const {
  const std::string* content = files.Find(path);
  return content == nullptr ? std::string() : *content;
}

Result<BundleDetails> ReadDetails(const OpenedBundle& bundle) {
  BundleDetails d;
  if (const std::string* text = bundle.files.Find(kSummaryFile)) {
    auto summary = ParseSummary(*text, bundle.Where(kSummaryFile));
    if (!summary) return summary.error();
    d.summary = std::move(summary).value();
  }
  if (const std::string* text = bundle.files.Find(kProcessesFile)) {
    auto processes = ParseProcesses(*text, bundle.Where(kProcessesFile));
    if (!processes) return processes.error();
    d.processes = std::move(processes).value();
  }
  if (const std::string* text = bundle.files.Find(kBlockedFile)) {
    auto blocked = ParseBlocked(*text, bundle.Where(kBlockedFile));
    if (!blocked) return blocked.error();
    d.blocked = std::move(blocked).value();
  }
  if (const std::string* text = bundle.files.Find(kCaptureFile)) {
    auto passes = ParseCapturePasses(*text, bundle.Where(kCaptureFile));
    if (!passes) return passes.error();
    d.capture = std::move(passes).value();
  }
  d.kernel_log = Lines(bundle.FileOr(kKernelLogFile));
  d.journal = Lines(bundle.FileOr(kJournalFile));
  return d;
}

Result<std::vector<StoredBundle>> ScanEventsDir(const std::string& events_dir,
                                                std::vector<std::string>& problems) {
  std::vector<StoredBundle> out;
  std::error_code ec;
  if (!fs::exists(events_dir, ec)) return out;
  fs::directory_iterator it(events_dir, ec);
  if (ec) return Error{events_dir + ": " + ec.message()};
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Error{events_dir + ": " + ec.message()};
    const std::string name = it->path().filename().string();
    // Only directories named like a bundle id are bundles (.tmp-* is being written).
    if (!IsBundleId(name)) continue;
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    StoredBundle b;
    b.path = it->path();
    auto text = ReadRegularFile(b.path / kManifestFile, kSmallFileCap);
    if (!text) {
      problems.push_back(b.path.string() + ": not a bundle (" + text.error().message + ")");
      continue;
    }
    auto manifest = ParseManifest(*text, (b.path / kManifestFile).string());
    if (!manifest) {
      problems.push_back(manifest.error().message);
      continue;
    }
    b.manifest = std::move(manifest).value();
    if (auto summary_text = ReadRegularFile(b.path / kSummaryFile, kSmallFileCap)) {
      auto summary = ParseSummary(*summary_text, (b.path / kSummaryFile).string());
      if (summary) {
        b.summary = std::move(summary).value();
      } else {
        problems.push_back(summary.error().message);
      }
    }
    for (auto f = fs::recursive_directory_iterator(b.path, ec);
         !ec && f != fs::recursive_directory_iterator(); f.increment(ec)) {
      if (f->is_regular_file(ec) && !f->is_symlink(ec)) b.bytes += f->file_size(ec);
    }
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const StoredBundle& x, const StoredBundle& y) {
    return x.manifest.created_ns != y.manifest.created_ns
               ? x.manifest.created_ns < y.manifest.created_ns
               : x.manifest.id < y.manifest.id;
  });
  return out;
}

Status RemoveBundle(const std::filesystem::path& bundle) {
  const auto doomed = bundle.parent_path() / (".tmp-prune-" + bundle.filename().string());
  std::error_code ec;
  std::filesystem::rename(bundle, doomed, ec);
  if (ec) return Error{bundle.string() + ": " + ec.message()};
  std::filesystem::remove_all(doomed, ec);
  if (ec) return Error{doomed.string() + ": " + ec.message()};
  return {};
}

}  // namespace rh::forensics::cli
