#include "collectors/stat.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <type_traits>
#include <variant>

#include "collectors/text.h"

namespace rh::collectors {
namespace {

bool IsPerCpuLine(std::string_view key) {
  if (key.size() <= 3 || key.substr(0, 3) != "cpu") return false;
  for (char c : key.substr(3)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses the first number after `key` on a line of /proc/stat into the described member.
Status ParseValue(const Field<CpuStat>& field, std::string_view rest, std::size_t line,
                  CpuStat& out) {
  std::string_view token = NextToken(rest);
  bool ok = std::visit(
      [&](auto member) {
        using T = std::remove_reference_t<decltype(out.*member)>;
        if constexpr (std::is_same_v<T, bool>) {
          return false;
        } else {
          auto value = ParseNumber<T>(token);
          if (value) out.*member = *value;
          return value.has_value();
        }
      },
      field.member);
  if (!ok) return BadToken(line, std::string(field.source) + " value", token);
  return {};
}

class StatCollector final : public Collector {
 public:
  StatCollector(const ProcRoot& root, long ticks_per_second)
      : stat_(root, "proc", "stat"), ticks_per_second_(ticks_per_second) {}

  std::string_view name() const override { return "stat"; }

  Status Collect(SystemSample& sample) override {
    sample.stat = {};
    auto text = stat_.Read();
    if (!text) return text.error();
    auto parsed = ParseStat(*text, ticks_per_second_);
    if (!parsed) return Error{stat_.path() + ": " + parsed.error().message};
    sample.stat = *parsed;
    return {};
  }

 private:
  KernelFile stat_;
  long ticks_per_second_;
};

}  // namespace

Result<CpuStat> ParseStat(std::string_view text, long ticks_per_second) {
  if (ticks_per_second <= 0) {
    return Error{"bad clock ticks per second " + std::to_string(ticks_per_second)};
  }
  const double hz = static_cast<double>(ticks_per_second);
  CpuStat out;
  bool have_total = false;
  std::size_t number = 0;
  std::string_view rest = text;
  while (auto line = NextLine(rest)) {
    ++number;
    std::string_view fields = *line;
    std::string_view key = NextToken(fields);
    if (key == "cpu") {
      double* columns[] = {&out.total.user,      &out.total.nice,   &out.total.system,
                           &out.total.idle,      &out.total.iowait, &out.total.irq,
                           &out.total.softirq,   &out.total.steal,  &out.total.guest,
                           &out.total.guest_nice};
      out.total = {};
      std::size_t count = 0;
      for (double* column : columns) {
        std::string_view token = NextToken(fields);
        if (token.empty()) break;
        auto ticks = ParseNumber<std::uint64_t>(token);
        if (!ticks) return BadToken(number, "cpu column " + std::to_string(count + 1), token);
        *column = static_cast<double>(*ticks) / hz;
        ++count;
      }
      if (count < 4) {
        return Error{"line " + std::to_string(number) + ": cpu line has " + std::to_string(count) +
                     " columns, expected at least 4"};
      }
      have_total = true;
    } else if (IsPerCpuLine(key)) {
      ++out.cpu_lines;
    } else if (const Field<CpuStat>* field = FieldBySource(Fields(kCpuStatFields), key)) {
      if (Status s = ParseValue(*field, fields, number, out); !s) return s.error();
    }
  }
  if (!have_total) return Error{"no aggregate 'cpu' line"};
  return out;
}

CollectorList::value_type MakeStatCollector(const ProcRoot& root, const CollectorOptions& options) {
  long ticks = options.clock_ticks_per_second;
  if (ticks <= 0) ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) ticks = 100;
  return std::make_unique<StatCollector>(root, ticks);
}

}  // namespace rh::collectors
