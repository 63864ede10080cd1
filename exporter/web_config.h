#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "exporter/http_server.h"

namespace rh::exporter {

/// A web-config file in the schema of Prometheus exporters' --web.config.file
/// (prometheus/exporter-toolkit, as `promtool check web-config` of Prometheus 2.42 checks it):
///
///     tls_server_config:
///       cert_file: server.crt          # relative paths are relative to this file
///       key_file: server.key
///       client_auth_type: RequireAndVerifyClientCert
///       client_ca_file: clients-ca.crt
///       min_version: TLS12
///     http_server_config:
///       headers:
///         X-Frame-Options: deny
///     basic_auth_users:
///       prometheus: $2y$10$...        # bcrypt hashes
struct WebConfig {
  std::string source;                        ///< The file it was read from.
  std::optional<TlsOptions> tls;             ///< Absent when no TLS field is set.
  std::map<std::string, std::string> users;  ///< User name -> bcrypt hash.
  std::vector<std::pair<std::string, std::string>> headers;
  bool http2 = true;  ///< Accepted for compatibility; the server speaks HTTP/1.1 only.
};

/// Parses a web-config document. Unknown or duplicate fields, wrong types and values the
/// exporter-toolkit refuses are errors "<source>:<line>:<column>: <field>: <what>", one line
/// each; relative file names are resolved against `base_dir`. Does not read the files named.
Result<WebConfig> ParseWebConfig(std::string_view text, std::string_view source,
                                 const std::filesystem::path& base_dir);

/// Reads and parses a web-config file (at most 1 MiB), then loads its TLS certificate, key and
/// client CAs the way the server will, so that a bad file fails before anything starts, naming
/// the field.
Result<WebConfig> LoadWebConfig(const std::filesystem::path& path);

}  // namespace rh::exporter
