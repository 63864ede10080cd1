#include "collectors/thermal.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "collectors/text.h"

namespace rh::collectors {
namespace {

std::string_view TrimNewline(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Compares digit runs by value, everything else byte by byte: "zone2" < "zone10".
bool NaturalLess(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (IsDigit(a[i]) && IsDigit(b[j])) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && IsDigit(a[ei])) ++ei;
      while (ej < b.size() && IsDigit(b[ej])) ++ej;
      std::string_view na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      na.remove_prefix(std::min(na.find_first_not_of('0'), na.size()));
      nb.remove_prefix(std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// Names in `directory` accepted by `keep`, sorted naturally. A missing directory lists nothing.
Result<std::vector<std::string>> ListNames(const std::string& directory,
                                           bool (*keep)(std::string_view)) {
  std::vector<std::string> names;
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return names;
    return Error{directory + ": " + std::strerror(errno)};
  }
  while (const dirent* entry = readdir(dir)) {
    if (keep(entry->d_name)) names.emplace_back(entry->d_name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end(), NaturalLess);
  return names;
}

bool IsZone(std::string_view name) { return name.substr(0, 12) == "thermal_zone"; }

bool IsCpu(std::string_view name) {
  return name.size() > 3 && name.substr(0, 3) == "cpu" &&
         std::all_of(name.begin() + 3, name.end(), IsDigit);
}

bool Exists(const std::filesystem::path& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class ThermalCollector final : public Collector {
 public:
  explicit ThermalCollector(const ProcRoot& root) : root_(root) {}

  std::string_view name() const override { return "thermal"; }

  Status Collect(SystemSample& sample) override {
    Status status = Pass(sample.thermal);
    if (status.ok() && rescan_) status = Pass(sample.thermal);
    if (!status.ok()) sample.thermal = {};
    return status;
  }

 private:
  struct Zone {
    std::string zone;
    std::string type;
    std::unique_ptr<KernelFile> temp;
  };
  struct Cpu {
    std::unique_ptr<KernelFile> core;  // null when the CPU has no such counter
    std::unique_ptr<KernelFile> package;
  };

  Status Pass(Thermal& out) {
    if (!scanned_ || rescan_) {
      if (Status s = Scan(); !s.ok()) return s;
    }
    out.zones.clear();
    for (Zone& zone : zones_) {
      auto text = zone.temp->Read();
      if (!text) {
        NoteFailure(*zone.temp);
        continue;
      }
      auto celsius = ParseThermalTemp(*text);
      if (!celsius) return Error{zone.temp->path() + ": " + celsius.error().message};
      out.zones.push_back(ThermalZone{zone.zone, zone.type, *celsius});
    }
    out.throttle_counters = !cpus_.empty();
    out.core_throttles = 0;
    out.package_throttles = 0;
    for (Cpu& cpu : cpus_) {
      if (auto core = ReadCount(cpu.core.get()); !core) {
        return core.error();
      } else if (core->has_value()) {
        std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
        out.core_throttles = **core > max - out.core_throttles ? max : out.core_throttles + **core;
      }
      if (auto package = ReadCount(cpu.package.get()); !package) {
        return package.error();
      } else if (package->has_value()) {
        out.package_throttles = std::max(out.package_throttles, **package);
      }
    }
    return {};
  }

  // A read failed. Sensors that are asleep or broken fail with EINVAL, ENODATA or EAGAIN and stay;
  // a sysfs file whose object was removed fails with ENODEV on the open descriptor and then no
  // longer exists: only that asks for a rescan.
  void NoteFailure(const KernelFile& file) {
    if (file.missing() || !Exists(file.path())) rescan_ = true;
  }

  // The counter's value; nullopt when there is none or it cannot be read (a missing file asks
  // for a rescan); an error when it is garbled.
  Result<std::optional<std::uint64_t>> ReadCount(KernelFile* file) {
    if (file == nullptr) return std::optional<std::uint64_t>();
    auto text = file->Read();
    if (!text) {
      NoteFailure(*file);
      return std::optional<std::uint64_t>();
    }
    auto count = ParseThrottleCount(*text);
    if (!count) return Error{file->path() + ": " + count.error().message};
    return std::optional<std::uint64_t>(*count);
  }

  Status Scan() {
    scanned_ = true;
    rescan_ = false;
    zones_.clear();
    cpus_.clear();
    auto zones = ListNames(root_.Sys("class/thermal").string(), IsZone);
    if (!zones) return zones.error();
    for (const std::string& name : *zones) {
      const std::string dir = "class/thermal/" + name;
      // Without a temp file now, a zone would ask for a rescan on every pass.
      if (!Exists(root_.Sys(dir + "/temp"))) continue;
      Zone zone;
      zone.zone = name;
      if (auto type = ReadWholeFile(root_, "sys", dir + "/type"); type.ok()) {
        zone.type = std::string(TrimNewline(*type));
      }
      zone.temp = std::make_unique<KernelFile>(root_, "sys", dir + "/temp");
      zones_.push_back(std::move(zone));
    }
    auto cpus = ListNames(root_.Sys("devices/system/cpu").string(), IsCpu);
    if (!cpus) return cpus.error();
    for (const std::string& name : *cpus) {
      const std::string dir = "devices/system/cpu/" + name + "/thermal_throttle/";
      Cpu cpu;
      if (Exists(root_.Sys(dir + "core_throttle_count"))) {
        cpu.core = std::make_unique<KernelFile>(root_, "sys", dir + "core_throttle_count");
      }
      if (Exists(root_.Sys(dir + "package_throttle_count"))) {
        cpu.package = std::make_unique<KernelFile>(root_, "sys", dir + "package_throttle_count");
      }
      if (cpu.core || cpu.package) cpus_.push_back(std::move(cpu));
    }
    return {};
  }

  ProcRoot root_;
  std::vector<Zone> zones_;
  std::vector<Cpu> cpus_;
  bool scanned_ = false;
  bool rescan_ = false;
};

}  // namespace

Result<double> ParseThermalTemp(std::string_view text) {
  std::string_view token = TrimNewline(text);
  auto millidegrees = ParseNumber<std::int64_t>(token);
  if (!millidegrees) return BadToken(1, "temperature", token);
  return static_cast<double>(*millidegrees) / 1000.0;
}

Result<std::uint64_t> ParseThrottleCount(std::string_view text) {
  std::string_view token = TrimNewline(text);
  auto count = ParseNumber<std::uint64_t>(token);
  if (!count) return BadToken(1, "throttle count", token);
  return *count;
}

CollectorList::value_type MakeThermalCollector(const ProcRoot& root) {
  return std::make_unique<ThermalCollector>(root);
}

}  // namespace rh::collectors
