#include "exporter/http_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <string>
#include <thread>

#include "base/log.h"
#include "exporter/http_tls.h"

namespace rh::exporter {
namespace {

// Accepted connections waiting for a free worker, and the kernel's queue before accept().
constexpr int kConnectionQueue = 64;
constexpr int kListenBacklog = 1024;
// Descriptors the rest of the daemon needs besides the HTTP connections.
constexpr rlim_t kOtherDescriptors = 256;
constexpr int kMallocArenas = 4;
// Stack kept below the frame that releases the rest of a worker's stack.
constexpr std::uintptr_t kStackMargin = 4 << 10;

std::string_view Str(const char* s) { return s == nullptr ? std::string_view() : s; }

class CivetRequest final : public HttpRequest {
 public:
  explicit CivetRequest(mg_connection* connection)
      : connection_(connection), info_(mg_get_request_info(connection)) {}

  std::string_view method() const override { return Str(info_->request_method); }
  std::string_view path() const override {
    return Str(info_->local_uri_raw != nullptr ? info_->local_uri_raw : info_->local_uri);
  }
  std::string_view query() const override { return Str(info_->query_string); }
  std::string_view header(std::string_view name) const override {
    return Str(mg_get_header(connection_, std::string(name).c_str()));
  }
  std::string_view remote_address() const override { return Str(info_->remote_addr); }
  std::string_view http_version() const { return Str(info_->http_version); }

  RequestBody ReadBody(std::size_t max_bytes) override {
    RequestBody body;
    if (body_read_) return body;
    body_read_ = true;
    const long long length = info_->content_length;
    if (length < 0) {
      // No Content-Length: a chunked body is refused unread, no header means no body.
      if (!header("Transfer-Encoding").empty()) body.status = 411;
      return body;
    }
    if (static_cast<unsigned long long>(length) > max_bytes) {
      body.status = 413;
      return body;
    }
    body.bytes.resize(static_cast<std::size_t>(length));
    std::size_t got = 0;
    while (got < body.bytes.size()) {
      int n = mg_read(connection_, body.bytes.data() + got, body.bytes.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got != body.bytes.size()) {
      body.status = 400;
      body.bytes.clear();
      return body;
    }
    body_consumed_ = true;
    return body;
  }

  // Whether the connection can carry another request after this one: the client asked for it
  // (HTTP/1.1 without "Connection: close", or HTTP/1.0 with "keep-alive") and no unread body is
  // left in the way. civetweb decides the same and closes otherwise; the response says so.
  bool KeepAlive() const {
    std::string connection(header("Connection"));
    for (char& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (connection.find("close") != std::string::npos) return false;
    if (info_->content_length > 0 && !body_consumed_) return false;
    if (info_->content_length < 0 && !header("Transfer-Encoding").empty()) return false;
    if (http_version() == "1.0") return connection.find("keep-alive") != std::string::npos;
    return true;
  }

 private:
  mg_connection* connection_;
  const mg_request_info* info_;
  bool body_read_ = false;
  bool body_consumed_ = false;
};

// Opens and closes a TCP connection to host:port, ignoring every error.
void PokeListener(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  close(fd);
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
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

// A header line may carry no control character: a CR or LF would end it and let the rest of
// the value pose as more headers or a body.
bool SafeHeaderText(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

bool SafeHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  }
  return true;
}

// Makes sure the workers' sockets fit under the limit of open files, raising the soft limit up
// to the hard one when needed.
Status EnsureDescriptors(int threads) {
  const rlim_t needed = static_cast<rlim_t>(threads) + kConnectionQueue + kOtherDescriptors;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= needed) return {};
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    return Error{"http.threads = " + std::to_string(threads) + " needs " + std::to_string(needed) +
                 " open files, but the hard limit is " + std::to_string(limit.rlim_max) +
                 " (ulimit -Hn; LimitNOFILE= in a systemd unit): lower http.threads or raise it"};
  }
  limit.rlim_cur = needed;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Error{std::string("cannot raise the limit of open files: ") + std::strerror(errno)};
  }
  return {};
}

// Gives back to the kernel the pages of the calling thread's stack below its current frame.
// civetweb serves a connection on one worker from start to end, and a worker's stack keeps every
// page it ever touched: a thousand workers that each once sent an error page would hold ~25 MiB.
// Called when a connection closes, on the worker, so only the pages in use at that moment stay.
void ReleaseIdleStack() {
  thread_local std::uintptr_t low = 0;  // lowest address of this thread's stack
  if (low == 0) {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
    void* address = nullptr;
    std::size_t size = 0;
    pthread_attr_getstack(&attr, &address, &size);
    pthread_attr_destroy(&attr);
    low = reinterpret_cast<std::uintptr_t>(address);
    if (low == 0) return;
  }
  static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  char here = 0;
  // Keep a margin below this frame for madvise() itself and anything it calls.
  const std::uintptr_t current = reinterpret_cast<std::uintptr_t>(&here);
  if (current < low + kStackMargin) return;
  const std::uintptr_t end = (current - kStackMargin) & ~(page - 1);
  const std::uintptr_t begin = (low + page - 1) & ~(page - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// Marks a connection that OnInitConnection counted, so that only those are uncounted.
char counted_marker;

}  // namespace

HttpServer::HttpServer(HttpHandler handler, Options options, HttpServerStats* stats)
    : handler_(std::move(handler)),
      options_(std::move(options)),
      stats_(stats != nullptr ? stats : &own_stats_) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Options& options, HttpHandler handler,
                                                      HttpServerStats* stats) {
  static const bool initialised = mg_init_library(0) != 0;
  (void)initialised;
  const std::string listen = options.host + ":" + std::to_string(options.port);
  if (options.host.find(':') != std::string::npos && mg_check_feature(8) == 0) {
    return Error{"cannot listen on " + listen +
                 ": this build of civetweb has no IPv6 support; listen on an IPv4 address"};
  }
  if (Status s = EnsureDescriptors(options.threads); !s.ok()) return s.error();
  // glibc gives threads up to 8 malloc arenas per core, each with its own heap that keeps what
  // it touched; with a thousand workers that is megabytes of arenas on a large machine. The
  // workers allocate little (a request buffer each), so a few arenas serve them.
  mallopt(M_ARENA_MAX, kMallocArenas);
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler), options, stats));

  const std::string ports = listen + (options.tls ? "s" : "");
  const std::string threads = std::to_string(options.threads);
  const std::string timeout = std::to_string(options.request_timeout_ms);
  const std::string header_bytes = std::to_string(options.max_header_bytes);
  const std::string queue = std::to_string(kConnectionQueue);
  const std::string backlog = std::to_string(kListenBacklog);
  const char* config[] = {"listening_ports",
                          ports.c_str(),
                          "num_threads",
                          threads.c_str(),
                          "connection_queue",
                          queue.c_str(),
                          "listen_backlog",
                          backlog.c_str(),
                          "request_timeout_ms",
                          timeout.c_str(),
                          "keep_alive_timeout_ms",
                          "500",
                          "enable_keep_alive",
                          "yes",
                          "max_request_size",
                          header_bytes.c_str(),
                          "tcp_nodelay",
                          "1",
                          "enable_directory_listing",
                          "no",
                          "access_control_allow_origin",
                          "",
                          "access_control_allow_methods",
                          "",
                          "access_control_allow_headers",
                          "",
                          nullptr};
  if (options.tls) {
    // Loads OpenSSL (and what Debian's civetweb needs to use it) before civetweb looks for it.
    if (Status s = CheckTlsOptions(*options.tls); !s.ok()) {
      return Error{"cannot listen on " + listen + ": " + s.error().message};
    }
  }
  mg_callbacks callbacks{};
  callbacks.log_message = &HttpServer::OnLog;
  callbacks.http_error = &HttpServer::OnHttpError;
  callbacks.init_connection = &HttpServer::OnInitConnection;
  callbacks.connection_close = &HttpServer::OnConnectionClose;
  if (options.tls) callbacks.init_ssl = &HttpServer::OnInitTls;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = config;
  char error_text[512] = "";
  unsigned error_code = 0;
  mg_error_data error{};
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);

  server->context_ = mg_start2(&init, &error);
  server->starting_ = false;
  if (server->context_ == nullptr) {
    std::lock_guard lock(server->startup_mutex_);
    std::string why = server->startup_error_;
    if (why.empty()) why = error_text[0] != '\0' ? error_text : "unknown error";
    return Error{"cannot listen on " + listen + ": " + why};
  }
  server->stats_->workers = options.threads;
  mg_set_request_handler(server->context_, "/", &HttpServer::OnRequest, server.get());

  mg_server_port bound[4] = {};
  int n = mg_get_server_ports(server->context_, 4, bound);
  server->port_ = n > 0 ? bound[0].port : options.port;
  // Where to connect to wake the accept loop: the bound address, or loopback for a wildcard.
  server->wake_host_ = options.host == "0.0.0.0" ? "127.0.0.1" : options.host;
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
    std::lock_guard lock(server->startup_mutex_);
    if (server->startup_error_.empty()) server->startup_error_ = message;
    return 1;
  }
  LogWarning(std::string("http: ") + message);
  return 1;
}

int HttpServer::OnInitTls(void* ssl_context, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  Status s = ConfigureTlsContext(ssl_context, *server->options_.tls);
  if (s.ok()) return 1;  // set up completely: civetweb adds nothing
  std::lock_guard lock(server->startup_mutex_);
  if (server->startup_error_.empty()) server->startup_error_ = s.error().message;
  return -1;
}

int HttpServer::OnInitConnection(const mg_connection* connection, void** data) {
  auto* server = static_cast<HttpServer*>(mg_get_user_data(mg_get_context(connection)));
  server->stats_->connections.fetch_add(1, std::memory_order_relaxed);
  *data = &counted_marker;
  ReleaseIdleStack();
  return 0;
}

void HttpServer::OnConnectionClose(const mg_connection* connection) {
  if (mg_get_user_connection_data(connection) == &counted_marker) {
    auto* server = static_cast<HttpServer*>(mg_get_user_data(mg_get_context(connection)));
    server->stats_->connections.fetch_sub(1, std::memory_order_relaxed);
  }
  ReleaseIdleStack();
}

// Errors civetweb finds itself (a malformed or oversized request line or header): answered
// here so that they carry the same headers as every other response, and nothing of the request.
int HttpServer::OnHttpError(mg_connection* connection, int status, const char* /*message*/) {
  auto* server = static_cast<HttpServer*>(mg_get_user_data(mg_get_context(connection)));
  HttpResponse response = HttpResponse::Text(
      status, std::string(R"({"success": false, "error": ")") + ReasonPhrase(status) + "\"}\n");
  response.content_type = "application/json";
  server->Send(connection, response, /*head=*/false, /*keep_alive=*/false);
  return 0;
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
  server->Send(connection, response, request.method() == "HEAD", request.KeepAlive());
  return response.status;
}

// The whole response in one write: one segment on the wire and one syscall, where civetweb's
// header functions send every header line on its own.
void HttpServer::Send(mg_connection* connection, const HttpResponse& response, bool head,
                      bool keep_alive) {
  const std::string& body = response.body ? *response.body : std::string();
  std::string out;
  out.reserve(256 + (head ? 0 : body.size()));
  out +=
      "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  if (SafeHeaderText(response.content_type)) {
    out += "Content-Type: " + response.content_type + "\r\n";
  }
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Date: " + HttpDate() + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  // Closing also keeps civetweb from reading (to discard) a body the handler left unread.
  if (!keep_alive) mg_disable_connection_keep_alive(connection);
  auto add = [&](const std::pair<std::string, std::string>& header) {
    if (!SafeHeaderName(header.first) || !SafeHeaderText(header.second)) {
      LogWarning("http: dropped a response header holding a control character");
      return;
    }
    out += header.first + ": " + header.second + "\r\n";
  };
  for (const auto& header : options_.headers) add(header);
  for (const auto& header : response.headers) add(header);
  out += "\r\n";
  if (!head) out += body;
  mg_write(connection, out.data(), out.size());
}

}  // namespace rh::exporter
