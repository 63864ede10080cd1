#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "exporter/api/process_view.h"
#include "exporter/api/router.h"
#include "exporter/auth.h"
#include "exporter/snapshot.h"
#include "exporter/web_metrics.h"
#include "forensics/reader_pool.h"
#include "forensics/store.h"

namespace rh::exporter {
class ProcessKiller;
}  // namespace rh::exporter

namespace rh::exporter::api {

class StatusBoard;

/// What the JSON API's handlers read and act on. Everything referenced outlives the handlers.
struct ApiContext {
  const SnapshotHub& snapshots;
  const Clock& clock;
  const config::Config& config;
  ProcessReader& reader;
  std::string salt;     ///< Redaction of arguments; never shown.
  std::string boot_id;  ///< This boot's; empty when unknown.
  WebStats& stats;
  Authenticator& auth;
  ProcessKiller* killer = nullptr;      ///< Null when the history (and so the audit) is off.
  std::vector<std::string> kill_hosts;  ///< Host headers the kill action accepts.
  const StatusBoard* status = nullptr;  ///< GET /api/status; 404 when null.
  /// Read-only connections to the history; null when the history is off.
  forensics::ReaderPool* history = nullptr;
};

/// The API's routes, one line each. docs/api.md documents every one.
std::vector<Route> ApiRoutes(ApiContext& context);

// The handlers, one file per resource.
HttpResponse GetStatus(ApiContext& c, ApiRequest& r);          // status.cc
HttpResponse ListProcesses(ApiContext& c, ApiRequest& r);      // processes.cc
HttpResponse GetProcess(ApiContext& c, ApiRequest& r);         // processes.cc
HttpResponse GetProcessTree(ApiContext& c, ApiRequest& r);     // processes.cc
HttpResponse GetProcessHistory(ApiContext& c, ApiRequest& r);  // history.cc
HttpResponse KillProcess(ApiContext& c, ApiRequest& r);        // kill.cc
HttpResponse ListEvents(ApiContext& c, ApiRequest& r);         // events.cc
HttpResponse GetEvent(ApiContext& c, ApiRequest& r);           // events.cc

/// A pid of the path: 1 to 4194304 (the kernel's PID_MAX_LIMIT), digits only.
std::optional<std::int32_t> ParsePid(std::string_view text);

/// A read-only connection to the history database for one request (from the pool), or the 503
/// response that says why there is none.
Result<forensics::ReaderPool::Lease> OpenHistory(const ApiContext& c, HttpResponse* refusal);

/// A ProcessJson over the latest snapshot.
ProcessJson MakeProcessJson(const ApiContext& c, const std::shared_ptr<const Snapshot>& snapshot);

}  // namespace rh::exporter::api
