#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exporter/api/json.h"
#include "exporter/api/router.h"
#include "exporter/web.h"

namespace rh::exporter {
namespace {

using api::Json;

TEST(ApiJson, InvalidUtf8BecomesReplacementCharactersInValidJson) {
  auto r = api::JsonResponse(200, {{"name", std::string("a\xff\"\n\x01z", 6)}});
  EXPECT_EQ(r.content_type, "application/json");
  Json back = Json::parse(*r.body);  // throws on invalid JSON
  EXPECT_EQ(back["name"], "a\xEF\xBF\xBD\"\n\x01z");
}

TEST(ApiJson, ErrorsHaveTheSeedShape) {
  auto r = api::JsonError(404, "Process not found", {{"pid", 1234}});
  EXPECT_EQ(r.status, 404);
  Json body = Json::parse(*r.body);
  EXPECT_EQ(body, Json({{"success", false}, {"error", "Process not found"}, {"pid", 1234}}));
}

TEST(ApiJson, ParsesIntegersStrictly) {
  EXPECT_EQ(api::ParseInteger("1234", 1, 4194304), 1234);
  EXPECT_EQ(api::ParseInteger("007", 1, 100), 7);
  for (const char* bad :
       {"", "-1", "+1", "1e3", "0x10", " 1", "1 ", "99999999999", "4194305", "0", "12a"}) {
    EXPECT_FALSE(api::ParseInteger(bad, 1, 4194304)) << bad;
  }
}

TEST(ApiJson, ParsesAndFormatsTimes) {
  EXPECT_EQ(api::IsoTime(1795000000.1234), "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(api::IsoTime(1795000000.9996), "2026-11-18T11:06:41.000Z");
  EXPECT_EQ(api::ParseTime("1795000000.5"), 1795000000.5);
  EXPECT_EQ(api::ParseTime("2026-11-18T11:06:40Z"), 1795000000);
  EXPECT_EQ(api::ParseTime("2026-11-18T11:06:40.250Z"), 1795000000.25);
  for (const char* bad : {"", "yesterday", "2026-11-18", "2026-11-18T11:06:40", "-5",
                          "2026-13-18T11:06:40Z", "inf", "nan"}) {
    EXPECT_FALSE(api::ParseTime(bad)) << bad;
  }
}

TEST(ApiJson, DecodesQueryParameters) {
  EXPECT_EQ(api::QueryParameter("hours=6&kind=pause", "kind"), "pause");
  EXPECT_EQ(api::QueryParameter("since=2026-11-18T11%3A06%3A40Z", "since"), "2026-11-18T11:06:40Z");
  EXPECT_EQ(api::QueryParameter("flag", "flag"), "");
  EXPECT_FALSE(api::QueryParameter("a=1", "b"));
}

class FakeRequest final : public HttpRequest {
 public:
  FakeRequest(std::string method, std::string path) : method_(method), path_(path) {}
  std::string_view method() const override { return method_; }
  std::string_view path() const override { return path_; }
  std::string_view query() const override { return ""; }
  std::string_view header(std::string_view) const override { return ""; }
  std::string_view remote_address() const override { return "127.0.0.1"; }
  RequestBody ReadBody(std::size_t) override { return {}; }

 private:
  std::string method_, path_;
};

TEST(ApiRouter, MatchesParametersAnd404sOr405s) {
  std::string seen;
  api::Router router({{"GET", "/api/things/{id}",
                       [&](api::ApiRequest& r) {
                         seen = std::string(r.params[0]);
                         return HttpResponse::Text(200, "ok");
                       }},
                      {"POST", "/api/things/{id}/poke",
                       [](api::ApiRequest&) { return HttpResponse::Text(200, "poked"); }}});
  FakeRequest get("GET", "/api/things/42");
  EXPECT_EQ(router.Dispatch(get).status, 200);
  EXPECT_EQ(seen, "42");
  FakeRequest head("HEAD", "/api/things/7");
  EXPECT_EQ(router.Dispatch(head).status, 200);
  FakeRequest post("POST", "/api/things/42");
  auto r = router.Dispatch(post);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Json::parse(*r.body)["allow"], "GET, HEAD");
  FakeRequest unknown("GET", "/api/things/42/nope");
  EXPECT_EQ(router.Dispatch(unknown).status, 404);
  FakeRequest get_poke("GET", "/api/things/42/poke");
  EXPECT_EQ(router.Dispatch(get_poke).status, 405);
}

TEST(WellFormedPath, RefusesTraversalRunsOfSlashesAndControlBytes) {
  for (const char* ok :
       {"/", "/metrics", "/api/processes/12/history", "/api/events/a.b-c_d:1", "/metrics/"}) {
    EXPECT_TRUE(WellFormedPath(ok)) << ok;
  }
  for (const char* bad :
       {"", "metrics", "//metrics", "/api//processes", "/api/../metrics", "/./metrics",
        "/api/processes/..", "/a\r\nb", "/a b", "/a%2e", "/api/\xff"}) {
    EXPECT_FALSE(WellFormedPath(bad)) << bad;
  }
}

}  // namespace
}  // namespace rh::exporter
