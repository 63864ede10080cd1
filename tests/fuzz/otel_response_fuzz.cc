// Fuzz target: what an OpenTelemetry collector or an Alertmanager sends back, and the OTLP
// environment variables. The first byte picks the input ('0' an ExportLogsServiceResponse body,
// '1' a Retry-After header value, '2' a key=value list as in OTEL_EXPORTER_OTLP_HEADERS and
// OTEL_RESOURCE_ATTRIBUTES); the rest is its text.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/otel/log_records.h"
#include "exporter/otel/retry.h"
#include "exporter/otel/settings.h"

namespace otel = rh::exporter::otel;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      if (auto partial = otel::ParsePartialSuccess(text)) (void)partial->message.size();
      break;
    case 1:
      // A fixed "now" (2026-11-29) so that HTTP-dates are taken relative to a real time.
      (void)otel::ParseRetryAfter(text, 1'795'910'400'000'000'000);
      break;
    default:
      if (auto pairs = otel::ParseKeyValueList(text); pairs.ok()) (void)pairs->size();
      break;
  }
  return 0;
}
