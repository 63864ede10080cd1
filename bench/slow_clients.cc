// slow_clients: holds many slow HTTP connections open against a server and, optionally, times
// normal scrapes of it meanwhile. Each slow connection sends a request line and then one more
// header line every --interval-ms without ever ending the headers (or nothing at all with
// --idle); when the server closes one, it is opened again at once, as a real slow client would.
//
//   slow_clients --port 9795 --connections 1000 [--host 127.0.0.1] [--interval-ms 500] [--idle]
//                [--scrapes 20 --scrape-interval-ms 1000 --scrape-path /metrics
//                 --scrape-timeout-ms 10000] [--seconds S]
//
// Prints "ready N" once N connections are open at the same time. With --scrapes K it then times
// K scrapes (one line each: "scrape I MS STATUS BYTES", MS = -1 for a failure) and a summary line
// "summary ok=.. failed=.. p50_ms=.. p90_ms=.. max_ms=.. reconnects=.. open=..", and exits;
// without, it holds the connections until SIGTERM/SIGINT or --seconds.
// Used by tests/integration/slow_clients_test.cc and bench/slow_clients.sh.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 100;
  int interval_ms = 500;
  bool idle = false;
  int scrapes = 0;
  int scrape_interval_ms = 1000;
  int scrape_timeout_ms = 10000;
  std::string scrape_path = "/metrics";
  double seconds = 0;
};

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr, "slow_clients: %s\n", why);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value after " + flag).c_str());
      return argv[++i];
    };
    if (flag == "--host") {
      a.host = value();
    } else if (flag == "--port") {
      a.port = std::atoi(value().c_str());
    } else if (flag == "--connections") {
      a.connections = std::atoi(value().c_str());
    } else if (flag == "--interval-ms") {
      a.interval_ms = std::atoi(value().c_str());
    } else if (flag == "--idle") {
      a.idle = true;
    } else if (flag == "--scrapes") {
      a.scrapes = std::atoi(value().c_str());
    } else if (flag == "--scrape-interval-ms") {
      a.scrape_interval_ms = std::atoi(value().c_str());
    } else if (flag == "--scrape-timeout-ms") {
      a.scrape_timeout_ms = std::atoi(value().c_str());
    } else if (flag == "--scrape-path") {
      a.scrape_path = value();
    } else if (flag == "--seconds") {
      a.seconds = std::atof(value().c_str());
    } else {
      Usage(("unknown flag " + flag).c_str());
    }
  }
  if (a.port <= 0 || a.port > 65535) Usage("--port is required");
  if (a.connections < 0 || a.interval_ms <= 0) Usage("bad --connections or --interval-ms");
  return a;
}

sockaddr_in Address(const Args& a) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(a.port));
  if (inet_pton(AF_INET, a.host.c_str(), &addr.sin_addr) != 1) Usage("--host must be IPv4");
  return addr;
}

bool SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// The slow connections, driven by one epoll loop.
class SlowPool {
 public:
  explicit SlowPool(const Args& args) : args_(args), addr_(Address(args)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    slots_.assign(static_cast<std::size_t>(args.connections), Slot{});
  }
  ~SlowPool() {
    for (auto& s : slots_) {
      if (s.fd >= 0) close(s.fd);
    }
    close(epoll_);
  }

  // Runs until `stop` becomes true.
  void Run(const std::atomic<bool>& stop) {
    for (std::size_t i = 0; i < slots_.size(); ++i) Open(i);
    auto next_line = Clock::now();
    std::vector<epoll_event> events(256);
    while (!stop && !g_stop) {
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 50);
      for (int e = 0; e < n; ++e) {
        std::size_t i = events[e].data.u64;
        Slot& s = slots_[i];
        if (s.fd < 0) continue;
        if (!s.connected && (events[e].events & EPOLLOUT) != 0) {
          int error = 0;
          socklen_t len = sizeof(error);
          getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &len);
          if (error != 0) {
            Reopen(i);
            continue;
          }
          s.connected = true;
          ++open_;
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.u64 = i;
          epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
          if (!args_.idle && !SendAll(s.fd, "GET " + args_.scrape_path +
                                                " HTTP/1.1\r\nHost: " + args_.host + "\r\n")) {
            Reopen(i);
            continue;
          }
          if (open_ >= slots_.size() && !announced_) {
            announced_ = true;
            std::printf("ready %zu\n", open_);
            std::fflush(stdout);
          }
          continue;
        }
        if ((events[e].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
          char buffer[4096];
          ssize_t got = recv(s.fd, buffer, sizeof(buffer), 0);
          if (got <= 0 || (events[e].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
            Reopen(i);
          }
        }
      }
      if (!args_.idle && Clock::now() >= next_line) {
        next_line += std::chrono::milliseconds(args_.interval_ms);
        for (std::size_t i = 0; i < slots_.size(); ++i) {
          Slot& s = slots_[i];
          if (s.fd < 0 || !s.connected) continue;
          std::string line = "X-Slow-" + std::to_string(++s.lines) + ": x\r\n";
          if (!SendAll(s.fd, line)) Reopen(i);
        }
      }
    }
  }

  std::size_t open() const { return open_; }
  std::size_t reconnects() const { return reconnects_; }

 private:
  struct Slot {
    int fd = -1;
    bool connected = false;
    int lines = 0;
  };

  void Open(std::size_t i) {
    Slot& s = slots_[i];
    s = Slot{};
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
      std::fprintf(stderr, "slow_clients: socket: %s\n", std::strerror(errno));
      return;
    }
    int rc = connect(s.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
    if (rc != 0 && errno != EINPROGRESS) {
      close(s.fd);
      s.fd = -1;
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev);
  }

  void Reopen(std::size_t i) {
    Slot& s = slots_[i];
    if (s.fd >= 0) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, s.fd, nullptr);
      close(s.fd);
    }
    if (s.connected) --open_;
    ++reconnects_;
    Open(i);
  }

  const Args& args_;
  sockaddr_in addr_;
  int epoll_ = -1;
  std::vector<Slot> slots_;
  std::size_t open_ = 0;
  std::size_t reconnects_ = 0;
  bool announced_ = false;
};

// One scrape over a fresh connection: milliseconds until the whole response arrived and its
// status, or -1 on failure or timeout.
std::pair<double, int> Scrape(const Args& a, std::size_t* bytes) {
  auto start = Clock::now();
  auto deadline = start + std::chrono::milliseconds(a.scrape_timeout_ms);
  sockaddr_in addr = Address(a);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {-1, 0};
  auto wait = [&](short events) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    return poll(&p, 1, static_cast<int>(left.count())) == 1;
  };
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  bool ok = rc == 0 || (errno == EINPROGRESS && wait(POLLOUT));
  std::string request = "GET " + a.scrape_path + " HTTP/1.1\r\nHost: " + a.host +
                        "\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
  ok = ok && SendAll(fd, request);
  std::string response;
  while (ok) {
    if (!wait(POLLIN)) {
      ok = false;
      break;
    }
    char buffer[65536];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  int status = 0;
  if (ok && response.rfind("HTTP/1.", 0) == 0 && response.size() > 12) {
    status = std::atoi(response.c_str() + 9);
  }
  *bytes = response.size();
  if (!ok || status == 0) return {-1, status};
  return {std::chrono::duration<double, std::milli>(Clock::now() - start).count(), status};
}

void RaiseFileLimit(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, wanted);
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  RaiseFileLimit(static_cast<std::size_t>(args.connections) + 64);
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);

  SlowPool pool(args);
  std::atomic<bool> stop{false};
  std::thread loop([&] { pool.Run(stop); });
  auto started = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };

  if (args.scrapes > 0) {
    // Give the slow connections a moment to be accepted before the first scrape.
    while (pool.open() < static_cast<std::size_t>(args.connections) && elapsed() < 30 && !g_stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(args.interval_ms * 2));
    std::vector<double> ok;
    int failed = 0;
    for (int i = 1; i <= args.scrapes && !g_stop; ++i) {
      std::size_t bytes = 0;
      auto [ms, status] = Scrape(args, &bytes);
      std::printf("scrape %d %.1f %d %zu\n", i, ms, status, bytes);
      std::fflush(stdout);
      if (ms >= 0 && status == 200) {
        ok.push_back(ms);
      } else {
        ++failed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(args.scrape_interval_ms));
    }
    std::sort(ok.begin(), ok.end());
    auto pick = [&](double q) {
      return ok.empty() ? -1.0
                        : ok[std::min(ok.size() - 1, static_cast<std::size_t>(q * ok.size()))];
    };
    std::printf(
        "summary ok=%zu failed=%d p50_ms=%.1f p90_ms=%.1f max_ms=%.1f reconnects=%zu open=%zu\n",
        ok.size(), failed, pick(0.5), pick(0.9), ok.empty() ? -1.0 : ok.back(), pool.reconnects(),
        pool.open());
    std::fflush(stdout);
    stop = true;
  } else {
    while (!g_stop && (args.seconds <= 0 || elapsed() < args.seconds)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop = true;
  }
  loop.join();
  return 0;
}
