// Slow HTTP clients for bench/load.sh: COUNT connections to 127.0.0.1:PORT, each sending a
// request one byte a second, for SECONDS. A connection the server closes (or that fails) is
// opened again. Prints what happened: connections open at the end, closed by the server,
// connect failures, bytes sent.
// Usage: slow_clients PORT COUNT SECONDS

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

const std::string kRequest = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n";

struct Client {
  int fd = -1;
  std::size_t sent = 0;
};

// A non-blocking connect; the first write tells whether it completed.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: slow_clients PORT COUNT SECONDS\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const int port = std::atoi(argv[1]);
  const int count = std::atoi(argv[2]);
  const int seconds = std::atoi(argv[3]);
  std::vector<Client> clients(static_cast<std::size_t>(count));
  long closed = 0, failures = 0, bytes = 0;
  for (auto& c : clients) {
    c.fd = Connect(port);
    if (c.fd < 0) ++failures;
  }
  for (int s = 0; s < seconds; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (auto& c : clients) {
      if (c.fd < 0) {
        c.fd = Connect(port);
        c.sent = 0;
        if (c.fd < 0) ++failures;
        continue;
      }
      const char byte = kRequest[c.sent % kRequest.size()];
      const ssize_t n = send(c.fd, &byte, 1, MSG_NOSIGNAL);
      if (n == 1) {
        ++c.sent;
        ++bytes;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        continue;  // still connecting, or the server reads nothing: the byte waits
      } else {
        close(c.fd);
        c.fd = -1;
        ++closed;
      }
    }
  }
  long open = 0;
  for (auto& c : clients) {
    if (c.fd >= 0) {
      ++open;
      close(c.fd);
    }
  }
  std::printf(
      "%ld open at the end, %ld closed by the server, %ld connect failures, %ld bytes sent\n", open,
      closed, failures, bytes);
  return 0;
}
