#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "exporter/http_server.h"

namespace rh::exporter {

/// How a kill request ended (rogue_hunter_kill_requests_total{result}).
enum class KillResult : std::uint8_t {
  kTerminated,        ///< Exited after SIGTERM.
  kKilled,            ///< Exited after SIGKILL (forced, or the grace period ran out).
  kDisabled,          ///< process.kill_enabled is false.
  kUnauthorized,      ///< No or wrong credentials.
  kRateLimited,       ///< Too many failures from the address, or another kill under way.
  kBadRequest,        ///< Body, content type or pid not acceptable.
  kForbidden,         ///< Protected, outside the allowlist, the daemon itself, a wrong Host.
  kNotFound,          ///< No such process.
  kIdentityMismatch,  ///< The pid now names another process (start time or boot differs).
  kAuditFailed,       ///< The audit row could not be committed: nothing was signalled.
  kFailed,            ///< Signalling failed or the process did not exit.
};
/// Indexed by KillResult.
inline constexpr std::array<std::string_view, 11> kKillResultNames = {
    "terminated", "killed",    "disabled",          "unauthorized", "rate_limited", "bad_request",
    "forbidden",  "not_found", "identity_mismatch", "audit_failed", "failed"};
inline std::string_view Name(KillResult result) {
  return kKillResultNames[static_cast<std::size_t>(result)];
}

/// Counters of the HTTP side (server, authentication, kill action), for /metrics. Thread-safe:
/// anyone updates, the metrics page reads.
struct WebStats {
  HttpServerStats http;
  std::atomic<std::uint64_t> auth_failures{0};  ///< Requests refused for their credentials.
  std::atomic<std::uint64_t> rate_limited{0};   ///< Requests answered 429.
  std::array<std::atomic<std::uint64_t>, kKillResultNames.size()> kill_requests{};

  void Count(KillResult result) {
    kill_requests[static_cast<std::size_t>(result)].fetch_add(1, std::memory_order_relaxed);
  }
};

/// The rogue_hunter_http_* and rogue_hunter_kill_requests_total series of docs/metrics.md.
class WebMetrics final : public prometheus::Collectable {
 public:
  explicit WebMetrics(const WebStats& stats) : stats_(stats) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const WebStats& stats_;
};

}  // namespace rh::exporter
