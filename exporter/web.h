#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "collectors/proc_root.h"
#include "config/config.h"
#include "exporter/api/api.h"
#include "exporter/api/router.h"
#include "exporter/auth.h"
#include "exporter/handler_pool.h"
#include "exporter/http_server.h"
#include "exporter/metrics.h"
#include "exporter/process_killer.h"
#include "exporter/snapshot.h"
#include "exporter/web_config.h"
#include "exporter/web_metrics.h"

namespace rh::exporter {

/// What the web handler serves from. All referenced objects must outlive the handler.
struct WebContext {
  MetricsPage& metrics;
  const SnapshotHub& snapshots;
  const Clock& clock;
  double stale_after_seconds;          ///< /healthz fails when the last sample is older than this.
  WebStats* stats = nullptr;           ///< Counts refused logins; may be null.
  Authenticator* auth = nullptr;       ///< Null: no authentication at all.
  const api::Router* api = nullptr;    ///< The JSON API under /api/; null: not served.
  HandlerPool* api_threads = nullptr;  ///< Where API handlers run; null: on the caller's thread.
};

/// The daemon's HTTP handler:
///  - a path must be well-formed (no empty, "." or ".." segment, no byte outside
///    [A-Za-z0-9._~:-] besides the slashes): anything else is 400;
///  - with basic_auth_users, every request authenticates (401 otherwise; 429 while the address is
///    blocked after repeated failures) except the kill action, which checks its own credentials;
///  - GET|HEAD /, /metrics, /healthz; /api/... goes to the API router; any other path is 404,
///    any other method 405.
HttpHandler MakeWebHandler(WebContext context);

/// Whether an Accept-Encoding header value allows gzip (a "gzip" or "*" token without q=0).
bool AcceptsGzip(std::string_view accept_encoding);

/// Whether a request path is well-formed as MakeWebHandler() requires.
bool WellFormedPath(std::string_view path);

/// The HTTP side's settings read from files: the web-config file (http.web_config_file or
/// --web.config.file) and the kill action's token, plus the Host names the kill action accepts.
struct WebSettings {
  WebConfig web;
  std::string kill_token;
  std::vector<std::string> kill_hosts;
};

/// Loads the files and checks that the settings fit together (the kill action needs a way to
/// authenticate). Errors name the file and the field; the daemon exits with code 2 on them.
Result<WebSettings> LoadWebSettings(const config::Config& config,
                                    const config::ListenAddress& listen);

/// The daemon's HTTP side assembled: authentication, the process reader, the kill action, the
/// API router and the server, in the order they must outlive each other. Owns them; not
/// copyable or movable.
class WebServer {
 public:
  struct Inputs {
    const config::Config& config;
    config::ListenAddress listen;
    WebSettings settings;
    MetricsPage& metrics;
    const SnapshotHub& snapshots;
    const Clock& clock;
    collectors::ProcRoot root;
    WebStats& stats;
    std::string boot_id;
    const api::StatusBoard& status;
  };
  /// Binds and serves; an Error as HttpServer::Start() gives it.
  static Result<std::unique_ptr<WebServer>> Start(Inputs inputs);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  int port() const { return server_->port(); }

 private:
  explicit WebServer(Inputs& inputs);

  // The configuration the server started with: a reload (SIGHUP) leaves [http] and [process] to
  // a restart, and the daemon's own copy changes under the handlers' feet.
  const config::Config config_;
  Authenticator auth_;
  api::ProcessReader reader_;
  std::unique_ptr<ProcessKiller> killer_;
  std::unique_ptr<forensics::ReaderPool> history_;  // the API's reads; null with history off
  HandlerPool api_threads_;
  api::ApiContext api_context_;
  api::Router router_;
  std::unique_ptr<HttpServer> server_;  // last: stopped first
};

}  // namespace rh::exporter
