#include "exporter/cli/daemon_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rh::exporter::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxResponse = 16 << 20;
constexpr char kSpeaksTls[] =
    "the daemon may serve HTTPS only (tls_server_config of its web-config file), and this command "
    "speaks plain HTTP";
constexpr char kNeedsPassword[] =
    "the daemon asks for a password (basic_auth_users of its web-config file), which this command "
    "does not send";

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Milliseconds left until `deadline`, at least 0.
int Left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

Status WaitFor(int fd, short events, Clock::time_point deadline, const std::string& where) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = poll(&p, 1, Left(deadline));
    if (n > 0) return {};
    if (n == 0) return Error{where + ": timed out"};
    if (errno != EINTR) return Error{where + ": " + std::strerror(errno)};
  }
}

}  // namespace

Result<std::string> HttpGet(const std::string& listen, std::string_view path,
                            std::chrono::milliseconds timeout) {
  auto address = config::ParseListen(listen);
  if (!address) return Error{listen + ": " + address.error().message};
  const std::string where = "http://" + listen + std::string(path);
  const auto deadline = Clock::now() + timeout;

  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string host = address->host;
  if (host.front() == '[') {
    host = host.substr(1, host.size() - 2);
    if (host == "::") host = "::1";
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(address->port));
    if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) {
      return Error{listen + ": bad address"};
    }
    length = sizeof(sockaddr_in6);
  } else {
    if (host == "0.0.0.0") host = "127.0.0.1";
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<std::uint16_t>(address->port));
    if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) {
      return Error{listen + ": bad address"};
    }
    length = sizeof(sockaddr_in);
  }

  Socket sock(socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.fd() < 0) return Error{where + ": " + std::strerror(errno)};
  if (connect(sock.fd(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    if (errno != EINPROGRESS) return Error{where + ": " + std::strerror(errno)};
    if (Status s = WaitFor(sock.fd(), POLLOUT, deadline, where); !s.ok()) return s.error();
    int error = 0;
    socklen_t size = sizeof(error);
    getsockopt(sock.fd(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return Error{where + ": " + std::strerror(error)};
  }

  const std::string request = "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + listen +
                              "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(sock.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (Status s = WaitFor(sock.fd(), POLLOUT, deadline, where); !s.ok()) return s.error();
    } else {
      return Error{where + ": " + std::strerror(errno)};
    }
  }

  // Read until the body is complete (Content-Length) or the server closes.
  std::string response;
  std::size_t header_end = std::string::npos;
  std::optional<std::size_t> content_length;
  char buf[16384];
  for (;;) {
    if (header_end != std::string::npos && content_length &&
        response.size() >= header_end + 4 + *content_length) {
      break;
    }
    if (Status s = WaitFor(sock.fd(), POLLIN, deadline, where); !s.ok()) return s.error();
    ssize_t n = recv(sock.fd(), buf, sizeof(buf), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Error{where + ": " + std::strerror(errno)};
    }
    response.append(buf, static_cast<std::size_t>(n));
    if (response.size() > kMaxResponse) return Error{where + ": response too large"};
    if (header_end == std::string::npos) {
      header_end = response.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string headers = response.substr(0, header_end);
        for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (headers.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
          return Error{where + ": chunked responses are not supported"};
        }
        std::size_t at = headers.find("\r\ncontent-length:");
        if (at != std::string::npos) {
          content_length = std::strtoull(headers.c_str() + at + 17, nullptr, 10);
        }
      }
    }
  }
  // A TLS server answers a plain-text request with an alert record (content type 21), or, as
  // civetweb does, closes the connection without a word.
  if (response.empty()) return Error{where + ": closed without an answer; " + kSpeaksTls};
  if (response[0] == '\x15' || response[0] == '\x16') return Error{where + ": " + kSpeaksTls};
  if (header_end == std::string::npos) return Error{where + ": malformed response"};
  if (response.compare(0, 5, "HTTP/") != 0) return Error{where + ": not an HTTP response"};
  const std::size_t space = response.find(' ');
  const int status = space == std::string::npos ? 0 : std::atoi(response.c_str() + space + 1);
  if (status == 401) return Error{where + ": HTTP 401: " + kNeedsPassword};
  std::string body = response.substr(header_end + 4);
  if (content_length) {
    if (body.size() < *content_length) return Error{where + ": response cut short"};
    body.resize(*content_length);
  }
  if (status != 200) return Error{where + ": HTTP " + std::to_string(status)};
  return body;
}

Daemon LocateDaemon(const Context& ctx) {
  Daemon d;
  d.lock = RunningDaemon(ctx.config.storage.data_dir);
  d.listen = d.lock && !d.lock->listen.empty() ? d.lock->listen : ctx.config.http.listen;
  return d;
}

Result<nlohmann::json> FetchStatus(const Daemon& daemon, std::chrono::milliseconds timeout) {
  auto body = HttpGet(daemon.listen, "/api/status", timeout);
  if (!body) return body.error();
  auto doc = nlohmann::json::parse(*body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("health")) {
    return Error{"http://" + daemon.listen + "/api/status: not a rogue-hunter status document"};
  }
  return doc;
}

}  // namespace rh::exporter::cli
