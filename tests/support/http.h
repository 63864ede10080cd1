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

/// Percent-encodes everything but unreserved characters (RFC 3986), for query strings and
/// application/x-www-form-urlencoded bodies.
std::string UrlEncode(std::string_view text);

/// Decompresses a gzip body; fails the current test on corrupt input.
std::string Gunzip(const std::string& data);

}  // namespace rh::test
