#pragma once

#include "base/result.h"
#include "exporter/http_server.h"

namespace rh::exporter {

/// Sets up an OpenSSL server context (an SSL_CTX*) from `options`: certificate chain and key,
/// client certificates, protocol versions, TLS 1.2 cipher suites, groups and the server's cipher
/// preference. OpenSSL is the copy civetweb loads at run time (dlopen of libssl.so), reached the
/// same way, so the daemon maps OpenSSL only when TLS is configured. Errors name the web-config
/// field: "tls_server_config.key_file: /etc/rh/key.pem: ...". Thread-safe.
Status ConfigureTlsContext(void* ssl_context, const TlsOptions& options);

/// Applies `options` to a scratch context: the errors ConfigureTlsContext() would give, found
/// before anything starts (unreadable or mismatched certificate and key, unknown cipher).
Status CheckTlsOptions(const TlsOptions& options);

}  // namespace rh::exporter
