#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

typedef void CURL;
typedef void CURLM;

namespace rh::exporter::otel {

struct CurlFunctions;

/// One POST.
struct HttpPost {
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value" lines (may hold secrets).
  std::string body;
  std::string username;  ///< Basic auth when not empty.
  std::string password;
};

/// How a POST ended.
struct HttpResult {
  enum class Outcome {
    kResponse,          ///< The server answered; see status.
    kConnectFailed,     ///< Could not resolve or connect.
    kTimedOut,          ///< Connected, but no complete answer within the timeout.
    kTransportFailed,   ///< The connection broke, TLS failed, or the answer was not HTTP.
    kResponseTooLarge,  ///< The answer exceeded the cap: not read, not retried.
    kAborted,           ///< Stopped by the abort flag.
  };
  Outcome outcome = Outcome::kTransportFailed;
  long status = 0;
  std::string retry_after;  ///< The Retry-After header, if any.
  std::string body;
  std::string error;  ///< libcurl's message when the outcome is not kResponse.
};

/// Whether libcurl can be loaded (it is loaded on first use, not linked: see http_client.cc).
/// The error names the library and why.
Status HttpClientAvailable();

/// The URL without its query and fragment, for log lines (a query may hold a token).
std::string LoggableUrl(std::string_view url);

/// A libcurl handle for POSTs, kept between requests so the connection stays alive. Every
/// request is bounded by the connect timeout and the whole-request timeout, and stops within
/// about 100 ms when `*abort` becomes true. The response body is read up to
/// `max_response_bytes`. Not thread-safe: one thread uses it. Owns the handles: not copyable or
/// movable.
class HttpClient {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds timeout{10000};  ///< 0: no limit.
    std::size_t max_response_bytes = 4 << 20;
    std::string user_agent;
  };

  /// `abort` may be null; it must outlive the client.
  HttpClient(Options options, const std::atomic<bool>* abort);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult Post(const HttpPost& post);

 private:
  Options options_;
  const std::atomic<bool>* abort_;
  const CurlFunctions* api_;  // null when libcurl could not be loaded
  CURL* curl_ = nullptr;
  CURLM* multi_ = nullptr;
};

}  // namespace rh::exporter::otel
