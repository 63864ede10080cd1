#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

struct mg_context;
struct mg_connection;

namespace rh::exporter {

/// One HTTP request as a handler sees it. Valid only during the handler call.
class HttpRequest {
 public:
  virtual ~HttpRequest() = default;
  virtual std::string_view method() const = 0;
  virtual std::string_view path() const = 0;   ///< Decoded path, without the query.
  virtual std::string_view query() const = 0;  ///< After '?', or empty.
  /// A request header's value, or empty if absent. Case-insensitive name.
  virtual std::string_view header(std::string_view name) const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::shared_ptr<const std::string> body;  ///< Shared so cached bodies are not copied.
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Text(int status, std::string text) {
    HttpResponse r;
    r.status = status;
    r.body = std::make_shared<const std::string>(std::move(text));
    return r;
  }
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// An HTTP/1.1 server (civetweb) with a fixed pool of handler threads, request timeouts, keep-alive
/// and no file serving: every request goes to the one handler. The handler runs concurrently on
/// the pool's threads and must be thread-safe. Owns threads and a socket: not copyable or movable.
class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";  ///< IPv4 literal or bracketed IPv6.
    int port = 9795;                 ///< 0 picks a free port (see port()).
    int threads = 4;
    int request_timeout_ms = 5000;
  };

  /// Binds and starts serving. A port in use or an unusable address is an Error with one line.
  static Result<std::unique_ptr<HttpServer>> Start(const Options& options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The port actually bound.
  int port() const { return port_; }

 private:
  explicit HttpServer(HttpHandler handler) : handler_(std::move(handler)) {}
  static int OnRequest(mg_connection* connection, void* self);
  static int OnLog(const mg_connection* connection, const char* message);

  HttpHandler handler_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  std::string wake_host_;
  bool starting_ = true;       // written only before the server threads exist
  std::string startup_error_;  // civetweb's first complaint during Start()
};

}  // namespace rh::exporter
