// Fuzz target: a sampler pass read back from JSON (samples.jsonl and capture.json lines), and
// written again when it parses: a pass read back must convert without faults.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "forensics/sample_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  auto pass = rh::forensics::ScoredSampleFromJson(json);
  if (pass.ok()) (void)rh::forensics::ToJson(*pass).dump();
  auto sample = rh::forensics::SystemSampleFromJson(json);
  if (sample.ok()) (void)rh::forensics::ToJson(*sample).dump();
  (void)rh::forensics::ParseRfc3339(json.is_string() ? json.get<std::string>() : std::string());
  return 0;
}
