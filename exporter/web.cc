#include "exporter/web.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "exporter/api/json.h"
#include "forensics/redaction.h"

namespace rh::exporter {
namespace {

constexpr std::string_view kIndex = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>rogue-hunter</title></head>
<body><h1>rogue-hunter</h1>
<p>Hunts the pauses that freeze this machine.</p>
<ul>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
<li><a href="/healthz">/healthz</a>: health of the sampler</li>
<li><a href="/api/status">/api/status</a>: the machine's state (JSON)</li>
<li><a href="/api/processes">/api/processes</a>: the top processes (JSON)</li>
<li><a href="/api/events">/api/events</a>: pauses and other events (JSON)</li>
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

bool IsKillRoute(const HttpRequest& request) {
  auto segments = api::PathSegments(request.path());
  return request.method() == "POST" && segments.size() == 4 && segments[0] == "api" &&
         segments[1] == "processes" && segments[3] == "kill";
}

bool IsApi(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

HttpResponse Refuse(std::string_view path, int status, std::string_view message) {
  if (IsApi(path)) return api::JsonError(status, message);
  return HttpResponse::Text(status, std::string(message) + "\n");
}

// Authenticates the request when the web-config file asks for it; the refusal, if any.
std::optional<HttpResponse> Authenticate(const WebContext& c, HttpRequest& request) {
  if (c.auth == nullptr || !c.auth->required() || IsKillRoute(request)) return std::nullopt;
  auto outcome = c.auth->Check(request.header("Authorization"), request.remote_address());
  using Verdict = Authenticator::Verdict;
  if (outcome.verdict == Verdict::kAllowed) return std::nullopt;
  if (outcome.verdict == Verdict::kBlocked) {
    if (c.stats != nullptr) ++c.stats->rate_limited;
    HttpResponse r = Refuse(request.path(), 429, "too many failed logins; try again later");
    r.headers.emplace_back("Retry-After",
                           std::to_string(static_cast<long>(std::ceil(outcome.retry_after))));
    return r;
  }
  if (c.stats != nullptr) ++c.stats->auth_failures;
  HttpResponse r = Refuse(request.path(), 401, "authentication required");
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"rogue-hunter\", charset=\"UTF-8\"");
  return r;
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
  if (age > std::max(c.stale_after_seconds, 3 * snapshot->interval_seconds + 10)) {
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

bool WellFormedPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path == "/") return true;
  for (std::string_view segment : api::PathSegments(path)) {
    if (segment == "." || segment == "..") return false;
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '~' || c == ':' || c == '-';
      if (!ok) return false;
    }
  }
  // An empty segment is a run of slashes, except a single trailing one.
  return path.find("//") == std::string_view::npos;
}

HttpHandler MakeWebHandler(WebContext context) {
  return [context](HttpRequest& request) -> HttpResponse {
    std::string_view path = request.path();
    if (!WellFormedPath(path)) {
      return Refuse("/api/", 400, "malformed request path");
    }
    if (auto refusal = Authenticate(context, request)) return *refusal;
    if (IsApi(path)) {
      if (context.api == nullptr) return api::JsonError(404, "no such endpoint");
      if (context.api_threads == nullptr) return context.api->Dispatch(request);
      return context.api_threads->Run([&] { return context.api->Dispatch(request); });
    }
    if (request.method() != "GET" && request.method() != "HEAD") {
      HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
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

namespace {

constexpr std::size_t kMinTokenBytes = 16;

Result<std::string> ReadKillToken(const std::string& path) {
  const std::string field = "process.kill_token_file: " + path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error{field + ": " + std::strerror(errno)};
  if (!S_ISREG(st.st_mode)) return Error{field + ": not a regular file"};
  if ((st.st_mode & 077) != 0) {
    return Error{field + ": readable or writable by group or others; chmod 600 it"};
  }
  std::ifstream in(path, std::ios::binary);
  std::string token(4097, '\0');
  in.read(token.data(), static_cast<std::streamsize>(token.size()));
  token.resize(static_cast<std::size_t>(in.gcount()));
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.size() > 4096) return Error{field + ": longer than 4096 bytes"};
  if (token.size() < kMinTokenBytes) {
    return Error{field + ": the token must be at least 16 characters (e.g. openssl rand -hex 32)"};
  }
  for (unsigned char c : token) {
    if (c < 0x21 || c > 0x7e) return Error{field + ": the token must be printable ASCII"};
  }
  return token;
}

}  // namespace

Result<WebSettings> LoadWebSettings(const config::Config& config,
                                    const config::ListenAddress& listen) {
  WebSettings settings;
  if (!config.http.web_config_file.empty()) {
    auto web = LoadWebConfig(config.http.web_config_file);
    if (!web.ok()) return web.error();
    settings.web = std::move(web).value();
  }
  const config::Process& p = config.process;
  if (!p.kill_token_file.empty()) {
    auto token = ReadKillToken(p.kill_token_file);
    if (!token.ok()) return token.error();
    settings.kill_token = std::move(token).value();
  }
  if (p.kill_enabled && settings.kill_token.empty() && settings.web.users.empty()) {
    return Error{(config.source.empty() ? std::string("configuration") : config.source) +
                 ": process.kill_enabled: needs authentication: set process.kill_token_file, or "
                 "basic_auth_users in the web-config file (http.web_config_file)"};
  }
  settings.kill_hosts = p.kill_hosts;
  if (settings.kill_hosts.empty()) {
    const std::string port = std::to_string(listen.port);
    settings.kill_hosts.push_back(listen.host + ":" + port);
    if (listen.host == "127.0.0.1" || listen.host == "0.0.0.0") {
      settings.kill_hosts.push_back("localhost:" + port);
      if (listen.host == "0.0.0.0") settings.kill_hosts.push_back("127.0.0.1:" + port);
    }
  }
  return settings;
}

WebServer::WebServer(Inputs& in)
    : config_(in.config),
      auth_(in.settings.web.users, in.settings.kill_token, in.clock),
      reader_(in.root, std::chrono::milliseconds(config_.forensics.read_timeout_ms)),
      history_(config_.storage.enabled
                   ? std::make_unique<forensics::ReaderPool>(config_.storage.database,
                                                             forensics::ReaderPool::Options{})
                   : nullptr),
      api_threads_(std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 4)),
      api_context_{in.snapshots, in.clock,      config_, reader_, forensics::RandomSalt(),
                   in.boot_id,   in.stats,      auth_,   nullptr, in.settings.kill_hosts,
                   &in.status,   history_.get()},
      router_(api::ApiRoutes(api_context_)) {
  if (config_.storage.enabled) {
    ProcessKiller::Options options;
    options.database = config_.storage.database;
    options.root = in.root;
    options.boot_id = in.boot_id;
    options.policy = config_.process;
    options.user_name = [this](std::uint32_t uid) { return reader_.UserName(uid); };
    killer_ = std::make_unique<ProcessKiller>(std::move(options), in.clock);
    api_context_.killer = killer_.get();
  }
}

WebServer::~WebServer() { server_.reset(); }

Result<std::unique_ptr<WebServer>> WebServer::Start(Inputs in) {
  std::unique_ptr<WebServer> web(new WebServer(in));
  HttpServer::Options http;
  http.host = in.listen.host;
  http.port = in.listen.port;
  http.threads = in.config.http.threads;
  http.request_timeout_ms = in.config.http.request_timeout_ms;
  http.tls = in.settings.web.tls;
  http.headers = in.settings.web.headers;
  const double stale_after = 3 * in.config.sampling.normal_interval + 10;
  WebContext context{in.metrics, in.snapshots, in.clock,      stale_after,
                     &in.stats,  &web->auth_,  &web->router_, &web->api_threads_};
  auto server = HttpServer::Start(http, MakeWebHandler(context), &in.stats.http);
  if (!server.ok()) return server.error();
  web->server_ = std::move(server).value();
  return web;
}

}  // namespace rh::exporter
