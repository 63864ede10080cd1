#include "collectors/meminfo.h"

#include <limits>
#include <memory>
#include <string>

#include "collectors/text.h"

namespace rh::collectors {
namespace {

class MemInfoCollector final : public Collector {
 public:
  explicit MemInfoCollector(const ProcRoot& root) : meminfo_(root, "proc", "meminfo") {}

  std::string_view name() const override { return "meminfo"; }

  Status Collect(SystemSample& sample) override {
    sample.meminfo = {};
    auto text = meminfo_.Read();
    if (!text) return text.error();
    auto parsed = ParseMemInfo(*text);
    if (!parsed) return Error{meminfo_.path() + ": " + parsed.error().message};
    sample.meminfo = *parsed;
    return {};
  }

 private:
  KernelFile meminfo_;
};

}  // namespace

Result<MemInfo> ParseMemInfo(std::string_view text) {
  MemInfo out;
  bool have_total = false;
  bool have_available = false;
  std::size_t number = 0;
  std::string_view rest = text;
  while (auto line = NextLine(rest)) {
    ++number;
    std::size_t colon = line->find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line->substr(0, colon);
    const Field<MemInfo>* field = FieldBySource(Fields(kMemInfoFields), key);
    std::uint64_t MemInfo::*member =
        field == nullptr ? nullptr : MemberOfType<std::uint64_t>(*field);
    if (member == nullptr) continue;
    std::string_view fields = line->substr(colon + 1);
    std::string_view token = NextToken(fields);
    auto kib = ParseNumber<std::uint64_t>(token);
    if (!kib) return BadToken(number, std::string(key) + " value", token);
    std::string_view unit = NextToken(fields);
    if (unit != "kB") return BadToken(number, std::string(key) + " unit", unit);
    if (*kib > std::numeric_limits<std::uint64_t>::max() / 1024) {
      return BadToken(number, std::string(key) + " value (overflows bytes)", token);
    }
    out.*member = *kib * 1024;
    have_total = have_total || member == &MemInfo::total;
    have_available = have_available || member == &MemInfo::available;
  }
  if (!have_total) return Error{"no MemTotal line"};
  if (!have_available) {
    std::uint64_t sum = out.free;
    for (std::uint64_t part : {out.buffers, out.cached}) {
      sum = part > std::numeric_limits<std::uint64_t>::max() - sum
                ? std::numeric_limits<std::uint64_t>::max()
                : sum + part;
    }
    out.available = sum;
    out.available_estimated = true;
  }
  return out;
}

CollectorList::value_type MakeMemInfoCollector(const ProcRoot& root) {
  return std::make_unique<MemInfoCollector>(root);
}

}  // namespace rh::collectors
