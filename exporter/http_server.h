#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

struct mg_context;
struct mg_connection;

namespace rh::exporter {

/// A request body as HttpRequest::ReadBody() returns it: `status` 0 and the bytes, or the 4xx
/// status that says why it was not read.
struct RequestBody {
  int status = 0;  ///< 0, or 411 (no Content-Length), 413 (too large), 400 (incomplete).
  std::string bytes;
};

/// One HTTP request as a handler sees it. Valid only during the handler call.
class HttpRequest {
 public:
  virtual ~HttpRequest() = default;
  virtual std::string_view method() const = 0;
  /// The path as sent (percent-decoded, without the query), not normalised: "/a/../b" and "//"
  /// reach the handler as they came, so that it can refuse them.
  virtual std::string_view path() const = 0;
  virtual std::string_view query() const = 0;  ///< After '?', or empty.
  /// A request header's value, or empty if absent. Case-insensitive name.
  virtual std::string_view header(std::string_view name) const = 0;
  /// The client's IP address, e.g. "127.0.0.1".
  virtual std::string_view remote_address() const = 0;
  /// Reads the body, but only if its Content-Length is declared and at most `max_bytes`: a larger
  /// or undeclared (chunked) body is refused before a byte of it is read.
  virtual RequestBody ReadBody(std::size_t max_bytes) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::shared_ptr<const std::string> body;  ///< Shared so cached bodies are not copied.
  /// Extra headers. A name or value holding a control character (CR, LF, ...) is dropped, never
  /// written: request data can never split a response header.
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Text(int status, std::string text) {
    HttpResponse r;
    r.status = status;
    r.body = std::make_shared<const std::string>(std::move(text));
    return r;
  }
};

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;

/// TLS settings of the server (the web-config file's tls_server_config, mapped to OpenSSL).
struct TlsOptions {
  enum class ClientAuth {
    kNone,              ///< NoClientCert
    kRequest,           ///< RequestClientCert: asked for, not verified
    kRequireAny,        ///< RequireAnyClientCert: required, not verified
    kVerifyIfGiven,     ///< VerifyClientCertIfGiven
    kRequireAndVerify,  ///< RequireAndVerifyClientCert
  };
  std::string cert_file;       ///< PEM certificate (chain), server certificate first.
  std::string key_file;        ///< PEM private key.
  std::string client_ca_file;  ///< PEM CAs that client certificates are verified against.
  ClientAuth client_auth = ClientAuth::kNone;
  int min_version = 0x0303;  ///< TLS protocol version numbers: 0x0301 TLS 1.0 ... 0x0304 TLS 1.3.
  int max_version = 0x0304;
  std::vector<std::string> ciphers;  ///< OpenSSL names of TLS 1.2 suites; empty: the default.
  std::vector<std::string> groups;   ///< OpenSSL names of key-exchange groups; empty: the default.
  bool prefer_server_ciphers = true;
};

/// Counters of the server, for the rogue_hunter_http_* metrics. Thread-safe.
struct HttpServerStats {
  std::atomic<std::int64_t> connections{0};  ///< Open connections a worker is serving now.
  std::atomic<std::int64_t> workers{0};      ///< Worker threads, the most connections served.
};

/// An HTTP/1.1 server (civetweb) with a fixed pool of worker threads, request timeouts,
/// keep-alive, optional TLS and no file serving: every request goes to the one handler.
///
/// civetweb serves one connection per worker from accept to close, so a client that sends its
/// request slowly holds a worker until the header deadline (`request_timeout_ms`, counted from
/// the first byte it waits for, however steadily the bytes trickle in). The pool is therefore
/// large (over a thousand workers in the daemon) and each worker kept cheap: Debian's civetweb
/// gives it a 100 KiB stack, and the pages a connection touched are given back when it closes.
/// The handler runs concurrently on the workers, with that stack: it must be thread-safe and
/// keep large buffers off the stack. Owns threads and a socket: not copyable or movable.
class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";  ///< Dotted IPv4 (civetweb is built without IPv6).
    int port = 9795;                 ///< 0 picks a free port (see port()).
    int threads = 4;                 ///< Workers: connections served at the same time.
    int request_timeout_ms = 5000;   ///< Deadline for a request's headers; bound on each write.
    std::size_t max_header_bytes = 8192;  ///< Request line and headers; larger gets a 4xx.
    std::optional<TlsOptions> tls;
    /// Added to every response (the web-config file's http_server_config.headers).
    std::vector<std::pair<std::string, std::string>> headers;
  };

  /// Binds and starts serving. A port in use, an unusable address or a bad TLS setting is an
  /// Error with civetweb's and OpenSSL's whole explanation on one line. Raises the soft limit of
  /// open files when the workers need more, and fails if the hard limit is too low.
  static Result<std::unique_ptr<HttpServer>> Start(const Options& options, HttpHandler handler,
                                                   HttpServerStats* stats = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The port actually bound.
  int port() const { return port_; }

 private:
  HttpServer(HttpHandler handler, Options options, HttpServerStats* stats);
  static int OnRequest(mg_connection* connection, void* self);
  static int OnLog(const mg_connection* connection, const char* message);
  static int OnHttpError(mg_connection* connection, int status, const char* message);
  static int OnInitTls(void* ssl_context, void* self);
  static int OnInitConnection(const mg_connection* connection, void** data);
  static void OnConnectionClose(const mg_connection* connection);
  void Send(mg_connection* connection, const HttpResponse& response, bool head, bool keep_alive);

  HttpHandler handler_;
  Options options_;
  HttpServerStats own_stats_;
  HttpServerStats* stats_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  std::string wake_host_;
  // civetweb logs from its own threads, which exist before mg_start2() returns: while starting,
  // its first complaint is kept as Start()'s error instead of being logged.
  std::atomic<bool> starting_{true};
  std::mutex startup_mutex_;
  std::string startup_error_;  // guarded by startup_mutex_
};

}  // namespace rh::exporter
