#pragma once

#include <string_view>

#include "base/clock.h"
#include "exporter/api/status.h"
#include "exporter/http_server.h"
#include "exporter/metrics.h"
#include "exporter/snapshot.h"

namespace rh::exporter {

/// What the web handler serves from. All referenced objects must outlive the handler.
struct WebContext {
  MetricsPage& metrics;
  const SnapshotHub& snapshots;
  const Clock& clock;
  double stale_after_seconds;  ///< /healthz fails when the last sample is older than this.
  const api::StatusBoard* status = nullptr;  ///< GET /api/status; 404 when null.
};

/// Routes: GET|HEAD /, /metrics, /healthz, /api/status; any other path is 404, any other method
/// 405.
HttpHandler MakeWebHandler(WebContext context);

/// Whether an Accept-Encoding header value allows gzip (a "gzip" or "*" token without q=0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace rh::exporter
