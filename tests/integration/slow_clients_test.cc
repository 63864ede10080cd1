// Slow and idle clients must not starve a scrape: the real daemon with its default settings, a
// real bench/slow_clients process holding 1,000 connections that send one header line every
// 0.5 s (or nothing at all), and scrapes over libcurl meanwhile.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace rh {
namespace {

using namespace std::chrono_literals;

constexpr int kSlowConnections = 1000;

std::string SlowClientsBinary() { return test::BinaryPath("bench/slow_clients").string(); }

// Starts bench/slow_clients against the daemon and waits until all its connections are open.
test::Subprocess HoldConnections(const test::Daemon& daemon, int count, bool idle) {
  std::vector<std::string> argv = {SlowClientsBinary(),
                                   "--port",
                                   std::to_string(daemon.port()),
                                   "--connections",
                                   std::to_string(count),
                                   "--interval-ms",
                                   "500"};
  if (idle) argv.push_back("--idle");
  auto clients = test::Subprocess::Start(argv);
  std::string ready = "ready " + std::to_string(count);
  EXPECT_TRUE(test::WaitUntil(
      [&] { return clients.Stdout().find(ready) != std::string::npos || !clients.Running(); }, 30s))
      << clients.Stderr();
  return clients;
}

// The daemon has accepted (not merely left in its listen backlog) at least `count` connections.
bool DaemonHolds(const test::Daemon& daemon, double count) {
  return daemon.Metric("rogue_hunter_http_connections").value_or(0) >= count;
}

void ExpectScrapesStayFast(const test::Daemon& daemon) {
  for (int i = 0; i < 10; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto r = test::HttpRequest("GET", daemon.url("/metrics"), {"Accept-Encoding: gzip"}, "", 5s);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    EXPECT_EQ(r.status, 200) << "scrape " << i << ": " << r.error;
    // A scrape normally takes a few milliseconds; starved, it waited for seconds (the request
    // timeout of a slow connection) or timed out.
    EXPECT_LT(ms, 1000) << "scrape " << i;
    std::this_thread::sleep_for(200ms);
  }
}

class SlowClients : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test holds no sockets itself, but the daemon (its child) inherits this limit.
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    ASSERT_GE(limit.rlim_max, 4096u) << "the hard limit of open files is too low for this test";
  }
};

TEST_F(SlowClients, AThousandSlowConnectionsDoNotDelayScrapes) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto clients = HoldConnections(daemon, kSlowConnections, /*idle=*/false);
  ASSERT_TRUE(clients.Running()) << clients.Stderr();
  EXPECT_TRUE(test::WaitUntil([&] { return DaemonHolds(daemon, kSlowConnections); }, 10s))
      << daemon.Metric("rogue_hunter_http_connections").value_or(-1);
  ExpectScrapesStayFast(daemon);
  // Still slow-lorised at the end: the connections were held all along.
  EXPECT_TRUE(clients.Running());
  EXPECT_GE(daemon.Metric("rogue_hunter_http_connections").value_or(0), kSlowConnections);
  clients.Stop();
  EXPECT_EQ(daemon.Get("/healthz").status, 200);
}

TEST_F(SlowClients, AThousandIdleConnectionsDoNotDelayScrapes) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto clients = HoldConnections(daemon, kSlowConnections, /*idle=*/true);
  ASSERT_TRUE(clients.Running()) << clients.Stderr();
  EXPECT_TRUE(test::WaitUntil([&] { return DaemonHolds(daemon, kSlowConnections); }, 10s))
      << daemon.Metric("rogue_hunter_http_connections").value_or(-1);
  ExpectScrapesStayFast(daemon);
  clients.Stop();
}

TEST_F(SlowClients, ASlowConnectionIsClosedAtTheHeaderDeadline) {
  // request_timeout_ms bounds the time to receive a request's headers in total, however
  // steadily a client trickles them.
  test::TempDir dir;
  auto config = dir.Write("config.toml", "[http]\nrequest_timeout_ms = 1000\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto clients = test::Subprocess::Start(
      {SlowClientsBinary(), "--port", std::to_string(daemon.port()), "--connections", "1",
       "--interval-ms", "100", "--scrapes", "2", "--scrape-interval-ms", "1500"});
  // One header line every 0.1 s for ever: the daemon closes it after about a second, and the
  // tool reconnects.
  EXPECT_TRUE(
      test::WaitUntil([&] { return clients.Stdout().find("summary") != std::string::npos; }, 30s));
  EXPECT_THAT(clients.Stdout(), ::testing::HasSubstr("ok=2"));
  EXPECT_THAT(clients.Stdout(), ::testing::Not(::testing::HasSubstr("reconnects=0 ")));
}

}  // namespace
}  // namespace rh
