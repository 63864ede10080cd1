#include "exporter/api/api.h"

namespace rh::exporter::api {

std::vector<Route> ApiRoutes(ApiContext& c) {
  auto bind = [&c](HttpResponse (*handler)(ApiContext&, ApiRequest&)) -> ApiHandler {
    return [&c, handler](ApiRequest& r) { return handler(c, r); };
  };
  return {
      {"GET", "/api/status", bind(GetStatus)},
      {"GET", "/api/processes", bind(ListProcesses)},
      {"GET", "/api/processes/{pid}", bind(GetProcess)},
      {"GET", "/api/processes/{pid}/history", bind(GetProcessHistory)},
      {"GET", "/api/processes/{pid}/tree", bind(GetProcessTree)},
      {"POST", "/api/processes/{pid}/kill", bind(KillProcess)},
      {"GET", "/api/events", bind(ListEvents)},
      {"GET", "/api/events/{id}", bind(GetEvent)},
  };
}

std::optional<std::int32_t> ParsePid(std::string_view text) {
  auto pid = ParseInteger(text, 1, 1 << 22);
  if (!pid) return std::nullopt;
  return static_cast<std::int32_t>(*pid);
}

Result<forensics::ReaderPool::Lease> OpenHistory(const ApiContext& c, HttpResponse* refusal) {
  if (c.history == nullptr) {
    *refusal = JsonError(503, "the history is off (storage.enabled = false)");
    return Error{"storage disabled"};
  }
  auto lease = c.history->Acquire();
  if (!lease.ok()) *refusal = JsonError(503, "the history database cannot be read");
  return lease;
}

ProcessJson MakeProcessJson(const ApiContext& c, const std::shared_ptr<const Snapshot>& snapshot) {
  return ProcessJson(snapshot.get(), c.clock.Now(), c.config.process.redact_arguments, c.salt);
}

}  // namespace rh::exporter::api
