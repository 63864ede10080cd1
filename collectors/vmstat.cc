#include "collectors/vmstat.h"

#include <array>
#include <limits>
#include <memory>
#include <string>

#include "collectors/text.h"

namespace rh::collectors {
namespace {

// Most of the ~200 lines are nr_*, numa_*, thp_*...: lines are skipped on their first letter
// unless a described counter starts with it.
struct FirstLetters {
  std::array<bool, 256> wanted{};
  FirstLetters() {
    for (const auto& f : kVmStatFields) {
      if (!f.source.empty()) wanted[static_cast<unsigned char>(f.source.front())] = true;
    }
  }
};

bool IsAllocStall(std::string_view name) {
  constexpr std::string_view kPrefix = "allocstall";
  return name.substr(0, kPrefix.size()) == kPrefix &&
         (name.size() == kPrefix.size() || name[kPrefix.size()] == '_');
}

class VmStatCollector final : public Collector {
 public:
  explicit VmStatCollector(const ProcRoot& root) : vmstat_(root, "proc", "vmstat") {}

  std::string_view name() const override { return "vmstat"; }

  Status Collect(SystemSample& sample) override {
    sample.vmstat = {};
    auto text = vmstat_.Read();
    if (!text) return text.error();
    auto parsed = ParseVmStat(*text);
    if (!parsed) return Error{vmstat_.path() + ": " + parsed.error().message};
    sample.vmstat = *parsed;
    return {};
  }

 private:
  KernelFile vmstat_;
};

}  // namespace

Result<VmStat> ParseVmStat(std::string_view text) {
  VmStat out;
  static const FirstLetters kFirst;
  std::size_t number = 0;
  std::string_view rest = text;
  while (auto line = NextLine(rest)) {
    ++number;
    if (line->empty() || !kFirst.wanted[static_cast<unsigned char>(line->front())]) continue;
    std::string_view fields = *line;
    std::string_view name = NextToken(fields);
    std::uint64_t VmStat::*member = nullptr;
    if (IsAllocStall(name)) {
      member = &VmStat::allocstall;
    } else if (const Field<VmStat>* field = FieldBySource(Fields(kVmStatFields), name)) {
      member = MemberOfType<std::uint64_t>(*field);
    }
    if (member == nullptr) continue;
    std::string_view token = NextToken(fields);
    auto value = ParseNumber<std::uint64_t>(token);
    if (!value) return BadToken(number, std::string(name) + " value", token);
    if (member == &VmStat::allocstall) {
      if (*value > std::numeric_limits<std::uint64_t>::max() - out.allocstall) {
        return BadToken(number, "allocstall sum (overflows)", token);
      }
      out.allocstall += *value;
    } else {
      out.*member = *value;
    }
  }
  if (number == 0) return Error{"empty file"};
  return out;
}

CollectorList::value_type MakeVmStatCollector(const ProcRoot& root) {
  return std::make_unique<VmStatCollector>(root);
}

}  // namespace rh::collectors
