#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/http_server.h"

namespace rh::exporter::api {

/// A request matched to a route: the HTTP request and the path's "{...}" segments in order.
struct ApiRequest {
  HttpRequest& http;
  std::vector<std::string_view> params;
};

using ApiHandler = std::function<HttpResponse(ApiRequest&)>;

/// One endpoint: "GET" (which also answers HEAD) or "POST", and a path whose "{name}" segments
/// match any one segment, e.g. "/api/processes/{pid}/history".
struct Route {
  std::string method;
  std::string pattern;
  ApiHandler handler;
};

/// Dispatches requests to routes. A path no route matches is 404 and a matched path with
/// another method 405 (with Allow), both with a JSON body. Immutable after construction:
/// thread-safe.
class Router {
 public:
  explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}
  HttpResponse Dispatch(HttpRequest& request) const;

 private:
  std::vector<Route> routes_;
};

/// Splits "/a/b/c" into {"a", "b", "c"}; "/" gives no segment, a trailing "/" an empty last one.
std::vector<std::string_view> PathSegments(std::string_view path);

}  // namespace rh::exporter::api
