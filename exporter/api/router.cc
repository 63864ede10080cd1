#include "exporter/api/router.h"

#include "exporter/api/json.h"

namespace rh::exporter::api {
namespace {

bool Match(const std::vector<std::string_view>& pattern, const std::vector<std::string_view>& path,
           std::vector<std::string_view>& params) {
  if (pattern.size() != path.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].size() > 2 && pattern[i].front() == '{' && pattern[i].back() == '}') {
      if (path[i].empty()) return false;
      params.push_back(path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path == "/") return segments;
  if (path.front() == '/') path.remove_prefix(1);
  for (;;) {
    std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  const std::vector<std::string_view> path = PathSegments(request.path());
  const std::string_view method = request.method() == "HEAD" ? "GET" : request.method();
  std::string allowed;
  ApiRequest api{request, {}};
  for (const Route& route : routes_) {
    if (!Match(PathSegments(route.pattern), path, api.params)) continue;
    if (route.method == method) return route.handler(api);
    if (allowed.find(route.method) == std::string::npos) {
      allowed += (allowed.empty() ? "" : ", ") + route.method;
      if (route.method == "GET") allowed += ", HEAD";
    }
  }
  if (allowed.empty()) {
    return JsonError(404, "no such endpoint", {{"path", std::string(request.path())}});
  }
  HttpResponse r = JsonError(405, "method not allowed", {{"allow", allowed}});
  r.headers.emplace_back("Allow", allowed);
  return r;
}

}  // namespace rh::exporter::api
