#include "tests/fleet/stack_config.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>

namespace rh::test::fleet {
namespace {

Result<std::string> ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path.string()};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Status WriteAll(const std::filesystem::path& path, std::string_view text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return Error{"cannot create " + path.parent_path().string() + ": " + ec.message()};
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) return Error{"cannot write " + path.string()};
  return {};
}

// Replaces, line by line, every match of `pattern` ($1 kept, then `value`, then $2 kept).
// Returns how many lines were changed.
int ReplaceLines(std::string& text, const std::regex& pattern, const std::string& value) {
  std::istringstream in(text);
  std::string out;
  std::string line;
  int changed = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, pattern)) {
      line = m[1].str() + value + m[2].str();
      ++changed;
    }
    out += line;
    out += '\n';
  }
  text = std::move(out);
  return changed;
}

std::string YamlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += "'" + items[i] + "'";
  }
  return out + "]";
}

}  // namespace

Result<std::string> SubstitutePrometheusConfig(std::string_view text,
                                               const PrometheusSettings& settings) {
  struct Marker {
    const char* name;
    std::regex pattern;
    std::string value;
    int expected;
  };
  const Marker markers[] = {
      {"interval", std::regex(R"((\s*\w+:\s*)\S+(\s+# SUBSTITUTE: interval\b.*))"),
       settings.interval, 2},
      {"Alertmanager address",
       std::regex(R"((\s*- targets:\s*)\[[^\]]*\](\s+# SUBSTITUTE: Alertmanager address.*))"),
       YamlList({settings.alertmanager}), 1},
      {"rogue-hunter address",
       std::regex(R"((\s*- targets:\s*)\[[^\]]*\](\s+# SUBSTITUTE: rogue-hunter address.*))"),
       YamlList(settings.targets), 1},
  };
  std::string out(text);
  for (const Marker& marker : markers) {
    int changed = ReplaceLines(out, marker.pattern, marker.value);
    if (changed != marker.expected) {
      return Error{std::string("prometheus.yml: expected ") + std::to_string(marker.expected) +
                   " line(s) marked \"# SUBSTITUTE: " + marker.name + "\", found " +
                   std::to_string(changed)};
    }
  }
  return out;
}

Result<std::filesystem::path> WritePrometheusConfig(const std::filesystem::path& dir,
                                                    const std::filesystem::path& source_root,
                                                    const PrometheusSettings& settings) {
  const std::filesystem::path relative = "deploy/prometheus/prometheus.yml";
  Result<std::string> text = ReadAll(source_root / relative);
  if (!text) return text.error();
  Result<std::string> substituted = SubstitutePrometheusConfig(*text, settings);
  if (!substituted) return substituted.error();
  const std::filesystem::path config = dir / relative;
  if (Status written = WriteAll(config, *substituted); !written) return written.error();
  std::error_code ec;
  std::filesystem::create_directory_symlink(std::filesystem::absolute(source_root / "alerts"),
                                            dir / "alerts", ec);
  if (ec) return Error{"cannot link " + (dir / "alerts").string() + ": " + ec.message()};
  return config;
}

Result<std::string> SubstituteAlertmanagerWebhook(std::string_view text, std::string_view url) {
  std::string out(text);
  int changed =
      ReplaceLines(out, std::regex(R"((\s*- url: &webhook_url )\S+(.*))"), std::string(url));
  if (changed != 1) {
    return Error{"alertmanager.yml: expected one \"url: &webhook_url\" line, found " +
                 std::to_string(changed)};
  }
  return out;
}

Result<std::filesystem::path> WriteAlertmanagerConfig(const std::filesystem::path& dir,
                                                      const std::filesystem::path& source_root,
                                                      std::string_view url) {
  Result<std::string> text = ReadAll(source_root / "alerts/alertmanager.yml");
  if (!text) return text.error();
  Result<std::string> substituted = SubstituteAlertmanagerWebhook(*text, url);
  if (!substituted) return substituted.error();
  const std::filesystem::path config = dir / "alertmanager.yml";
  if (Status written = WriteAll(config, *substituted); !written) return written.error();
  return config;
}

}  // namespace rh::test::fleet
