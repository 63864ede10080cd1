#include "exporter/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <ctime>
#include <exception>
#include <string>
#include <thread>

#include "base/log.h"

namespace rh::exporter {
namespace {

class CivetRequest final : public HttpRequest {
 public:
  explicit CivetRequest(mg_connection* connection)
      : connection_(connection), info_(mg_get_request_info(connection)) {}

  std::string_view method() const override { return Str(info_->request_method); }
  std::string_view path() const override { return Str(info_->local_uri); }
  std::string_view query() const override { return Str(info_->query_string); }
  std::string_view header(std::string_view name) const override {
    return Str(mg_get_header(connection_, std::string(name).c_str()));
  }
  std::string_view http_version() const { return Str(info_->http_version); }

 private:
  static std::string_view Str(const char* s) { return s == nullptr ? std::string_view() : s; }
  mg_connection* connection_;
  const mg_request_info* info_;
};

// Opens and closes a TCP connection to host:port, ignoring every error.
void PokeListener(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
  close(fd);
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

// RFC 9110 IMF-fixdate of now, e.g. "Mon, 23 Nov 2026 10:15:03 GMT".
std::string HttpDate() {
  time_t now = time(nullptr);
  tm utc{};
  gmtime_r(&now, &utc);
  char buf[64];
  std::size_t n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(buf, n);
}

// civetweb keeps the connection open after the handler exactly when the client asked for it
// (HTTP/1.1 without "Connection: close", or HTTP/1.0 with "keep-alive"); say the same.
bool KeepAlive(const CivetRequest& request) {
  std::string connection(request.header("Connection"));
  for (char& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (connection.find("close") != std::string::npos) return false;
  if (request.http_version() == "1.0") {
    return connection.find("keep-alive") != std::string::npos;
  }
  return true;
}

// civetweb says "cannot bind to 127.0.0.1:9795: 98 (Address already in use)"; users need the
// part in parentheses.
std::string Reason(const std::string& message) {
  auto open = message.rfind('(');
  auto close = message.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return message;
  std::string reason = message.substr(open + 1, close - open - 1);
  if (!reason.empty())
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  return reason;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options, HttpHandler handler) {
  static const bool initialised = mg_init_library(0) != 0;
  (void)initialised;
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler)));

  const std::string listen = options.host + ":" + std::to_string(options.port);
  const std::string threads = std::to_string(options.threads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  const char* config[] = {"listening_ports",
                          listen.c_str(),
                          "num_threads",
                          threads.c_str(),
                          "request_timeout_ms",
                          timeout.c_str(),
                          "keep_alive_timeout_ms",
                          "500",
                          "enable_keep_alive",
                          "yes",
                          "tcp_nodelay",
                          "1",
                          "enable_directory_listing",
                          "no",
                          nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = &HttpServer::OnLog;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = config;
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);

  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    std::string why = !server->startup_error_.empty() ? Reason(server->startup_error_)
                      : error_text[0] != '\0'         ? error_text
                                                      : "unknown error";
    return Error{"cannot listen on " + listen + ": " + why};
  }
  server->starting_ = false;
  mg_set_request_handler(server->context_, "/", &HttpServer::OnRequest, server.get());

  mg_server_port ports[4] = {};
  int n = mg_get_server_ports(server->context_, 4, ports);
  server->port_ = n > 0 ? ports[0].port : options.port;
  // Where to connect to wake the accept loop: the bound address, or loopback for a wildcard.
  std::string host = options.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  server->wake_host_ = host;
  return server;
}

HttpServer::~HttpServer() {
  if (context_ == nullptr) return;
  // civetweb's accept loop polls with a 2 s quantum before it notices mg_stop(); connecting to
  // ourselves wakes it at once, so the daemon stops well within a second.
  std::atomic<bool> stopped{false};
  std::thread stopper([this, &stopped] {
    mg_stop(context_);
    stopped = true;
  });
  for (int i = 0; i < 150 && !stopped; ++i) {
    PokeListener(wake_host_, port_);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopper.join();
}

int HttpServer::OnLog(const mg_connection* connection, const char* message) {
  auto* server = connection == nullptr
                     ? nullptr
                     : static_cast<HttpServer*>(mg_get_user_data(mg_get_context(connection)));
  if (server != nullptr && server->starting_) {
    // Start() reports the first problem as its error; do not log it twice.
    if (server->startup_error_.empty()) server->startup_error_ = message;
    return 1;
  }
  LogWarning(std::string("http: ") + message);
  return 1;
}

int HttpServer::OnRequest(mg_connection* connection, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  CivetRequest request(connection);
  HttpResponse response;
  try {
    response = server->handler_(request);
  } catch (const std::exception& e) {
    LogError(std::string("http handler failed: ") + e.what());
    response = HttpResponse::Text(500, "internal error\n");
  }
  // The whole response in one write: one segment on the wire and one syscall, where civetweb's
  // header functions send every header line on its own.
  const std::string& body = response.body ? *response.body : std::string();
  const bool head = request.method() == "HEAD";
  std::string out;
  out.reserve(256 + (head ? 0 : body.size()));
  out +=
      "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Date: " + HttpDate() + "\r\n";
  out += KeepAlive(request) ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (!head) out += body;
  mg_write(connection, out.data(), out.size());
  return response.status;
}

}  // namespace rh::exporter
