#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "exporter/cli/commands.h"
#include "exporter/daemon_lock.h"

namespace rh::exporter::cli {

/// The body of a GET over plain HTTP/1.1 to `listen` ("127.0.0.1:9795", "[::1]:9795"; a wildcard
/// address is reached on loopback), within `timeout` for the whole exchange. An error when nothing
/// answers, the status is not 200, or the response is malformed or larger than 16 MiB. A daemon
/// that serves HTTPS only or asks for basic auth (its web-config file) is named as such: this
/// client sends neither TLS nor credentials, and the commands fall back to the history.
///
/// A few dozen lines instead of libcurl on purpose: the CLI lives in the daemon's binary, and
/// mapping libcurl with its TLS stack costs the daemon about 5.5 MiB of resident memory.
Result<std::string> HttpGet(const std::string& listen, std::string_view path,
                            std::chrono::milliseconds timeout);

/// The daemon the context's configuration points at.
struct Daemon {
  std::optional<DaemonInfo> lock;  ///< From its lock file, when it holds the data directory.
  std::string listen;              ///< Where its HTTP server is: the lock's, else http.listen.
};
Daemon LocateDaemon(const Context& ctx);

/// GET /api/status from the daemon at `daemon.listen`.
Result<nlohmann::json> FetchStatus(const Daemon& daemon,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(3));

}  // namespace rh::exporter::cli
