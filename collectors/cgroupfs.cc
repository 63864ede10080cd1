#include "collectors/cgroupfs.h"

#include "collectors/text.h"

namespace rh::collectors {
namespace {

// Undoes the octal escapes of mountinfo paths (\040 space, \011 tab, \012 newline, \134 '\').
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      std::string_view digits = s.substr(i + 1, 3);
      bool octal = digits.size() == 3;
      for (char c : digits) octal = octal && c >= '0' && c <= '7';
      if (octal) {
        out +=
            static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool HasOption(std::string_view options, std::string_view wanted) {
  while (!options.empty()) {
    std::size_t comma = options.find(',');
    if (options.substr(0, comma) == wanted) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return !s.empty();
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    if (slash != 0) parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

std::string SystemdUnit(std::string_view cgroup_path) {
  std::string unit;
  for (std::string_view part : Components(cgroup_path)) {
    if (part.ends_with(".service") || part.ends_with(".scope")) unit = std::string(part);
  }
  return unit;
}

std::string ContainerId(std::string_view cgroup_path) {
  std::string id;
  for (std::string_view part : Components(cgroup_path)) {
    std::string_view p = part;
    if (p.ends_with(".scope")) p.remove_suffix(6);
    for (std::string_view prefix :
         {"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-"}) {
      if (p.starts_with(prefix)) {
        p.remove_prefix(prefix.size());
        break;
      }
    }
    if (p.size() == 64 && IsHex(p)) id = std::string(p);
  }
  return id;
}

std::vector<MountInfo> ParseMountInfo(std::string_view text) {
  std::vector<MountInfo> out;
  std::string_view rest = text;
  while (auto line = NextLine(rest)) {
    std::string_view fields = *line;
    std::string_view tokens[6];
    bool complete = true;
    for (auto& t : tokens) {
      t = NextToken(fields);
      complete = complete && !t.empty();
    }
    if (!complete) continue;
    // Optional fields until the lone "-".
    std::string_view token = tokens[5];
    do {
      token = NextToken(fields);
    } while (!token.empty() && token != "-");
    if (token != "-") continue;
    std::string_view fstype = NextToken(fields);
    std::string_view source = NextToken(fields);
    std::string_view super_options = NextToken(fields);
    if (fstype.empty() || source.empty()) continue;
    out.push_back({Unescape(tokens[3]), Unescape(tokens[4]), std::string(fstype),
                   std::string(super_options)});
  }
  return out;
}

const MountInfo* FindCgroup2(const std::vector<MountInfo>& mounts) {
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup2") return &m;
  }
  return nullptr;
}

const MountInfo* FindCgroup1(const std::vector<MountInfo>& mounts, std::string_view controller) {
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup" && HasOption(m.super_options, controller)) return &m;
  }
  return nullptr;
}

std::optional<std::string> ProcCgroups::V1Path(std::string_view controller) const {
  for (const auto& [controllers, path] : v1) {
    if (HasOption(controllers, controller)) return path;
  }
  return std::nullopt;
}

ProcCgroups ParseProcCgroup(std::string_view text) {
  ProcCgroups out;
  std::string_view rest = text;
  while (auto line = NextLine(rest)) {
    std::size_t first = line->find(':');
    if (first == std::string_view::npos) continue;
    std::size_t second = line->find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view id = line->substr(0, first);
    std::string_view controllers = line->substr(first + 1, second - first - 1);
    std::string_view path = line->substr(second + 1);
    if (path.empty() || path.front() != '/') continue;
    if (id == "0" && controllers.empty()) {
      out.unified = std::string(path);
    } else if (!controllers.empty()) {
      out.v1.emplace_back(std::string(controllers), std::string(path));
    }
  }
  return out;
}

std::optional<TreePath> CgroupDirectory(const ProcRoot& root, const MountInfo& m,
                                        std::string_view path) {
  std::string_view relative = path;
  if (m.root != "/") {
    if (!relative.starts_with(m.root)) return std::nullopt;
    relative.remove_prefix(m.root.size());
    if (!relative.empty() && relative.front() != '/') return std::nullopt;
  }
  // "..": a path the kernel shows outside our cgroup namespace; never walk up.
  if (relative.find("/..") != std::string_view::npos) return std::nullopt;
  auto mount = root.Locate(m.mount_point);
  if (!mount) return std::nullopt;
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  return relative.empty() ? *mount : mount->Child(relative);
}

std::optional<std::uint64_t> FlatKeyedValue(std::string_view text, std::string_view key) {
  std::string_view rest = text;
  while (auto line = NextLine(rest)) {
    std::string_view fields = *line;
    if (NextToken(fields) != key) continue;
    return ParseNumber<std::uint64_t>(NextToken(fields));
  }
  return std::nullopt;
}

std::optional<double> ParseCpuThrottledSeconds(std::string_view text) {
  if (auto usec = FlatKeyedValue(text, "throttled_usec")) return static_cast<double>(*usec) / 1e6;
  if (auto nsec = FlatKeyedValue(text, "throttled_time")) return static_cast<double>(*nsec) / 1e9;
  return std::nullopt;
}

std::optional<double> ParseSchedstatRunDelay(std::string_view text) {
  std::string_view fields = text;
  if (NextToken(fields).empty()) return std::nullopt;
  std::string_view delay = NextToken(fields);
  while (!delay.empty() && (delay.back() == '\n')) delay.remove_suffix(1);
  auto ns = ParseNumber<std::uint64_t>(delay);
  if (!ns) return std::nullopt;
  return static_cast<double>(*ns) / 1e9;
}

}  // namespace rh::collectors
