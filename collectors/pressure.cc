#include "collectors/pressure.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "collectors/text.h"

namespace rh::collectors {
namespace {

// KernelFile reports errors as "<path>: <strerror>". PSI answers EOPNOTSUPP when it is disabled
// at boot, and for irq when IRQ time accounting is off, although the file exists (Linux 6.15+).
bool IsNotSupported(const Error& error) {
  std::string_view message = error.message;
  std::string_view suffix = std::strerror(EOPNOTSUPP);
  return message.size() >= suffix.size() &&
         message.substr(message.size() - suffix.size()) == suffix;
}

Result<PsiLine> ParsePsiLine(std::string_view fields, std::size_t line) {
  PsiLine out;
  bool seen[4] = {};
  while (true) {
    std::string_view token = NextToken(fields);
    if (token.empty()) break;
    std::size_t eq = token.find('=');
    std::string_view key = token.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : token.substr(eq + 1);
    int index = key == "avg10"    ? 0
                : key == "avg60"  ? 1
                : key == "avg300" ? 2
                : key == "total"  ? 3
                                  : -1;
    if (index < 0) continue;  // a field added by a future kernel
    if (index == 3) {
      auto total = ParseNumber<std::uint64_t>(value);
      if (!total) return BadToken(line, "total", token);
      out.total_us = *total;
    } else {
      auto avg = ParseNumber<double>(value);
      if (!avg || *avg < 0) return BadToken(line, std::string(key), token);
      (index == 0 ? out.avg10 : index == 1 ? out.avg60 : out.avg300) = *avg;
    }
    seen[index] = true;
  }
  static constexpr const char* kNames[] = {"avg10", "avg60", "avg300", "total"};
  for (int i = 0; i < 4; ++i) {
    if (!seen[i]) return Error{"line " + std::to_string(line) + ": missing " + kNames[i]};
  }
  return out;
}

class PressureCollector final : public Collector {
 public:
  explicit PressureCollector(const ProcRoot& root)
      : files_{{{root, "proc", "pressure/cpu"},
                {root, "proc", "pressure/io"},
                {root, "proc", "pressure/memory"},
                {root, "proc", "pressure/irq"}}} {}

  std::string_view name() const override { return "pressure"; }

  Status Collect(SystemSample& sample) override {
    sample.pressure = {};
    Pressure out;
    for (std::size_t i = 0; i < files_.size(); ++i) {
      // PSI files are created at boot and never appear later, and whether the kernel supports
      // them does not change either: once absent, stop asking.
      if (absent_[i]) continue;
      auto text = files_[i].Read();
      if (!text) {
        if (files_[i].missing() || IsNotSupported(text.error())) {
          absent_[i] = true;
          continue;
        }
        return text.error();
      }
      auto parsed = ParsePressure(*text);
      if (!parsed) return Error{files_[i].path() + ": " + parsed.error().message};
      out.resources[i] = *parsed;
    }
    sample.pressure = out;
    return {};
  }

 private:
  std::array<KernelFile, 4> files_;
  std::array<bool, 4> absent_ = {};
};

}  // namespace

Result<PsiResource> ParsePressure(std::string_view text) {
  PsiResource out;
  std::size_t number = 0;
  std::string_view rest = text;
  while (auto line = NextLine(rest)) {
    ++number;
    std::string_view fields = *line;
    std::string_view kind = NextToken(fields);
    if (kind != "some" && kind != "full") continue;
    auto parsed = ParsePsiLine(fields, number);
    if (!parsed) return parsed.error();
    (kind == "some" ? out.some : out.full) = *parsed;
  }
  if (!out.some) return Error{"no 'some' line"};
  out.available = true;
  return out;
}

CollectorList::value_type MakePressureCollector(const ProcRoot& root) {
  return std::make_unique<PressureCollector>(root);
}

}  // namespace rh::collectors
