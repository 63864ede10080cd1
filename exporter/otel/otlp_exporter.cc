#include "exporter/otel/otlp_exporter.h"

#include <algorithm>
#include <random>
#include <vector>

#include "base/log.h"
#include "base/utf8.h"
#include "exporter/metrics.h"
#include "exporter/otel/http_client.h"
#include "exporter/otel/log_records.h"
#include "exporter/otel/retry.h"

namespace rh::exporter::otel {
namespace {

constexpr std::int64_t kSleepSliceNs = 100'000'000;  // how often a wait looks at the stop flag
constexpr std::size_t kMaxLoggedBody = 200;

std::string Excerpt(std::string_view body) {
  std::string text = ToValidUtf8(body.substr(0, kMaxLoggedBody));
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body.size() > kMaxLoggedBody ? text + "..." : text;
}

}  // namespace

std::uint64_t OtlpStats::failed_total() const {
  std::uint64_t total = 0;
  for (const auto& f : failed) total += f.load();
  return total;
}

OtlpLogExporter::OtlpLogExporter(OtlpSettings settings, std::string version, const Clock& clock,
                                 OtlpStats& stats)
    : settings_(std::move(settings)),
      version_(std::move(version)),
      clock_(clock),
      stats_(stats),
      loggable_url_(LoggableUrl(settings_.url)) {}

OtlpLogExporter::~OtlpLogExporter() { Stop(); }

void OtlpLogExporter::Start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void OtlpLogExporter::Stop(std::chrono::milliseconds drain) {
  {
    std::unique_lock lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_all();
    if (!settled_.wait_for(lock, drain, [this] { return finished_; })) abort_ = true;
  }
  thread_.join();
  std::lock_guard lock(mutex_);
  if (!queue_.empty()) {
    LogWarning("otel: " + std::to_string(queue_.size()) + " records not delivered at shutdown");
  }
}

void OtlpLogExporter::OnEvent(const std::shared_ptr<const DaemonEvent>& event) {
  std::lock_guard lock(mutex_);
  if (queue_.size() >= settings_.queue_size) {
    ++stats_.dropped;
    if (queue_.size() <= in_flight_) return;  // everything queued is in a request: drop the new
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
  }
  queue_.push_back(event);
  stats_.queued = queue_.size();
  wake_.notify_all();
}

bool OtlpLogExporter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return settled_.wait_for(lock, timeout, [this] {
    return finished_ || (queue_.empty() && in_flight_ == 0);
  }) && queue_.empty();
}

bool OtlpLogExporter::SleepUntil(std::int64_t deadline_ns) {
  for (;;) {
    if (stopping_ || abort_) return false;
    const std::int64_t now = clock_.Now().monotonic_ns;
    if (now >= deadline_ns) return true;
    clock_.SleepUntil(std::min(deadline_ns, now + kSleepSliceNs));
  }
}

void OtlpLogExporter::Problem(const std::string& kind, const std::string& message) {
  if (kind == last_problem_) return;
  const bool first = last_problem_.empty();
  last_problem_ = kind;
  LogWarning("otel: export to " + loggable_url_ + (first ? " failing: " : " now failing: ") +
             message);
}

void OtlpLogExporter::Recovered() {
  if (last_problem_.empty()) return;
  last_problem_.clear();
  LogInfo("otel: export to " + loggable_url_ + " works again (" +
          std::to_string(stats_.dropped.load()) + " records dropped since start)");
}

std::optional<std::chrono::nanoseconds> OtlpLogExporter::Settle(const HttpResult& result,
                                                                std::size_t records,
                                                                Backoff& backoff) {
  const auto n = static_cast<std::uint64_t>(records);
  const bool answered = result.outcome == HttpResult::Outcome::kResponse;
  const std::string status = "HTTP " + std::to_string(result.status);
  const std::string kept =
      "; retrying, keeping up to " + std::to_string(settings_.queue_size) + " records";
  if (answered && result.status / 100 == 2) {
    std::uint64_t rejected = 0;
    if (auto partial = ParsePartialSuccess(result.body)) {
      rejected = std::min(partial->rejected, n);
      if (rejected > 0) {
        stats_.failed[static_cast<int>(FailureReason::kPartialSuccess)] += rejected;
        Problem("partial success", "the collector rejected " + std::to_string(rejected) + " of " +
                                       std::to_string(n) + " records (" +
                                       Excerpt(partial->message) + "); not retried");
      }
    }
    stats_.sent += n - rejected;
    stats_.last_success_unix_ns = clock_.Now().realtime_ns;
    backoff.Reset();
    if (rejected == 0) Recovered();
    return std::nullopt;
  }
  if (answered && !IsRetryableStatus(result.status)) {
    stats_.failed[static_cast<int>(FailureReason::kHttpStatus)] += n;
    Problem(status, status + " (" + Excerpt(result.body) + "); " + std::to_string(n) +
                        " records given up, not retried");
    return std::nullopt;
  }
  switch (result.outcome) {
    case HttpResult::Outcome::kResponse:  // 429, 502, 503, 504
      Problem(status, status + kept);
      return backoff.Next(ParseRetryAfter(result.retry_after, clock_.Now().realtime_ns));
    case HttpResult::Outcome::kResponseTooLarge:
      stats_.failed[static_cast<int>(FailureReason::kResponseTooLarge)] += n;
      Problem("response too large",
              result.error + "; " + std::to_string(n) + " records given up, not retried");
      return std::nullopt;
    case HttpResult::Outcome::kAborted:  // stopping: the records stay queued
      return std::chrono::nanoseconds(0);
    case HttpResult::Outcome::kTimedOut:
      Problem("timeout", result.error + kept);
      return backoff.Next();
    case HttpResult::Outcome::kConnectFailed:
    case HttpResult::Outcome::kTransportFailed:
      Problem("connection", result.error + kept);
      return backoff.Next();
  }
  return backoff.Next();
}

void OtlpLogExporter::Run() {
  HttpClient client({settings_.connect_timeout, settings_.timeout, std::size_t{4} << 20,
                     "rogue-hunter/" + version_},
                    &abort_);
  Backoff backoff(settings_.retry, std::random_device{}());
  const EncodeOptions encode{settings_.long_pause_seconds, version_};
  HttpPost post;
  post.url = settings_.url;
  post.headers.push_back("Content-Type: application/json");
  if (settings_.gzip) post.headers.push_back("Content-Encoding: gzip");
  for (const auto& [name, value] : settings_.headers) post.headers.push_back(name + ": " + value);

  bool retrying = false;  // the front of the queue already waited: no batch delay
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || abort_) break;
    if (!stopping_ && !retrying && settings_.batch_delay.count() > 0) {
      lock.unlock();
      SleepUntil(clock_.Now().monotonic_ns +
                 std::chrono::nanoseconds(settings_.batch_delay).count());
      lock.lock();
    }
    in_flight_ = std::min(queue_.size(), settings_.max_batch_size);
    std::vector<std::shared_ptr<const DaemonEvent>> batch(
        queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
    lock.unlock();

    post.body = EncodeExportLogsRequest(settings_.resource, batch, encode);
    if (settings_.gzip) post.body = Gzip(post.body);
    const std::optional<std::chrono::nanoseconds> retry_in =
        Settle(client.Post(post), batch.size(), backoff);
    lock.lock();
    if (!retry_in) {
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(batch.size()));
    }
    in_flight_ = 0;
    stats_.queued = queue_.size();
    settled_.notify_all();
    retrying = retry_in.has_value();
    if (!retrying) continue;
    if (stopping_) break;  // no backoff while stopping
    ++stats_.retries;
    const std::int64_t deadline = clock_.Now().monotonic_ns + retry_in->count();
    lock.unlock();
    SleepUntil(deadline);
    lock.lock();
  }
  finished_ = true;
  settled_.notify_all();
}

}  // namespace rh::exporter::otel
