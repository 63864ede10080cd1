#include "collectors/cgroups.h"

#include <dirent.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "collectors/cgroupfs.h"
#include "collectors/pressure.h"
#include "collectors/text.h"

namespace rh::collectors {
namespace {

constexpr std::size_t kKeptOpen = 100;  // leaves whose files stay open (5 descriptors each)
constexpr std::size_t kSmallCap = 64 << 10;

// The subdirectory names of `dir`, sorted; empty when it cannot be read.
std::vector<std::string> Subdirectories(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_UNKNOWN) {
      std::error_code ec;
      if (!std::filesystem::is_directory(dir / name, ec)) continue;
    }
    names.emplace_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string NameOf(const std::string& path) {
  if (std::string id = ContainerId(path); !id.empty()) return id.substr(0, 12);
  if (std::string unit = SystemdUnit(path); !unit.empty()) return unit;
  return path;
}

// The files of one leaf: kept open between passes (a pread per pass), or read once.
class LeafFiles {
 public:
  LeafFiles(const ProcRoot& root, const TreePath& dir) : root_(root), dir_(dir) {}

  Result<std::string_view> Read(std::string_view name, bool keep) {
    if (!keep) {
      auto content = ReadWholeFile(root_, dir_.tree, dir_.Child(name).relative, kSmallCap);
      if (!content) return content.error();
      scratch_ = std::move(content).value();
      return std::string_view(scratch_);
    }
    auto& file = files_[std::string(name)];
    if (!file)
      file = std::make_unique<KernelFile>(root_, dir_.tree, dir_.Child(name).relative, kSmallCap);
    return file->Read();
  }
  /// A kept file that was missing the last time (memory.current without the controller).
  bool Missing(std::string_view name) const {
    auto it = files_.find(std::string(name));
    return it != files_.end() && it->second->missing();
  }

  std::optional<TreePath> v1_memory;  // resolved memory.usage_in_bytes of its v1 memcg

 private:
  ProcRoot root_;
  TreePath dir_;
  std::string scratch_;
  std::map<std::string, std::unique_ptr<KernelFile>> files_;
};

struct Previous {
  std::int64_t monotonic_ns = 0;
  std::uint64_t cpu_usec = 0, memory_full_us = 0, memory_some_us = 0, io_full_us = 0,
                io_some_us = 0;
};

double Share(std::uint64_t now, std::uint64_t then, double seconds) {
  return now >= then && seconds > 0 ? static_cast<double>(now - then) / 1e6 / seconds : 0;
}

class CgroupCollector final : public Collector {
 public:
  CgroupCollector(const ProcRoot& root, const CollectorOptions& options)
      : root_(root), options_(options) {}

  std::string_view name() const override { return "cgroups"; }

  Status Collect(SystemSample& sample) override {
    sample.cgroups = {};
    if (!located_) Locate();
    if (!hierarchy_) return {};
    Cgroups& out = sample.cgroups;
    out.available = true;

    // Breadth-first, in name order: the leaves and how many cgroups there are.
    std::vector<std::string> leaves;
    std::deque<std::pair<std::string, std::size_t>> queue = {{"", 0}};
    while (!queue.empty()) {
      auto [relative, depth] = queue.front();
      queue.pop_front();
      const TreePath dir = relative.empty() ? *hierarchy_ : hierarchy_->Child(relative);
      std::vector<std::string> children;
      if (depth < options_.max_cgroup_depth) children = Subdirectories(root_.Path(dir));
      if (children.empty() && !relative.empty()) leaves.push_back(relative);
      for (const auto& child : children) {
        if (out.count >= options_.max_cgroups) {
          out.truncated = true;
          break;
        }
        ++out.count;
        queue.emplace_back(relative.empty() ? child : relative + "/" + child, depth + 1);
      }
    }

    const std::int64_t now = sample.clock.monotonic_ns;
    std::map<std::string, std::unique_ptr<LeafFiles>> kept;
    std::map<std::string, Previous> previous;
    std::vector<CgroupUsage> all;
    for (const auto& relative : leaves) {
      const bool keep = kept.size() < kKeptOpen;
      std::unique_ptr<LeafFiles> files;
      if (auto it = files_.find(relative); keep && it != files_.end()) {
        files = std::move(it->second);
      } else {
        files = std::make_unique<LeafFiles>(root_, hierarchy_->Child(relative));
      }
      CgroupUsage u = ReadLeaf(*files, "/" + relative, keep);
      if (auto it = previous_.find(u.path); it != previous_.end()) {
        const Previous& p = it->second;
        const double dt = static_cast<double>(now - p.monotonic_ns) / 1e9;
        u.cpu_ratio = Share(u.cpu_usec, p.cpu_usec, dt);
        u.memory_full_ratio = Share(u.memory_full_us, p.memory_full_us, dt);
        u.memory_some_ratio = Share(u.memory_some_us, p.memory_some_us, dt);
        u.io_full_ratio = Share(u.io_full_us, p.io_full_us, dt);
        u.io_some_ratio = Share(u.io_some_us, p.io_some_us, dt);
      }
      previous[u.path] = {now,          u.cpu_usec,  u.memory_full_us, u.memory_some_us,
                          u.io_full_us, u.io_some_us};
      if (keep) kept[relative] = std::move(files);
      all.push_back(std::move(u));
    }
    files_ = std::move(kept);  // leaves that went away close their files here
    previous_ = std::move(previous);

    auto top = [&](auto value, bool only_positive) {
      std::vector<const CgroupUsage*> ranked;
      for (const auto& u : all) {
        if (!only_positive || value(u) > 0) ranked.push_back(&u);
      }
      std::sort(ranked.begin(), ranked.end(), [&](const CgroupUsage* a, const CgroupUsage* b) {
        return value(*a) != value(*b) ? value(*a) > value(*b) : a->path < b->path;
      });
      std::vector<CgroupUsage> list;
      for (std::size_t i = 0; i < ranked.size() && i < options_.cgroup_top_n; ++i) {
        list.push_back(*ranked[i]);
      }
      return list;
    };
    out.top_memory = top(
        [](const CgroupUsage& u) { return static_cast<double>(u.memory_bytes.value_or(0)); }, true);
    out.top_memory_full = top([](const CgroupUsage& u) { return u.memory_full_ratio; }, true);
    out.top_io_full = top([](const CgroupUsage& u) { return u.io_full_ratio; }, true);
    if (options_.keep_all_cgroups) out.all = std::move(all);
    return {};
  }

 private:
  void Locate() {
    located_ = true;
    auto text = ReadWholeFile(root_, "proc", "self/mountinfo", 1 << 20);
    if (!text) return;
    auto mounts = ParseMountInfo(*text);
    if (const MountInfo* v2 = FindCgroup2(mounts)) hierarchy_ = CgroupDirectory(root_, *v2, "/");
    if (const MountInfo* v1 = FindCgroup1(mounts, "memory")) v1_memory_ = *v1;
  }

  CgroupUsage ReadLeaf(LeafFiles& files, std::string path, bool keep) {
    CgroupUsage u;
    u.name = NameOf(path);
    u.path = std::move(path);
    if (auto text = files.Read("cpu.stat", keep)) {
      u.cpu_usec = FlatKeyedValue(*text, "usage_usec").value_or(0);
    }
    bool all_pressure = true;
    using Totals = std::tuple<const char*, std::uint64_t*, std::uint64_t*>;
    for (auto [name, some, full] : {Totals{"cpu.pressure", &u.cpu_some_us, nullptr},
                                    Totals{"memory.pressure", &u.memory_some_us, &u.memory_full_us},
                                    Totals{"io.pressure", &u.io_some_us, &u.io_full_us}}) {
      auto text = files.Read(name, keep);
      auto parsed = text ? ParsePressure(*text) : Result<PsiResource>(text.error());
      if (!parsed) {
        all_pressure = false;
        continue;
      }
      if (parsed->some) *some = parsed->some->total_us;
      if (full != nullptr && parsed->full) *full = parsed->full->total_us;
    }
    u.pressure = all_pressure;
    if (!files.Missing("memory.current")) {
      if (auto text = files.Read("memory.current", keep)) {
        std::string_view rest = *text;
        u.memory_bytes = ParseNumber<std::uint64_t>(NextLine(rest).value_or(""));
        return u;
      }
    }
    u.memory_bytes = V1Memory(files);
    return u;
  }

  // Hybrid machines have the memory controller on v1: the memcg of the leaf's first process.
  std::optional<std::uint64_t> V1Memory(LeafFiles& files) {
    if (!v1_memory_) return std::nullopt;
    if (!files.v1_memory) {
      auto procs = files.Read("cgroup.procs", false);
      if (!procs) return std::nullopt;
      std::string_view rest = *procs;
      auto first = NextLine(rest);
      auto pid = first ? ParseNumber<std::int32_t>(*first) : std::nullopt;
      if (!pid) return std::nullopt;
      auto cgroup = ReadWholeFile(root_, "proc", std::to_string(*pid) + "/cgroup", kSmallCap);
      if (!cgroup) return std::nullopt;
      auto path = ParseProcCgroup(*cgroup).V1Path("memory");
      if (!path) return std::nullopt;
      auto dir = CgroupDirectory(root_, *v1_memory_, *path);
      if (!dir) return std::nullopt;
      files.v1_memory = dir->Child("memory.usage_in_bytes");
    }
    auto text = ReadWholeFile(root_, files.v1_memory->tree, files.v1_memory->relative, kSmallCap);
    if (!text) {
      files.v1_memory.reset();  // its process moved or exited: look again next pass
      return std::nullopt;
    }
    std::string_view rest = *text;
    return ParseNumber<std::uint64_t>(NextLine(rest).value_or(""));
  }

  ProcRoot root_;
  CollectorOptions options_;
  bool located_ = false;
  std::optional<TreePath> hierarchy_;
  std::optional<MountInfo> v1_memory_;
  std::map<std::string, std::unique_ptr<LeafFiles>> files_;  // by path below the root
  std::map<std::string, Previous> previous_;                 // by CgroupUsage::path
};

}  // namespace

CollectorList::value_type MakeCgroupCollector(const ProcRoot& root,
                                              const CollectorOptions& options) {
  return std::make_unique<CgroupCollector>(root, options);
}

}  // namespace rh::collectors
