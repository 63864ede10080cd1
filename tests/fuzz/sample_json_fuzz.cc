// Fuzz target: a sampler pass read back from JSON (samples.jsonl and capture.json lines), and
// written again when it parses: a pass read back must convert without faults.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "forensics/json_read.h"
#include "forensics/sample_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // As rh-forensics reads it: the bounded reader (depth, numbers out of range) first.
  auto read = rh::forensics::ParseJson(std::string_view(reinterpret_cast<const char*>(data), size),
                                       "samples.jsonl");
  if (!read.ok()) return 0;
  const nlohmann::json& json = *read;
  auto pass = rh::forensics::ScoredSampleFromJson(json);
  if (pass.ok()) (void)rh::forensics::ToJson(*pass).dump();
  auto sample = rh::forensics::SystemSampleFromJson(json);
  if (sample.ok()) (void)rh::forensics::ToJson(*sample).dump();
  (void)rh::forensics::ParseRfc3339(json.is_string() ? json.get<std::string>() : std::string());
  return 0;
}
