// Resolution of the OTLP exporter's and the Alertmanager pusher's settings from the [otel] and
// [alertmanager] tables and the OTEL_* environment variables: the environment-variable matrix.

#include "exporter/otel/settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace rh::exporter::otel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

const HostIdentity kHost{"box", "0123456789abcdef0123456789abcdef", "inst-1", "9.9.9"};

config::Config Config(std::string_view toml = "") {
  auto parsed = config::Parse(toml, "c.toml");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return parsed.ok() ? *parsed : config::Defaults();
}

std::string Value(const config::StringPairs& pairs, const std::string& name) {
  for (const auto& [n, v] : pairs) {
    if (n == name) return v;
  }
  return "<absent>";
}

std::string AllWarnings(const OtlpResolution& r) {
  std::string all;
  for (const auto& w : r.warnings) all += w + "\n";
  return all;
}

TEST(OtlpEndpoint, OffWithoutAnyEndpoint) {
  OtlpResolution r = ResolveOtlp(Config(), {}, kHost);
  EXPECT_FALSE(r.settings);
  EXPECT_THAT(r.off_reason, HasSubstr("no endpoint"));
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(OtlpEndpoint, GeneralEndpointGetsV1LogsAppended) {
  for (const auto& [base, url] :
       {std::pair{"http://collector:4318", "http://collector:4318/v1/logs"},
        std::pair{"http://collector:4318/", "http://collector:4318/v1/logs"},
        std::pair{"https://c.example/mycollector", "https://c.example/mycollector/v1/logs"},
        std::pair{"https://c.example/mycollector/", "https://c.example/mycollector/v1/logs"}}) {
    OtlpResolution r = ResolveOtlp(Config(), {{"OTEL_EXPORTER_OTLP_ENDPOINT", base}}, kHost);
    ASSERT_TRUE(r.settings) << base;
    EXPECT_EQ(r.settings->url, url);
  }
}

TEST(OtlpEndpoint, LogsEndpointIsUsedAsIsAndWinsOverTheGeneralOne) {
  OtlpResolution r = ResolveOtlp(Config(),
                                 {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:4318"},
                                  {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4318/custom"}},
                                 kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->url, "http://logs:4318/custom");
  // A logs URL without a path gets the root path, nothing else.
  r = ResolveOtlp(Config(), {{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4318"}}, kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->url, "http://logs:4318/");
}

TEST(OtlpEndpoint, TheFileWinsOverTheEnvironment) {
  OtlpResolution r =
      ResolveOtlp(Config("[otel]\nendpoint = \"http://file:4318/v1/logs\"\n"),
                  {{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4318/v1/logs"}}, kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->url, "http://file:4318/v1/logs");
}

TEST(OtlpEndpoint, AnEmptyVariableCountsAsUnset) {
  OtlpResolution r = ResolveOtlp(Config(),
                                 {{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", ""},
                                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:4318"}},
                                 kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->url, "http://general:4318/v1/logs");
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(OtlpEndpoint, AMalformedEndpointIsReportedByNameAndIgnored) {
  OtlpResolution r = ResolveOtlp(Config(),
                                 {{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "collector:4318"},
                                  {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:4318"}},
                                 kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_EQ(r.settings->url, "http://general:4318/v1/logs");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"));
  // A password in the URL would be logged: refused.
  r = ResolveOtlp(Config(), {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:secret@c:4318"}}, kHost);
  EXPECT_FALSE(r.settings);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], Not(HasSubstr("secret")));
}

TEST(OtlpSwitches, SdkDisabledOrExporterNoneTurnExportOff) {
  const Environment endpoint = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}};
  for (const char* value : {"true", "TRUE", "True"}) {
    Environment env = endpoint;
    env["OTEL_SDK_DISABLED"] = value;
    OtlpResolution r =
        ResolveOtlp(Config("[otel]\nendpoint = \"http://f:1/v1/logs\"\n"), env, kHost);
    EXPECT_FALSE(r.settings) << value;
    EXPECT_THAT(r.off_reason, HasSubstr("OTEL_SDK_DISABLED"));
  }
  Environment env = endpoint;
  env["OTEL_SDK_DISABLED"] = "yes";  // not a boolean: false, with a warning
  OtlpResolution r = ResolveOtlp(Config(), env, kHost);
  EXPECT_TRUE(r.settings);
  EXPECT_THAT(AllWarnings(r), HasSubstr("OTEL_SDK_DISABLED"));
  env = endpoint;
  env["OTEL_LOGS_EXPORTER"] = "none";
  EXPECT_FALSE(ResolveOtlp(Config(), env, kHost).settings);
}

TEST(OtlpHeaders, LogsHeadersReplaceTheGeneralOnesAndTheFileWinsPerName) {
  Environment env = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                     {"OTEL_EXPORTER_OTLP_HEADERS", "a=general,b=general"}};
  OtlpResolution r = ResolveOtlp(Config(), env, kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_THAT(r.settings->headers, ElementsAre(Pair("a", "general"), Pair("b", "general")));

  env["OTEL_EXPORTER_OTLP_LOGS_HEADERS"] = "a=logs,Authorization=env";
  r = ResolveOtlp(Config("[otel.headers]\nx-file = \"f\"\na = \"file\"\n"
                         "authorization = \"file\"\n"),
                  env, kHost);
  ASSERT_TRUE(r.settings);
  // Header names match in any case: one Authorization header, the file's.
  EXPECT_THAT(r.settings->headers,
              ElementsAre(Pair("a", "file"), Pair("authorization", "file"), Pair("x-file", "f")));
}

TEST(OtlpHeaders, ValuesArePercentDecodedAndTrimmed) {
  OtlpResolution r = ResolveOtlp(
      Config(),
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
       {"OTEL_EXPORTER_OTLP_HEADERS", " Authorization = Basic%20dXNlcjpwYXNz , x-org=a%2Cb "}},
      kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_THAT(r.settings->headers,
              ElementsAre(Pair("Authorization", "Basic dXNlcjpwYXNz"), Pair("x-org", "a,b")));
}

TEST(OtlpHeaders, AMalformedListIsIgnoredWholeWithoutShowingAnyValue) {
  const std::string secret = "Bearer%20s3cr3t-token";
  for (const std::string& text :
       {"authorization=" + secret + ",broken", "authorization=" + secret + ",x=%zz",
        "bad header=" + secret, "authorization=" + secret + "%0d%0aX: y"}) {
    OtlpResolution r = ResolveOtlp(
        Config(),
        {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, {"OTEL_EXPORTER_OTLP_HEADERS", text}},
        kHost);
    ASSERT_TRUE(r.settings) << text;
    EXPECT_THAT(r.settings->headers, IsEmpty()) << text;
    ASSERT_EQ(r.warnings.size(), 1u) << text;
    EXPECT_THAT(r.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_HEADERS"));
    EXPECT_THAT(r.warnings[0], Not(HasSubstr("s3cr3t"))) << r.warnings[0];
  }
}

TEST(OtlpTimeout, FileThenLogsVariableThenGeneralThenTenSeconds) {
  Environment env = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}};
  EXPECT_EQ(ResolveOtlp(Config(), env, kHost).settings->timeout, std::chrono::seconds(10));
  env["OTEL_EXPORTER_OTLP_TIMEOUT"] = "3000";
  EXPECT_EQ(ResolveOtlp(Config(), env, kHost).settings->timeout, std::chrono::seconds(3));
  env["OTEL_EXPORTER_OTLP_LOGS_TIMEOUT"] = "2000";
  EXPECT_EQ(ResolveOtlp(Config(), env, kHost).settings->timeout, std::chrono::seconds(2));
  EXPECT_EQ(ResolveOtlp(Config("[otel]\ntimeout_ms = 1500\n"), env, kHost).settings->timeout,
            std::chrono::milliseconds(1500));
  // 0 is "no limit", as the specification says.
  env["OTEL_EXPORTER_OTLP_LOGS_TIMEOUT"] = "0";
  EXPECT_EQ(ResolveOtlp(Config(), env, kHost).settings->timeout, std::chrono::milliseconds(0));
}

TEST(OtlpTimeout, NegativeOrNonNumericTimeoutsAreIgnoredWithAWarning) {
  for (const char* bad : {"-5", "10s", "1e3", "99999999999"}) {
    OtlpResolution r = ResolveOtlp(Config(),
                                   {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                                    {"OTEL_EXPORTER_OTLP_TIMEOUT", "4000"},
                                    {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", bad}},
                                   kHost);
    ASSERT_TRUE(r.settings);
    EXPECT_EQ(r.settings->timeout, std::chrono::seconds(4)) << bad;
    ASSERT_EQ(r.warnings.size(), 1u) << bad;
    EXPECT_THAT(r.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT"));
  }
}

TEST(OtlpCompression, GzipFromFileOrEnvironment) {
  Environment env = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}};
  EXPECT_FALSE(ResolveOtlp(Config(), env, kHost).settings->gzip);
  env["OTEL_EXPORTER_OTLP_COMPRESSION"] = "GZIP";
  EXPECT_TRUE(ResolveOtlp(Config(), env, kHost).settings->gzip);
  env["OTEL_EXPORTER_OTLP_LOGS_COMPRESSION"] = "none";
  EXPECT_FALSE(ResolveOtlp(Config(), env, kHost).settings->gzip);
  EXPECT_TRUE(ResolveOtlp(Config("[otel]\ncompression = \"gzip\"\n"), env, kHost).settings->gzip);
  env["OTEL_EXPORTER_OTLP_LOGS_COMPRESSION"] = "zstd";
  OtlpResolution r = ResolveOtlp(Config(), env, kHost);
  EXPECT_TRUE(r.settings->gzip);  // the bad one is ignored; the general one applies
  EXPECT_THAT(AllWarnings(r), HasSubstr("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION"));
}

TEST(OtlpProtocol, AnythingButHttpJsonIsReported) {
  OtlpResolution r = ResolveOtlp(
      Config(),
      {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}},
      kHost);
  EXPECT_TRUE(r.settings);
  EXPECT_THAT(AllWarnings(r), HasSubstr("OTEL_EXPORTER_OTLP_PROTOCOL"));
  r = ResolveOtlp(Config(),
                  {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                   {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"}},
                  kHost);
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(OtlpResource, DetectedAttributesFollowTheSemanticConventions) {
  OtlpResolution r =
      ResolveOtlp(Config(), {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}}, kHost);
  ASSERT_TRUE(r.settings);
  EXPECT_THAT(
      r.settings->resource,
      ElementsAre(Pair("service.name", "rogue-hunter"), Pair("service.version", "9.9.9"),
                  Pair("service.instance.id", "inst-1"), Pair("host.name", "box"),
                  Pair("host.id", "0123456789abcdef0123456789abcdef"), Pair("os.type", "linux")));
}

TEST(OtlpResource, PrecedenceDetectedThenVariablesThenFile) {
  Environment env = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                     {"OTEL_RESOURCE_ATTRIBUTES",
                      "service.name=from-attrs,deployment.environment=prod,host.name=h%2C1,a=1"}};
  OtlpResolution r = ResolveOtlp(Config(), env, kHost);
  EXPECT_EQ(Value(r.settings->resource, "service.name"), "from-attrs");
  EXPECT_EQ(Value(r.settings->resource, "host.name"), "h,1");
  EXPECT_EQ(Value(r.settings->resource, "deployment.environment"), "prod");

  env["OTEL_SERVICE_NAME"] = "from-service-name";
  r = ResolveOtlp(Config(), env, kHost);
  EXPECT_EQ(Value(r.settings->resource, "service.name"), "from-service-name");

  r = ResolveOtlp(Config("[otel.resource_attributes]\na = \"file\"\n"
                         "deployment.environment = \"staging\"\n"),
                  env, kHost);
  EXPECT_EQ(Value(r.settings->resource, "a"), "file");
  EXPECT_EQ(Value(r.settings->resource, "deployment.environment"), "staging");
  EXPECT_EQ(Value(r.settings->resource, "service.name"), "from-service-name");

  r = ResolveOtlp(Config("[otel]\nservice_name = \"from-file\"\n"), env, kHost);
  EXPECT_EQ(Value(r.settings->resource, "service.name"), "from-file");
}

TEST(OtlpResource, AMalformedResourceVariableIsIgnoredWholeAndNamed) {
  for (const char* bad : {"a=1,b", "a=1,=2", "a=%4", "a=1,b=%G0"}) {
    OtlpResolution r = ResolveOtlp(Config(),
                                   {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
                                    {"OTEL_RESOURCE_ATTRIBUTES", bad},
                                    {"OTEL_SERVICE_NAME", "svc"}},
                                   kHost);
    ASSERT_TRUE(r.settings) << bad;
    EXPECT_EQ(Value(r.settings->resource, "a"), "<absent>") << bad;
    EXPECT_EQ(Value(r.settings->resource, "service.name"), "svc") << bad;
    ASSERT_EQ(r.warnings.size(), 1u) << bad;
    EXPECT_THAT(r.warnings[0], HasSubstr("OTEL_RESOURCE_ATTRIBUTES"));
    EXPECT_THAT(r.warnings[0], HasSubstr("ignored"));
  }
}

TEST(KeyValueList, EmptyEntriesAreSkippedAndLaterKeysWin) {
  auto parsed = ParseKeyValueList(" a=1 ,, b = 2,a=3,");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_THAT(*parsed, ElementsAre(Pair("a", "3"), Pair("b", "2")));
  auto bad = ParseKeyValueList("a=1,b");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "entry 2 has no '='");
}

TEST(HostIdentityDetect, ReadsTheMachineIdAndMakesAVersion4Uuid) {
  test::TempDir dir;
  auto path = dir.Write("machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
  HostIdentity a = HostIdentity::Detect("1.2.3", path.string());
  HostIdentity b = HostIdentity::Detect("1.2.3", path.string());
  EXPECT_EQ(a.machine_id, "3d1219c7c4c5404aaa1f6d2a48adfda4");
  EXPECT_FALSE(a.host_name.empty());
  EXPECT_EQ(a.version, "1.2.3");
  ASSERT_EQ(a.instance_id.size(), 36u);
  EXPECT_EQ(a.instance_id[14], '4');
  EXPECT_NE(a.instance_id, b.instance_id);
  EXPECT_EQ(HostIdentity::Detect("x", (dir / "none").string()).machine_id, "");
}

TEST(AlertmanagerSettingsResolve, OffWithoutUrl) {
  EXPECT_FALSE(ResolveAlertmanager(Config(), kHost));
}

TEST(AlertmanagerSettingsResolve, DefaultsNameTheInstanceAsPrometheusScrapesIt) {
  auto s = ResolveAlertmanager(Config("[alertmanager]\nurl = \"http://am:9093/\"\n"), kHost);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->alerts_url, "http://am:9093/api/v2/alerts");
  EXPECT_THAT(s->labels,
              ElementsAre(Pair("instance", "127.0.0.1:9795"), Pair("job", "rogue-hunter")));
  EXPECT_EQ(s->generator_url, "http://127.0.0.1:9795/");
  EXPECT_EQ(s->resend_interval, std::chrono::seconds(60));
  EXPECT_EQ(s->active, std::chrono::minutes(10));
  // Listening on every address, the daemon is scraped by its host name. (IPv6 addresses are
  // refused by http.listen: Debian's civetweb is built without IPv6.)
  s = ResolveAlertmanager(
      Config("[http]\nlisten = \"0.0.0.0:9795\"\n[alertmanager]\nurl = \"http://am:9093\"\n"),
      kHost);
  ASSERT_TRUE(s);
  EXPECT_THAT(s->labels, ElementsAre(Pair("instance", "box:9795"), Pair("job", "rogue-hunter")));
}

TEST(AlertmanagerSettingsResolve, LabelsFromTheFileAddAndReplace) {
  auto s = ResolveAlertmanager(Config(R"([alertmanager]
url = "https://am.example/prefix"
bearer_token = "t0k3n"
[alertmanager.labels]
instance = "10.0.0.7:9795"
env = "prod"
)"),
                               kHost);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->alerts_url, "https://am.example/prefix/api/v2/alerts");
  EXPECT_THAT(s->labels, ElementsAre(Pair("env", "prod"), Pair("instance", "10.0.0.7:9795"),
                                     Pair("job", "rogue-hunter")));
  EXPECT_EQ(s->bearer_token, "t0k3n");
}

}  // namespace
}  // namespace rh::exporter::otel
