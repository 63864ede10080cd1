// TLS, mutual TLS and basic auth of the real daemon from web-config files, with certificates
// the test makes with openssl; every file the daemon accepts, promtool check web-config accepts
// too, and a file promtool refuses stops the daemon at start naming the field.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// bcrypt("fakepassword"), cost 10.
constexpr char kHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

std::string Binary() { return test::BinaryPath("exporter/rogue-hunter").string(); }

// A CA, a server certificate for 127.0.0.1 and two client certificates, one of them signed by
// another CA: made once for the whole suite.
class Certificates {
 public:
  Certificates() {
    const auto& d = dir_;
    d.Write("san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Must({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes", "-keyout", (d / "ca.key").string(), "-out", (d / "ca.crt").string(), "-days",
          "2", "-subj", "/CN=rh-test-ca"});
    Must({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes", "-keyout", (d / "other-ca.key").string(), "-out", (d / "other-ca.crt").string(),
          "-days", "2", "-subj", "/CN=rh-other-ca"});
    Sign("server", "/CN=127.0.0.1", "ca", true);
    Sign("client", "/CN=prometheus", "ca", false);
    Sign("stranger", "/CN=stranger", "other-ca", false);
  }
  std::string operator()(const std::string& name) const { return (dir_ / name).string(); }

 private:
  void Must(const std::vector<std::string>& argv) {
    auto r = test::Run(argv, 60s);
    ASSERT_EQ(r.exit_code, 0) << argv[0] << " " << argv[1] << ": " << r.err;
  }
  void Sign(const std::string& name, const std::string& subject, const std::string& ca,
            bool server) {
    const auto& d = dir_;
    Must({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", (d / (name + ".key")).string(), "-out", (d / (name + ".csr")).string(),
          "-subj", subject});
    std::vector<std::string> argv = {"openssl",
                                     "x509",
                                     "-req",
                                     "-in",
                                     (d / (name + ".csr")).string(),
                                     "-CA",
                                     (d / (ca + ".crt")).string(),
                                     "-CAkey",
                                     (d / (ca + ".key")).string(),
                                     "-CAcreateserial",
                                     "-out",
                                     (d / (name + ".crt")).string(),
                                     "-days",
                                     "2"};
    if (server) argv.insert(argv.end(), {"-extfile", (d / "san.ext").string()});
    Must(argv);
  }
  test::TempDir dir_;
};

class WebConfigTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new Certificates(); }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  // Starts the daemon with a web-config file of `yaml` and waits until `ready` says it serves.
  void Start(const std::string& yaml, const std::function<bool()>& ready) {
    web_ = dir_.Write("web.yml", yaml);
    port_ = test::FreePort();
    test::Subprocess::Options o;
    o.env = {"HOME=" + dir_.path().string(), "XDG_CONFIG_HOME=", "XDG_DATA_HOME="};
    daemon_ = std::make_unique<test::Subprocess>(test::Subprocess::Start(
        {Binary(), "daemon", "--listen", "127.0.0.1:" + std::to_string(port_), "--web.config.file",
         web_.string()},
        o));
    ASSERT_TRUE(test::WaitUntil([&] { return !daemon_->Running() || ready(); }, 20s))
        << daemon_->Stderr();
    ASSERT_TRUE(daemon_->Running()) << daemon_->Stderr();
  }

  std::string Url(const std::string& scheme, const std::string& path) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
  }

  test::HttpResponse Https(const std::string& path, test::HttpOptions o = {}) {
    if (o.ca_file.empty()) o.ca_file = (*certs_)("ca.crt");
    o.timeout = 5s;
    return test::HttpRequestWith("GET", Url("https", path), o);
  }

  // promtool's verdict on the file the daemon read.
  void ExpectPromtoolAccepts() {
    auto r = test::Run({"promtool", "check", "web-config", web_.string()}, 30s);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  static Certificates* certs_;
  test::TempDir dir_;
  std::filesystem::path web_;
  int port_ = 0;
  std::unique_ptr<test::Subprocess> daemon_;
};

Certificates* WebConfigTest::certs_ = nullptr;

TEST_F(WebConfigTest, ServesTlsWithTheConfiguredCertificate) {
  const auto& c = *certs_;
  Start("tls_server_config:\n  cert_file: " + c("server.crt") + "\n  key_file: " + c("server.key") +
            "\nhttp_server_config:\n  headers:\n    Strict-Transport-Security: max-age=600\n",
        [&] { return Https("/healthz").status == 200; });
  auto r = Https("/metrics");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.body.find("rogue_hunter_build_info"), std::string::npos);
  EXPECT_EQ(r.headers["strict-transport-security"], "max-age=600");
  // A client that does not trust the CA refuses the server; plain HTTP gets no answer.
  test::HttpOptions untrusting;
  untrusting.ca_file = c("other-ca.crt");
  EXPECT_EQ(Https("/metrics", untrusting).status, 0);
  EXPECT_EQ(test::HttpRequestWith("GET", Url("http", "/metrics"), {}).status != 200, true);
  EXPECT_EQ(Https("/api/processes").status, 200);
  ExpectPromtoolAccepts();
}

TEST_F(WebConfigTest, MutualTlsNeedsAClientCertificateFromTheClientCa) {
  const auto& c = *certs_;
  test::HttpOptions client;
  client.client_cert = c("client.crt");
  client.client_key = c("client.key");
  Start("tls_server_config:\n  cert_file: " + c("server.crt") + "\n  key_file: " + c("server.key") +
            "\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: " + c("ca.crt") +
            "\n",
        [&] { return Https("/healthz", client).status == 200; });
  EXPECT_EQ(Https("/metrics", client).status, 200);
  EXPECT_EQ(Https("/metrics").status, 0);  // no client certificate: the handshake fails
  test::HttpOptions stranger;
  stranger.client_cert = c("stranger.crt");
  stranger.client_key = c("stranger.key");
  EXPECT_EQ(Https("/metrics", stranger).status, 0);  // signed by another CA
  ExpectPromtoolAccepts();
}

TEST_F(WebConfigTest, MinimumTlsVersionIsEnforced) {
  const auto& c = *certs_;
  Start("tls_server_config:\n  cert_file: " + c("server.crt") + "\n  key_file: " + c("server.key") +
            "\n  min_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n"
            "  curve_preferences: [X25519, CurveP256]\n",
        [&] { return Https("/healthz").status == 200; });
  test::HttpOptions old;
  old.tls_max_version = "1.2";
  EXPECT_EQ(Https("/metrics", old).status, 0);
  EXPECT_EQ(Https("/metrics").status, 200);
  ExpectPromtoolAccepts();
}

TEST_F(WebConfigTest, BasicAuthOverTlsWithPathsRelativeToTheFile) {
  const auto& c = *certs_;
  // Relative file names are relative to the web-config file, as for exporters.
  dir_.Write("server.crt", test::ReadFileOrFail(c("server.crt")));
  dir_.Write("server.key", test::ReadFileOrFail(c("server.key")));
  test::HttpOptions right;
  right.user = "prometheus";
  right.password = "fakepassword";
  Start(
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
      "basic_auth_users:\n  prometheus: " +
          std::string(kHash) + "\n",
      [&] { return Https("/healthz", right).status == 200; });
  EXPECT_EQ(Https("/metrics", right).status, 200);
  EXPECT_EQ(Https("/metrics").status, 401);
  ExpectPromtoolAccepts();
}

TEST_F(WebConfigTest, BasicAuthRightWrongUnknownUserAndRateLimit) {
  test::HttpOptions right;
  right.user = "prometheus";
  right.password = "fakepassword";
  Start(std::string("basic_auth_users:\n  prometheus: ") + kHash + "\n",
        [&] { return test::HttpRequestWith("GET", Url("http", "/healthz"), right).status == 200; });
  EXPECT_EQ(test::HttpRequestWith("GET", Url("http", "/metrics"), right).status, 200);
  EXPECT_EQ(test::HttpGet(Url("http", "/metrics")).status, 401);
  test::HttpOptions wrong = right;
  wrong.password = "fakepasswor";
  test::HttpOptions unknown = right;
  unknown.user = "nobody";
  EXPECT_EQ(test::HttpRequestWith("GET", Url("http", "/metrics"), wrong).status, 401);
  EXPECT_EQ(test::HttpRequestWith("GET", Url("http", "/metrics"), unknown).status, 401);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(test::HttpRequestWith("GET", Url("http", "/metrics"), wrong).status, 401);
  }
  auto blocked = test::HttpRequestWith("GET", Url("http", "/metrics"), right);
  EXPECT_EQ(blocked.status, 429);
  EXPECT_FALSE(blocked.headers["retry-after"].empty());
  ExpectPromtoolAccepts();
}

struct BadFile {
  const char* name;
  const char* yaml;
  const char* expected;
};

class BadWebConfig : public WebConfigTest, public ::testing::WithParamInterface<BadFile> {};

TEST_P(BadWebConfig, IsRefusedAtStartNamingTheFieldLikePromtool) {
  const auto& c = *certs_;
  std::string yaml = GetParam().yaml;
  for (std::string key : {"@CERT@", "@KEY@", "@CA@"}) {
    std::string value = key == "@CERT@"  ? c("server.crt")
                        : key == "@KEY@" ? c("server.key")
                                         : c("ca.crt");
    for (std::size_t at; (at = yaml.find(key)) != std::string::npos;)
      yaml.replace(at, key.size(), value);
  }
  auto web = dir_.Write("web.yml", yaml);
  const int port = test::FreePort();
  auto r = test::Run({Binary(), "daemon", "--listen", "127.0.0.1:" + std::to_string(port),
                      "--web.config.file", web.string()},
                     20s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(web.string()));
  EXPECT_THAT(r.err, HasSubstr(GetParam().expected));
  EXPECT_EQ(test::HttpGet("http://127.0.0.1:" + std::to_string(port) + "/healthz").status, 0);
  auto promtool = test::Run({"promtool", "check", "web-config", web.string()}, 30s);
  EXPECT_NE(promtool.exit_code, 0) << "promtool accepts it:\n" << yaml;
}

INSTANTIATE_TEST_SUITE_P(
    Files, BadWebConfig,
    ::testing::Values(
        BadFile{"ClientAuth",
                "tls_server_config:\n  cert_file: @CERT@\n  key_file: @KEY@\n"
                "  client_auth_type: Sometimes\n",
                "tls_server_config.client_auth_type: invalid ClientAuth: Sometimes"},
        BadFile{"MismatchedKey", "tls_server_config:\n  cert_file: @CERT@\n  key_file: @CA@\n",
                "tls_server_config.key_file"},
        BadFile{"MissingCertFile",
                "tls_server_config:\n  cert_file: /nonexistent.crt\n  key_file: @KEY@\n",
                "tls_server_config.cert_file: /nonexistent.crt"},
        BadFile{"UnknownField", "tls_server_config:\n  certfile: a\n",
                "tls_server_config.certfile: unknown field"},
        BadFile{"PlainPassword", "basic_auth_users:\n  alice: secret\n",
                "basic_auth_users.alice: not a bcrypt hash"},
        BadFile{"Header", "http_server_config:\n  headers:\n    Server: rh\n",
                "http_server_config.headers.Server"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace rh
