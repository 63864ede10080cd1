#include "exporter/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rh::exporter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kHash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

Result<WebConfig> Parse(const std::string& text) {
  return ParseWebConfig(text, "web.yml", "/etc/rh");
}

std::string ErrorOf(const std::string& text) {
  auto c = Parse(text);
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? "" : c.error().message;
}

TEST(WebConfig, AnEmptyFileMeansNothing) {
  for (const char* text : {"", "---\n", "tls_server_config:\n", "basic_auth_users: {}\n"}) {
    auto c = Parse(text);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_FALSE(c->tls);
    EXPECT_TRUE(c->users.empty());
    EXPECT_TRUE(c->headers.empty());
  }
}

TEST(WebConfig, ReadsEveryField) {
  auto c = Parse(std::string(R"(tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ../ca/clients.pem
  min_version: TLS13
  max_version: TLS13
  prefer_server_cipher_suites: false
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_AES_128_GCM_SHA256
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prometheus: )") +
                 kHash + "\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->tls);
  const TlsOptions& t = *c->tls;
  EXPECT_EQ(t.cert_file, "/etc/rh/server.crt");  // relative to the file's directory
  EXPECT_EQ(t.key_file, "/abs/server.key");
  EXPECT_EQ(t.client_ca_file, "/etc/ca/clients.pem");
  EXPECT_EQ(t.client_auth, TlsOptions::ClientAuth::kRequireAndVerify);
  EXPECT_EQ(t.min_version, 0x0304);
  EXPECT_EQ(t.max_version, 0x0304);
  EXPECT_FALSE(t.prefer_server_ciphers);
  // TLS 1.3 suites are accepted and, as in Go, not configurable.
  EXPECT_THAT(t.ciphers, ElementsAre("ECDHE-RSA-AES128-GCM-SHA256"));
  EXPECT_THAT(t.groups, ElementsAre("X25519", "P-256"));
  EXPECT_FALSE(c->http2);
  EXPECT_THAT(c->headers, ElementsAre(Pair("X-Frame-Options", "deny"),
                                      Pair("Strict-Transport-Security", "max-age=31536000")));
  EXPECT_THAT(c->users, ElementsAre(Pair("prometheus", kHash)));
}

TEST(WebConfig, TlsDefaultsAreThoseOfTheToolkit) {
  auto c = Parse("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->tls);
  EXPECT_EQ(c->tls->min_version, 0x0303);
  EXPECT_EQ(c->tls->max_version, 0x0304);
  EXPECT_EQ(c->tls->client_auth, TlsOptions::ClientAuth::kNone);
  EXPECT_TRUE(c->tls->prefer_server_ciphers);
}

struct Bad {
  const char* name;
  const char* text;
  const char* expected;
};

class WebConfigErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(WebConfigErrors, NameFileLineColumnAndField) {
  EXPECT_THAT(ErrorOf(GetParam().text), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, WebConfigErrors,
    ::testing::Values(
        Bad{"Syntax", "tls_server_config: [\n", "web.yml:2:1: syntax error"},
        Bad{"UnknownTopLevel", "tls_config:\n  cert_file: a\n",
            "web.yml:1:1: tls_config: unknown field"},
        Bad{"UnknownTlsField", "tls_server_config:\n  cert: a\n",
            "web.yml:2:3: tls_server_config.cert: unknown field"},
        Bad{"DuplicateField", "tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_file: c\n",
            "web.yml:4:3: tls_server_config.cert_file: set twice"},
        Bad{"MissingKey", "tls_server_config:\n  cert_file: a\n",
            "tls_server_config.key_file: missing key_file"},
        Bad{"MissingCert", "tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
            "tls_server_config.cert_file: missing cert_file"},
        Bad{"ClientAuth",
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n",
            "web.yml:4:21: tls_server_config.client_auth_type: invalid ClientAuth: Always"},
        Bad{"CaWithoutAuth",
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
            "tls_server_config.client_ca_file: client CAs are configured without"},
        Bad{"Version", "tls_server_config:\n  min_version: TLS14\n",
            "web.yml:2:16: tls_server_config.min_version: unknown TLS version: TLS14"},
        Bad{"Cipher", "tls_server_config:\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
            "tls_server_config.cipher_suites: unknown cipher: TLS_RSA_WITH_RC4_128_SHA"},
        Bad{"Curve", "tls_server_config:\n  curve_preferences: [P-256]\n",
            "tls_server_config.curve_preferences: unknown curve: P-256"},
        Bad{"Bool", "tls_server_config:\n  prefer_server_cipher_suites: maybe\n",
            "tls_server_config.prefer_server_cipher_suites: expected true or false"},
        Bad{"Header", "http_server_config:\n  headers:\n    Set-Cookie: a=b\n",
            "web.yml:3:5: http_server_config.headers.Set-Cookie: HTTP header \"Set-Cookie\" can "
            "not be configured"},
        Bad{"HeaderValue", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
            "http_server_config.headers.X-Frame-Options: invalid value \"allow\"; expected one "
            "of: deny, sameorigin"},
        Bad{"NotAHash", "basic_auth_users:\n  alice: secret\n",
            "web.yml:2:10: basic_auth_users.alice: not a bcrypt hash"},
        Bad{"UsersList", "basic_auth_users: [alice]\n", "basic_auth_users: expected a mapping"},
        Bad{"TopLevelList", "- a\n", "expected a mapping at the top level"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(WebConfig, EveryProblemIsReportedOnItsOwnLine) {
  auto message = ErrorOf("tls_config: 1\nbasic_auth_users:\n  a: b\n");
  EXPECT_THAT(message, HasSubstr("tls_config: unknown field"));
  EXPECT_THAT(message, HasSubstr("\nweb.yml:3:6: basic_auth_users.a: not a bcrypt hash"));
}

TEST(WebConfig, LoadRefusesAMissingOrUnreadableFile) {
  auto missing = LoadWebConfig("/nonexistent/web.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("/nonexistent/web.yml: cannot read"));
  auto dir = LoadWebConfig("/tmp");
  ASSERT_FALSE(dir.ok());
  EXPECT_THAT(dir.error().message, HasSubstr("/tmp: not a regular file"));
}

}  // namespace
}  // namespace rh::exporter
