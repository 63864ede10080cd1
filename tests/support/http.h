#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rh::test {

struct HttpResponse {
  long status = 0;                             ///< 0 when the request failed (see `error`).
  std::map<std::string, std::string> headers;  ///< Names lower-cased.
  std::string body;                            ///< As sent (not decompressed).
  std::string error;
};

/// A blocking HTTP/1.1 request over loopback with libcurl. `headers` are "Name: value" lines.
HttpResponse HttpRequest(const std::string& method, const std::string& url,
                         const std::vector<std::string>& headers = {}, const std::string& body = "",
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

inline HttpResponse HttpGet(const std::string& url, const std::vector<std::string>& headers = {}) {
  return HttpRequest("GET", url, headers);
}

/// Settings of HttpRequestWith() beyond those of HttpRequest().
struct HttpOptions {
  std::vector<std::string> headers;  ///< "Name: value" lines.
  std::string body;
  std::chrono::milliseconds timeout{10000};
  std::string ca_file;      ///< Verify the server against this CA (https).
  bool verify_peer = true;  ///< false: accept any server certificate.
  std::string client_cert;  ///< PEM certificate and key for mutual TLS.
  std::string client_key;
  std::string tls_max_version;  ///< "1.2" caps the client at TLS 1.2.
  std::string user;             ///< Basic authentication, when not empty.
  std::string password;
};
HttpResponse HttpRequestWith(const std::string& method, const std::string& url,
                             const HttpOptions& options);

/// Sends `request` verbatim over a plain TCP connection to 127.0.0.1:`port` and returns
/// everything the server sends back until it closes the connection or `timeout` passes (curl
/// cleans up what a hostile client would send raw: "..", "//", CR/LF).
std::string RawHttp(int port, const std::string& request,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

/// The status code of a raw HTTP response ("HTTP/1.1 400 ..."), or 0.
int RawStatus(const std::string& response);
/// Percent-encodes everything but unreserved characters (RFC 3986), for query strings and
/// application/x-www-form-urlencoded bodies.
std::string UrlEncode(std::string_view text);

/// Decompresses a gzip body; fails the current test on corrupt input.
std::string Gunzip(const std::string& data);

}  // namespace rh::test
