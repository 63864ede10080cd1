#include "exporter/web.h"

#include <cctype>
#include <string>

namespace rh::exporter {
namespace {

constexpr std::string_view kIndex = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>rogue-hunter</title></head>
<body><h1>rogue-hunter</h1>
<p>Hunts the pauses that freeze this machine.</p>
<ul>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
<li><a href="/healthz">/healthz</a>: health of the sampler</li>
</ul></body></html>
)";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

HttpResponse Metrics(HttpRequest& request, MetricsPage& page) {
  bool gzip = AcceptsGzip(request.header("Accept-Encoding"));
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = page.Get(gzip);
  response.headers.emplace_back("Vary", "Accept-Encoding");
  if (gzip) response.headers.emplace_back("Content-Encoding", "gzip");
  return response;
}

HttpResponse Health(const WebContext& c) {
  auto snapshot = c.snapshots.Latest();
  if (snapshot == nullptr) return HttpResponse::Text(503, "starting: no sample yet\n");
  double age =
      static_cast<double>(c.clock.Now().monotonic_ns - snapshot->sample.clock.monotonic_ns) / 1e9;
  if (age > c.stale_after_seconds) {
    return HttpResponse::Text(
        503, "stale: last sample " + std::to_string(static_cast<long>(age)) + " s ago\n");
  }
  return HttpResponse::Text(200, "ok\n");
}

}  // namespace

bool AcceptsGzip(std::string_view header) {
  bool star = false;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::size_t semicolon = item.find(';');
    std::string_view coding = Trim(item.substr(0, semicolon));
    bool gzip = EqualsIgnoreCase(coding, "gzip");
    if (!gzip && coding != "*") continue;
    bool acceptable = true;
    if (semicolon != std::string_view::npos) {
      std::string_view param = Trim(item.substr(semicolon + 1));
      if (param.size() >= 2 && std::tolower(static_cast<unsigned char>(param[0])) == 'q' &&
          param[1] == '=') {
        acceptable = Trim(param.substr(2)).find_first_not_of("0.") != std::string_view::npos;
      }
    }
    if (gzip) return acceptable;  // an explicit gzip entry decides
    star = acceptable;
  }
  return star;
}

HttpHandler MakeWebHandler(WebContext context) {
  return [context](HttpRequest& request) -> HttpResponse {
    if (request.method() != "GET" && request.method() != "HEAD") {
      HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    std::string_view path = request.path();
    if (path == "/metrics") return Metrics(request, context.metrics);
    if (path == "/healthz") return Health(context);
    if (path == "/") {
      HttpResponse r = HttpResponse::Text(200, std::string(kIndex));
      r.content_type = "text/html; charset=utf-8";
      return r;
    }
    return HttpResponse::Text(404, "not found\n");
  };
}

}  // namespace rh::exporter
