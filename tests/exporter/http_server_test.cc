#include "exporter/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "exporter/web.h"
#include "tests/support/fake_clock.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace rh::exporter {
namespace {

HttpServer::Options Local(int threads, int timeout_ms) {
  HttpServer::Options o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = threads;
  o.request_timeout_ms = timeout_ms;
  return o;
}

class WebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->sequence = 7;
    snapshot->sample.clock = clock_.Now();
    snapshot->sample.collectors.push_back({"loadavg", true, 0.0, ""});
    hub_.Publish(snapshot);
    auto server = HttpServer::Start(
        Local(2, 2000), MakeWebHandler({page_, hub_, clock_, /*stale_after_seconds=*/30}));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  test::FakeClock clock_;
  SnapshotHub hub_;
  MetricsPage page_{
      {std::make_shared<DaemonMetrics>(hub_, 1.5)}, clock_, std::chrono::milliseconds(100)};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(WebTest, MetricsHasTheExpositionContentType) {
  auto r = test::HttpGet(url("/metrics"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.headers.count("content-encoding"), 0u);
  EXPECT_NE(r.body.find("rogue_hunter_samples_total 7\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("rogue_hunter_start_time_seconds 1.5\n"), std::string::npos);
}

TEST_F(WebTest, MetricsIsGzippedWhenAccepted) {
  auto plain = test::HttpGet(url("/metrics"));
  auto r = test::HttpGet(url("/metrics"), {"Accept-Encoding: gzip, deflate"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-encoding"], "gzip");
  EXPECT_EQ(r.headers["vary"], "Accept-Encoding");
  EXPECT_EQ(test::Gunzip(r.body), plain.body);
}

TEST_F(WebTest, HeadHasHeadersButNoBody) {
  auto r = test::HttpRequest("HEAD", url("/metrics"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  EXPECT_NE(r.headers["content-length"], "0");
}

TEST_F(WebTest, ResponsesSayWhetherTheConnectionStaysOpen) {
  auto kept = test::HttpGet(url("/healthz"));
  EXPECT_EQ(kept.headers["connection"], "keep-alive");
  EXPECT_FALSE(kept.headers["date"].empty());
  auto closed = test::HttpGet(url("/healthz"), {"Connection: close"});
  EXPECT_EQ(closed.status, 200);
  EXPECT_EQ(closed.headers["connection"], "close");
}

TEST_F(WebTest, IndexLinksToTheEndpoints) {
  auto r = test::HttpGet(url("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("href=\"/metrics\""), std::string::npos);
  EXPECT_NE(r.body.find("href=\"/healthz\""), std::string::npos);
}

TEST_F(WebTest, UnknownPathsAre404AndOtherMethods405) {
  EXPECT_EQ(test::HttpGet(url("/nope")).status, 404);
  EXPECT_EQ(test::HttpGet(url("/metrics/x")).status, 404);
  EXPECT_EQ(test::HttpGet(url("/../etc/passwd")).status, 404);
  auto post = test::HttpRequest("POST", url("/metrics"), {}, "x=1");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers["allow"], "GET, HEAD");
  EXPECT_EQ(test::HttpRequest("DELETE", url("/")).status, 405);
}

TEST_F(WebTest, HealthzFollowsTheAgeOfTheLastSample) {
  EXPECT_EQ(test::HttpGet(url("/healthz")).status, 200);
  clock_.AdvanceSeconds(31);
  auto r = test::HttpGet(url("/healthz"));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("stale"), std::string::npos);
}

TEST_F(WebTest, ServesConcurrentClients) {
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 20; ++i) ok += test::HttpGet(url("/metrics")).status == 200 ? 1 : 0;
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 160);
}

TEST(HttpServer, PortInUseIsAnErrorNamingTheAddress) {
  auto first = HttpServer::Start(Local(1, 1000), [](HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(first.ok());
  int port = (*first)->port();
  auto second = HttpServer::Start(
      [&] {
        auto o = Local(1, 1000);
        o.port = port;
        return o;
      }(),
      [](HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << second.error().message;
  EXPECT_EQ(second.error().message.find('\n'), std::string::npos);
}

TEST(HttpServer, HandlerExceptionsBecome500) {
  auto server = HttpServer::Start(
      Local(1, 1000), [](HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server.ok());
  auto r = test::HttpGet("http://127.0.0.1:" + std::to_string((*server)->port()) + "/");
  EXPECT_EQ(r.status, 500);
}

}  // namespace
}  // namespace rh::exporter
