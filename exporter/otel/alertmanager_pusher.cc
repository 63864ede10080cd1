#include "exporter/otel/alertmanager_pusher.h"

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "base/log.h"
#include "base/utf8.h"
#include "exporter/otel/http_client.h"
#include "exporter/otel/log_records.h"

namespace rh::exporter::otel {
namespace {

using nlohmann::json;

// The rules' runbook_url: docs/runbooks.md with the alert's heading as anchor.
std::string RunbookUrl(std::string_view alertname) {
  std::string url = "https://github.com/rogue-hunter/rogue-hunter/blob/main/docs/runbooks.md#";
  for (char c : alertname) url += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return url;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", s);
  return buf;
}

}  // namespace

PauseAlertBook::PauseAlertBook(AlertmanagerSettings settings, std::uint64_t seed)
    : settings_(std::move(settings)), backoff_(settings_.retry, seed) {}

void PauseAlertBook::AddPause(const RecordedEvent& pause, std::int64_t now_monotonic_ns) {
  std::string instance;
  for (const auto& [name, value] : settings_.labels) {
    if (name == "instance") instance = value;
  }
  const double seconds = pause.record.duration_seconds;
  const std::string duration = HumanizeDuration(seconds);
  auto raise = [&](std::string_view alertname, std::string_view severity, std::string summary,
                   std::string description) {
    Alert alert;
    alert.labels = {{"alertname", std::string(alertname)},
                    {"severity", std::string(severity)},
                    {"category", "pause"}};
    for (const auto& [name, value] : settings_.labels) alert.labels[name] = value;
    alert.annotations = {
        {"summary", std::move(summary)},        {"description", std::move(description)},
        {"runbook_url", RunbookUrl(alertname)}, {"duration_seconds", Seconds(seconds)},
        {"event_key", pause.record.key},        {"source", "rogue-hunter direct push"},
    };
    if (pause.capture_requested) alert.annotations["bundle_id"] = pause.record.key;
    alert.event_key = pause.record.key;
    alert.starts_unix_ns = pause.start_unix_ns;
    alert.ends_unix_ns =
        pause.end_unix_ns +
        std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.active).count();
    alerts_[std::string(alertname)] = std::move(alert);
  };
  raise(kPauseAlertName, "warning", instance + " paused for " + duration,
        "rogue-hunter on " + instance + " detected a pause: its monotonic clock stood still for " +
            duration +
            " while the machine was not suspended. A forensic bundle was captured right after "
            "it.");
  if (seconds >= settings_.long_pause_seconds) {
    raise(kLongPauseAlertName, "critical", instance + " froze for " + duration,
          "rogue-hunter on " + instance + " detected a pause of " + duration + ", above " +
              HumanizeDuration(settings_.long_pause_seconds) +
              ". Everything on the machine, including remote sessions, stood still.");
  }
  next_due_ = now_monotonic_ns;
  backoff_.Reset();
}

void PauseAlertBook::AddCapture(const CaptureEnded& capture, std::int64_t now_monotonic_ns) {
  bool changed = false;
  for (auto& [name, alert] : alerts_) {
    if (alert.event_key != capture.request.id) continue;
    if (capture.outcome.result == forensics::CaptureResult::kOk) {
      alert.annotations["bundle_id"] = capture.outcome.id;
    } else {
      alert.annotations.erase("bundle_id");
    }
    changed = true;
  }
  if (changed) next_due_ = now_monotonic_ns;
}

std::string PauseAlertBook::Due(std::int64_t now_unix_ns, std::int64_t now_monotonic_ns) {
  std::erase_if(alerts_,
                [&](const auto& entry) { return entry.second.ends_unix_ns <= now_unix_ns; });
  if (alerts_.empty()) {
    next_due_.reset();
    return {};
  }
  if (!next_due_ || now_monotonic_ns < *next_due_) return {};
  json body = json::array();
  for (const auto& [name, alert] : alerts_) {
    body.push_back({{"labels", alert.labels},
                    {"annotations", alert.annotations},
                    {"startsAt", FormatRfc3339(alert.starts_unix_ns)},
                    {"endsAt", FormatRfc3339(alert.ends_unix_ns)},
                    {"generatorURL", settings_.generator_url}});
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

void PauseAlertBook::Posted(bool ok, std::optional<std::chrono::nanoseconds> retry_after,
                            std::int64_t now_monotonic_ns) {
  if (ok) {
    backoff_.Reset();
    next_due_ =
        now_monotonic_ns +
        std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.resend_interval).count();
  } else {
    next_due_ = now_monotonic_ns + backoff_.Next(retry_after).count();
  }
}

std::optional<std::int64_t> PauseAlertBook::next_due() const {
  if (alerts_.empty()) return std::nullopt;
  return next_due_;
}

AlertmanagerPusher::AlertmanagerPusher(AlertmanagerSettings settings, std::string version,
                                       const Clock& clock, AlertmanagerStats& stats)
    : settings_(settings),
      version_(std::move(version)),
      clock_(clock),
      stats_(stats),
      book_(std::move(settings), std::random_device{}()) {}

AlertmanagerPusher::~AlertmanagerPusher() { Stop(); }

void AlertmanagerPusher::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void AlertmanagerPusher::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    abort_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void AlertmanagerPusher::OnEvent(const std::shared_ptr<const DaemonEvent>& event) {
  const auto* recorded = std::get_if<RecordedEvent>(&event->what);
  const auto* capture = std::get_if<CaptureEnded>(&event->what);
  const bool pause = recorded != nullptr && recorded->record.kind == forensics::EventKind::kPause;
  if (!pause && capture == nullptr) return;
  const std::int64_t now = clock_.Now().monotonic_ns;
  std::lock_guard lock(mutex_);
  if (pause) book_.AddPause(*recorded, now);
  if (capture != nullptr) book_.AddCapture(*capture, now);
  changed_ = true;
  wake_.notify_all();
}

void AlertmanagerPusher::Run() {
  HttpClient client({settings_.connect_timeout, settings_.timeout, std::size_t{1} << 20,
                     "rogue-hunter/" + version_},
                    &abort_);
  HttpPost post;
  post.url = settings_.alerts_url;
  post.headers.push_back("Content-Type: application/json");
  if (!settings_.bearer_token.empty()) {
    post.headers.push_back("Authorization: Bearer " + settings_.bearer_token);
  }
  post.username = settings_.username;
  post.password = settings_.password;
  const std::string url = LoggableUrl(settings_.alerts_url);
  bool failing = false;

  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const ClockReading now = clock_.Now();
    post.body = book_.Due(now.realtime_ns, now.monotonic_ns);
    stats_.active = book_.active();
    if (post.body.empty()) {
      changed_ = false;
      const auto due = book_.next_due();
      auto woken = [this] { return stopping_ || changed_; };
      if (!due) {
        wake_.wait(lock, woken);
      } else {
        wake_.wait_for(lock,
                       std::chrono::nanoseconds(std::max<std::int64_t>(0, *due - now.monotonic_ns)),
                       woken);
      }
      continue;
    }
    lock.unlock();
    ++stats_.posts;
    const HttpResult result = client.Post(post);
    const bool ok = result.outcome == HttpResult::Outcome::kResponse && result.status / 100 == 2;
    std::optional<std::chrono::nanoseconds> retry_after;
    if (ok) {
      stats_.last_success_unix_ns = clock_.Now().realtime_ns;
      if (failing) LogInfo("alertmanager: posting to " + url + " works again");
      failing = false;
    } else if (result.outcome != HttpResult::Outcome::kAborted) {
      ++stats_.errors;
      if (result.outcome == HttpResult::Outcome::kResponse) {
        retry_after = ParseRetryAfter(result.retry_after, clock_.Now().realtime_ns);
      }
      if (!failing) {
        const std::string why = result.outcome == HttpResult::Outcome::kResponse
                                    ? "HTTP " + std::to_string(result.status) + " (" +
                                          ToValidUtf8(result.body.substr(0, 200)) + ")"
                                    : result.error;
        LogWarning("alertmanager: posting a pause alert to " + url + " failed: " + why +
                   "; retrying with backoff");
      }
      failing = true;
    }
    lock.lock();
    book_.Posted(ok, retry_after, clock_.Now().monotonic_ns);
  }
}

}  // namespace rh::exporter::otel
