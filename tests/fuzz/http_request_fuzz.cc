// Fuzz target: the daemon's handling of a request as civetweb hands it over (method, path,
// query, headers, body), through the path and query helpers and the whole web handler with the
// JSON API's routes. Input: the method, the path, the query on the first three lines, then header
// lines "Name: value", an empty line and the body.
//
// Checked: a malformed path is 400; an /api/ answer is valid JSON; the status is 200-599.
// Nothing here reads the machine: /proc and /sys point at a directory that does not exist, the
// history is off, and the kill action is off.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "exporter/api/api.h"
#include "exporter/api/json.h"
#include "exporter/api/router.h"
#include "exporter/web.h"
#include "tests/support/fake_clock.h"

namespace rh::exporter {
namespace {

class FuzzRequest final : public HttpRequest {
 public:
  explicit FuzzRequest(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t at = 0;
    while (at <= text.size() && lines.size() < 3) {
      std::size_t end = text.find('\n', at);
      if (end == text.npos) end = text.size();
      lines.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    lines.resize(3);
    method_ = lines[0];
    path_ = lines[1];
    query_ = lines[2];
    while (at < text.size()) {
      std::size_t end = text.find('\n', at);
      if (end == text.npos) end = text.size();
      std::string_view line = text.substr(at, end - at);
      at = end + 1;
      if (line.empty()) {
        body_ = at < text.size() ? text.substr(at) : std::string_view();
        break;
      }
      std::size_t colon = line.find(':');
      if (colon == line.npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      headers_.emplace_back(line.substr(0, colon), value);
    }
  }
  std::string_view method() const override { return method_; }
  std::string_view path() const override { return path_; }
  std::string_view query() const override { return query_; }
  std::string_view header(std::string_view name) const override {
    for (const auto& [n, v] : headers_) {
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return {};
  }
  std::string_view remote_address() const override { return "127.0.0.1"; }
  RequestBody ReadBody(std::size_t max_bytes) override {
    if (body_.size() > max_bytes) return {413, {}};
    return {0, std::string(body_)};
  }

 private:
  std::string method_, path_, query_;
  std::vector<std::pair<std::string_view, std::string_view>> headers_;
  std::string_view body_;
};

// What the handler serves from, made once.
struct Server {
  Server()
      : config([] {
          config::Config c;
          c.storage.enabled = false;
          return c;
        }()),
        page({}, clock, std::chrono::milliseconds(1000)),
        root("/nonexistent-rh-fuzz", "/nonexistent-rh-fuzz"),
        reader(root, std::chrono::milliseconds(100)),
        auth({}, "fuzz-token-0123456789abcdef", clock),
        context{hub,    clock, config, reader,  "salt",
                "boot", stats, auth,   nullptr, {"127.0.0.1:9795"},
                nullptr},
        router(api::ApiRoutes(context)),
        handler(MakeWebHandler({page, hub, clock, 30, &stats, &auth, &router})) {}

  test::FakeClock clock;
  config::Config config;
  SnapshotHub hub;
  MetricsPage page;
  collectors::ProcRoot root;
  api::ProcessReader reader;
  WebStats stats;
  Authenticator auth;
  api::ApiContext context;
  api::Router router;
  HttpHandler handler;
};

}  // namespace
}  // namespace rh::exporter

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rh::exporter;
  static Server* server = new Server();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  FuzzRequest request(text);

  (void)api::PathSegments(request.path());
  for (const char* name : {"since", "kind", "limit", "hours"}) {
    if (auto value = api::QueryParameter(request.query(), name)) {
      (void)api::ParseInteger(*value, 1, 1 << 22);
      (void)api::ParseTime(*value);
    }
  }
  (void)api::ParsePid(request.query());
  (void)AcceptsGzip(request.header("Accept-Encoding"));

  const bool well_formed = WellFormedPath(request.path());
  HttpResponse response = server->handler(request);
  if (response.status < 200 || response.status > 599) std::abort();
  if (!well_formed && response.status != 400) std::abort();
  const std::string_view path = request.path();
  if (well_formed && (path == "/api" || path.starts_with("/api/")) &&
      !nlohmann::json::accept(*response.body)) {
    std::abort();
  }
  return 0;
}
