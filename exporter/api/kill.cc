// POST /api/processes/{pid}/kill: the request's checks (rate limit, the action enabled,
// authentication, Host, content type, body), then ProcessKiller.

#include <algorithm>
#include <cctype>
#include <cmath>

#include "exporter/api/api.h"
#include "exporter/process_killer.h"

namespace rh::exporter::api {
namespace {

constexpr std::size_t kMaxBody = 4096;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// "application/json", optionally with parameters ("; charset=utf-8").
bool IsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return EqualsIgnoreCase(media, "application/json");
}

HttpResponse Answer(ApiContext& c, std::int32_t pid, const KillOutcome& o) {
  c.stats.Count(o.result);
  if (o.result == KillResult::kRateLimited) ++c.stats.rate_limited;
  if (o.status == 200) {
    Json signals = Json::array();
    for (const auto& s : o.signals) signals.push_back(s);
    return JsonResponse(200, {{"success", true},
                              {"message", o.message},
                              {"pid", pid},
                              {"name", o.name},
                              {"forced", o.forced},
                              {"signals", signals},
                              {"audit_id", o.audit_id}});
  }
  Json extra = {{"pid", pid}, {"result", Name(o.result)}};
  if (!o.name.empty()) extra["name"] = o.name;
  if (o.audit_id != 0) extra["audit_id"] = o.audit_id;
  HttpResponse r = JsonError(o.status, o.message, extra);
  if (o.status == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// Refuses a request before it reaches the killer, auditing it (every attempt is audited).
HttpResponse Refuse(ApiContext& c, const KillRequest& request, KillResult result, int status,
                    const std::string& message) {
  KillOutcome o;
  o.result = result;
  o.status = status;
  o.message = message;
  if (c.killer != nullptr && !c.killer->AuditRefusal(request, result, message)) {
    o.result = KillResult::kAuditFailed;
    o.status = 500;
    o.message = "the audit row could not be written (" + message + ")";
  }
  return Answer(c, request.pid, o);
}

// The last start time the daemon saw for the pid in this boot: the top lists, else the history.
std::optional<std::uint64_t> LastObserved(const ApiContext& c, std::int32_t pid) {
  if (auto snapshot = c.snapshots.Latest()) {
    for (const auto* list :
         {&snapshot->sample.processes.top_cpu, &snapshot->sample.processes.top_rss}) {
      for (const auto& p : *list) {
        if (p.pid == pid) return p.start_ticks;
      }
    }
  }
  HttpResponse ignored;
  auto store = OpenHistory(c, &ignored);
  if (!store.ok()) return std::nullopt;
  auto latest = (*store)->LatestProcess(pid);
  if (!latest.ok() || !latest->has_value() || (*latest)->boot_id != c.boot_id) return std::nullopt;
  return (*latest)->start_ticks;
}

}  // namespace

HttpResponse KillProcess(ApiContext& c, ApiRequest& r) {
  KillRequest request;
  request.client = std::string(r.http.remote_address());
  auto pid = ParsePid(r.params[0]);
  request.pid = pid.value_or(0);
  const auto& p = c.config.process;

  // A blocked address is answered before anything else, and not audited row by row: the
  // failures that blocked it were.
  auto auth = c.auth.Check(p.kill_enabled ? r.http.header("Authorization") : std::string_view(),
                           request.client);
  using Verdict = Authenticator::Verdict;
  if (auth.verdict == Verdict::kBlocked) {
    ++c.stats.rate_limited;
    c.stats.Count(KillResult::kRateLimited);
    HttpResponse refusal = JsonError(429, "too many refused requests from this address; try later",
                                     {{"pid", request.pid}, {"result", "rate_limited"}});
    refusal.headers.emplace_back("Retry-After",
                                 std::to_string(static_cast<long>(std::ceil(auth.retry_after))));
    return refusal;
  }
  if (!p.kill_enabled) {
    c.auth.CountFailure(request.client);  // bounds the audit rows a client can cause
    return Refuse(c, request, KillResult::kDisabled, 403,
                  "the kill action is disabled ([process] kill_enabled = false)");
  }
  if (auth.verdict != Verdict::kAllowed) {
    ++c.stats.auth_failures;
    if (auth.verdict == Verdict::kMissing) c.auth.CountFailure(request.client);
    HttpResponse refusal =
        Refuse(c, request, KillResult::kUnauthorized, 401,
               auth.verdict == Verdict::kMissing ? "authentication required" : "wrong credentials");
    refusal.headers.emplace_back("WWW-Authenticate", "Bearer, Basic realm=\"rogue-hunter\"");
    return refusal;
  }
  request.principal = auth.principal;

  const std::string_view host = r.http.header("Host");
  if (std::none_of(c.kill_hosts.begin(), c.kill_hosts.end(),
                   [&](const std::string& h) { return EqualsIgnoreCase(h, host); })) {
    return Refuse(c, request, KillResult::kForbidden, 403,
                  "the Host header is not one of process.kill_hosts");
  }
  if (!pid) {
    return Refuse(c, request, KillResult::kBadRequest, 400,
                  "invalid pid: expected a number from 1 to 4194304");
  }
  if (!IsJson(r.http.header("Content-Type"))) {
    return Refuse(c, request, KillResult::kBadRequest, 415,
                  "the body must be JSON (Content-Type: application/json)");
  }
  RequestBody body = r.http.ReadBody(kMaxBody);
  if (body.status != 0) {
    return Refuse(c, request, KillResult::kBadRequest, body.status,
                  body.status == 413   ? "the body is larger than 4096 bytes"
                  : body.status == 411 ? "the body needs a Content-Length"
                                       : "the body was not received completely");
  }
  Json json = body.bytes.empty() ? Json::object() : Json::parse(body.bytes, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Refuse(c, request, KillResult::kBadRequest, 400, "the body is not a JSON object");
  }
  for (const auto& [key, value] : json.items()) {
    if (key == "force" && value.is_boolean()) {
      request.force = value.get<bool>();
    } else if (key == "start_ticks" && value.is_number_unsigned()) {
      request.expected_start_ticks = value.get<std::uint64_t>();
    } else if (key == "boot_id" && value.is_string()) {
      request.expected_boot_id = value.get<std::string>();
    } else {
      return Refuse(c, request, KillResult::kBadRequest, 400,
                    "unexpected or mistyped field \"" + key +
                        "\" (expected force: boolean, start_ticks: integer, boot_id: string)");
    }
  }
  if (!request.expected_start_ticks) request.expected_start_ticks = LastObserved(c, *pid);
  if (c.killer == nullptr) {
    return Answer(c, *pid,
                  {KillResult::kAuditFailed,
                   503,
                   "no audit is possible without the history (storage.enabled = false)",
                   "",
                   false,
                   {},
                   0});
  }
  return Answer(c, *pid, c.killer->Kill(request));
}

}  // namespace rh::exporter::api
