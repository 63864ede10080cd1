#include "collectors/loadavg.h"

#include <unistd.h>

#include <memory>
#include <string>

#include "collectors/text.h"

namespace rh::collectors {
namespace {

class LoadAvgCollector final : public Collector {
 public:
  explicit LoadAvgCollector(const ProcRoot& root)
      : loadavg_(root, "proc", "loadavg"), online_(root, "sys", "devices/system/cpu/online") {}

  std::string_view name() const override { return "loadavg"; }

  Status Collect(SystemSample& sample) override {
    auto text = loadavg_.Read();
    if (!text) return text.error();
    auto parsed = ParseLoadAvg(*text);
    if (!parsed) return Error{loadavg_.path() + ": " + parsed.error().message};

    std::uint32_t online = 0;
    if (auto cpus = online_.Read(); cpus.ok()) {
      auto count = ParseCpuList(*cpus);
      if (!count) return Error{online_.path() + ": " + count.error().message};
      online = *count;
    } else {
      long n = sysconf(_SC_NPROCESSORS_ONLN);
      online = n > 0 ? static_cast<std::uint32_t>(n) : 1;
    }
    sample.loadavg = *parsed;
    sample.loadavg.online_cpus = online;
    return {};
  }

 private:
  KernelFile loadavg_;
  KernelFile online_;
};

}  // namespace

Result<LoadAvg> ParseLoadAvg(std::string_view text) {
  std::string_view rest = text.substr(0, text.find('\n'));
  LoadAvg out;
  double* loads[] = {&out.load1, &out.load5, &out.load15};
  for (double* load : loads) {
    std::string_view token = NextToken(rest);
    auto value = ParseNumber<double>(token);
    if (!value || *value < 0) return Error{"bad load average '" + std::string(token) + "'"};
    *load = *value;
  }
  std::string_view entities = NextToken(rest);
  std::size_t slash = entities.find('/');
  auto runnable = ParseNumber<std::uint32_t>(entities.substr(0, slash));
  auto existing = slash == std::string_view::npos
                      ? std::nullopt
                      : ParseNumber<std::uint32_t>(entities.substr(slash + 1));
  if (!runnable || !existing) {
    return Error{"bad runnable/existing field '" + std::string(entities) + "'"};
  }
  out.runnable = *runnable;
  out.entities = *existing;
  std::string_view last_pid = NextToken(rest);
  auto pid = ParseNumber<std::int64_t>(last_pid);
  if (!pid) return Error{"bad last pid '" + std::string(last_pid) + "'"};
  out.last_pid = *pid;
  return out;
}

Result<std::uint32_t> ParseCpuList(std::string_view text) {
  std::string_view rest = text.substr(0, text.find('\n'));
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (rest.empty()) return Error{"empty CPU list"};
  std::uint32_t count = 0;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view range = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    std::size_t dash = range.find('-');
    auto first = ParseNumber<std::uint32_t>(range.substr(0, dash));
    auto last =
        dash == std::string_view::npos ? first : ParseNumber<std::uint32_t>(range.substr(dash + 1));
    if (!first || !last || *last < *first) {
      return Error{"bad CPU range '" + std::string(range) + "'"};
    }
    count += *last - *first + 1;
  }
  return count;
}

CollectorList::value_type MakeLoadAvgCollector(const ProcRoot& root) {
  return std::make_unique<LoadAvgCollector>(root);
}

}  // namespace rh::collectors
