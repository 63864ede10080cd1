#include "exporter/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "exporter/web.h"
#include "tests/support/fake_clock.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono_literals;

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

// bcrypt("fakepassword"), cost 10.
constexpr char kHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

class WebAuthTest : public WebTest {
 protected:
  void SetUp() override {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->sample.clock = clock_.Now();
    hub_.Publish(snapshot);
    WebContext context{page_, hub_, clock_, 30, &stats_, &auth_, nullptr};
    auto server = HttpServer::Start(Local(2, 2000), MakeWebHandler(context));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
  }
  test::HttpResponse Get(const std::string& user, const std::string& password) {
    test::HttpOptions o;
    o.user = user;
    o.password = password;
    return test::HttpRequestWith("GET", url("/metrics"), o);
  }

  WebStats stats_;
  Authenticator auth_{{{"prometheus", kHash}}, "", clock_, {5, 60, 60, 100}};
};

TEST_F(WebAuthTest, EveryRequestNeedsARightPassword) {
  auto none = test::HttpGet(url("/metrics"));
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Basic realm=\"rogue-hunter\", charset=\"UTF-8\"");
  EXPECT_EQ(test::HttpGet(url("/healthz")).status, 401);
  EXPECT_EQ(test::HttpGet(url("/api/processes")).status, 401);
  EXPECT_EQ(Get("prometheus", "fakepassword").status, 200);
  EXPECT_EQ(Get("prometheus", "fakepasswore").status, 401);
  EXPECT_EQ(Get("nobody", "fakepassword").status, 401);
  EXPECT_EQ(stats_.auth_failures.load(), 5u);
}

TEST_F(WebAuthTest, RepeatedFailuresFromAnAddressAre429ForAWhile) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get("prometheus", "guess" + std::to_string(i)).status, 401);
  auto blocked = Get("prometheus", "fakepassword");
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(blocked.headers["retry-after"], "60");
  EXPECT_EQ(stats_.rate_limited.load(), 1u);
  clock_.AdvanceSeconds(60);
  EXPECT_EQ(Get("prometheus", "fakepassword").status, 200);
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

TEST_F(WebTest, MalformedPathsAre400) {
  for (const char* path : {"//metrics", "/api/../metrics", "/metrics/./x", "/a%0d%0aX:%20y"}) {
    auto raw = test::RawHttp(server_->port(),
                             std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
    EXPECT_EQ(test::RawStatus(raw), 400) << path << "\n" << raw;
    EXPECT_EQ(raw.find("\r\nX: y"), std::string::npos) << raw;
  }
  EXPECT_EQ(test::HttpGet(url("/metrics")).status, 200);
}

// A server whose handler answers with the headers the test gives it.
TEST(HttpServer, HeadersWithControlCharactersAreNeverWritten) {
  auto server = HttpServer::Start(Local(1, 1000), [](HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, "ok");
    r.headers.emplace_back("X-Good", "fine");
    r.headers.emplace_back("X-Bad", "a\r\nSet-Cookie: owned=1");
    r.headers.emplace_back("X-Bad\r\nName", "v");
    return r;
  });
  ASSERT_TRUE(server.ok());
  auto raw =
      test::RawHttp((*server)->port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(test::RawStatus(raw), 200);
  EXPECT_NE(raw.find("X-Good: fine\r\n"), std::string::npos);
  EXPECT_EQ(raw.find("Set-Cookie"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("X-Bad"), std::string::npos) << raw;
}

TEST(HttpServer, ConfiguredHeadersGoOnEveryResponse) {
  auto options = Local(1, 1000);
  options.headers = {{"X-Frame-Options", "deny"}};
  auto server =
      HttpServer::Start(options, [](HttpRequest&) { return HttpResponse::Text(404, "x"); });
  ASSERT_TRUE(server.ok());
  auto r = test::HttpGet("http://127.0.0.1:" + std::to_string((*server)->port()) + "/x");
  EXPECT_EQ(r.headers["x-frame-options"], "deny");
  // Also on the errors civetweb answers itself, which carry no CORS header.
  auto raw =
      test::RawHttp((*server)->port(),
                    "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_GE(test::RawStatus(raw), 400);
  EXPECT_LT(test::RawStatus(raw), 500);
  EXPECT_NE(raw.find("X-Frame-Options: deny"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("Access-Control"), std::string::npos) << raw;
}

TEST(HttpServer, ABodyIsReadOnlyWithinItsLimit) {
  std::atomic<int> status{-1};
  std::atomic<std::size_t> size{0};
  auto server = HttpServer::Start(Local(2, 2000), [&](HttpRequest& request) {
    RequestBody body = request.ReadBody(16);
    status = body.status;
    size = body.bytes.size();
    return HttpResponse::Text(body.status == 0 ? 200 : body.status, "done");
  });
  ASSERT_TRUE(server.ok());
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/";
  EXPECT_EQ(test::HttpRequest("POST", base, {}, "0123456789").status, 200);
  EXPECT_EQ(size.load(), 10u);
  // Over the limit: refused from its Content-Length alone. The body is never sent, and the
  // answer comes at once instead of after the request timeout.
  auto start = std::chrono::steady_clock::now();
  auto raw = test::RawHttp((*server)->port(),
                           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", 5000ms);
  EXPECT_EQ(test::RawStatus(raw), 413);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_NE(raw.find("Connection: close"), std::string::npos);
  auto chunked = test::RawHttp(
      (*server)->port(),
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(test::RawStatus(chunked), 411);
}

// A TLS server answering real HTTPS, while a client speaking plain HTTP to it makes civetweb log
// from a worker thread (the path where the server's start-up state is read concurrently).
TEST(HttpServer, ServesTlsAndSurvivesPlainTextClients) {
  test::TempDir dir;
  auto r = test::Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", (dir / "k.pem").string(),
                      "-out", (dir / "c.pem").string(), "-days", "1", "-subj", "/CN=127.0.0.1"},
                     60s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto options = Local(2, 1000);
  options.tls = TlsOptions{};
  options.tls->cert_file = (dir / "c.pem").string();
  options.tls->key_file = (dir / "k.pem").string();
  auto server =
      HttpServer::Start(options, [](HttpRequest&) { return HttpResponse::Text(200, "tls"); });
  ASSERT_TRUE(server.ok()) << server.error().message;
  const std::string port = std::to_string((*server)->port());
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(test::HttpGet("http://127.0.0.1:" + port + "/").status, 200);
  }
  test::HttpOptions o;
  o.ca_file = (dir / "c.pem").string();
  auto https = test::HttpRequestWith("GET", "https://127.0.0.1:" + port + "/", o);
  EXPECT_EQ(https.status, 200) << https.error;
  EXPECT_EQ(https.body, "tls");
}

TEST(HttpServer, ABadCertificateIsAnErrorNamingTheField) {
  test::TempDir dir;
  auto options = Local(1, 1000);
  options.tls = TlsOptions{};
  options.tls->cert_file = dir.Write("c.pem", "not a certificate").string();
  options.tls->key_file = (dir / "missing.pem").string();
  auto server = HttpServer::Start(options, [](HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().message.find("tls_server_config.cert_file: " + options.tls->cert_file),
            std::string::npos)
      << server.error().message;
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
