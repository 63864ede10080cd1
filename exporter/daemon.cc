#include "exporter/daemon.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <tuple>

#include "analysis/culprits.h"
#include "analysis/pause_scope.h"
#include "analysis/watchdog.h"
#include "base/clock.h"
#include "base/log.h"
#include "collectors/collector.h"
#include "collectors/pressure_watch.h"
#include "collectors/process_detail.h"
#include "config/config.h"
#include "exporter/api/status.h"
#include "exporter/daemon_lock.h"
#include "exporter/event_stream.h"
#include "exporter/http_server.h"
#include "exporter/kernel_watch.h"
#include "exporter/metrics.h"
#include "exporter/otel/alertmanager_pusher.h"
#include "exporter/otel/delivery_metrics.h"
#include "exporter/otel/http_client.h"
#include "exporter/otel/otlp_exporter.h"
#include "exporter/otel/settings.h"
#include "exporter/pause_inquiry.h"
#include "exporter/reload.h"
#include "exporter/sampler.h"
#include "exporter/self_watch.h"
#include "exporter/service_notifier.h"
#include "exporter/snapshot.h"
#include "exporter/web.h"
#include "exporter/web_metrics.h"
#include "forensics/bundle.h"
#include "forensics/capture/capture_worker.h"
#include "forensics/flight_recorder.h"
#include "forensics/history_writer.h"

namespace rh::exporter {
namespace {

// How long a scrape may be served from the cached body when nothing invalidated it: a sampling
// interval, so the counters that move without an invalidation (the hiccup histogram, storage and
// capture counts) are never older than the sample they are shown with. Each new sample and each
// pause or suspend invalidates the body at once.
std::chrono::milliseconds MetricsMaxAge(const config::Config& config) {
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(config.sampling.normal_interval * 1000));
}

int Fail(int code, const std::string& message) {
  std::cerr << "rogue-hunter: " << message << "\n";
  return code;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f s", s);
  return buf;
}

// Where the event stream delivers besides the history: each sender is on when resolved.
struct Senders {
  std::optional<otel::OtlpSettings> otlp;
  std::optional<otel::AlertmanagerSettings> alertmanager;
};

// Resolves the senders from the configuration and the environment, logging each problem once.
Senders ResolveSenders(const config::Config& config) {
  const auto host = otel::HostIdentity::Detect(RH_VERSION);
  otel::OtlpResolution otlp = otel::ResolveOtlp(config, otel::ProcessEnvironment(), host);
  for (const std::string& warning : otlp.warnings) LogWarning("otel: " + warning);
  if (!otlp.settings && otlp.off_reason.rfind("no endpoint", 0) != 0) {
    LogInfo("otel: off: " + otlp.off_reason);
  }
  Senders senders{std::move(otlp.settings), otel::ResolveAlertmanager(config, host)};
  if (!senders.otlp && !senders.alertmanager) return senders;
  if (Status http = otel::HttpClientAvailable(); !http.ok()) {
    LogError("otel, alertmanager: no HTTP client (" + http.error().message +
             "); nothing is sent. Install libcurl4.");
    return {};
  }
  if (senders.otlp) LogInfo("otel: sending events to " + otel::LoggableUrl(senders.otlp->url));
  if (senders.alertmanager) {
    LogInfo("alertmanager: posting pauses to " +
            otel::LoggableUrl(senders.alertmanager->alerts_url));
  }
  return senders;
}

// Feeds the history writer from the event stream. Captures are not among what it takes: the
// capture worker records them itself.
class HistorySubscriber final : public EventSubscriber {
 public:
  explicit HistorySubscriber(forensics::HistoryWriter& history) : history_(history) {}
  void OnEvent(const std::shared_ptr<const DaemonEvent>& event) override {
    if (const auto* recorded = std::get_if<RecordedEvent>(&event->what)) {
      history_.Add(recorded->record);
    }
  }

 private:
  forensics::HistoryWriter& history_;
};

// Keeps /api/status's recent events and captures up to date from the event stream.
class StatusSubscriber final : public EventSubscriber {
 public:
  explicit StatusSubscriber(api::StatusBoard& board) : board_(board) {}
  void OnEvent(const std::shared_ptr<const DaemonEvent>& event) override {
    if (const auto* recorded = std::get_if<RecordedEvent>(&event->what)) {
      board_.OnEvent(recorded->record);
    } else if (const auto* capture = std::get_if<CaptureEnded>(&event->what)) {
      const auto& culprit = capture->outcome.top_culprit;
      board_.OnCapture(capture->request.id, forensics::Name(capture->outcome.result),
                       capture->outcome.id, culprit ? culprit->comm : std::string(),
                       culprit ? culprit->pid : 0);
    }
  }

 private:
  api::StatusBoard& board_;
};

// The running daemon: owns every thread and wires them together.
class Daemon final : public SampleSink {
 public:
  Daemon(const config::Config& config, WebSettings web, const collectors::ProcRoot& root,
         const Clock& clock, const ServiceNotifier& notifier, const Senders& senders = {})
      : config_(config),
        web_settings_(std::move(web)),
        boot_id_([&] {
          auto id = collectors::ReadBootId(root);
          return id.ok() ? *id : std::string();
        }()),
        clock_(clock),
        notifier_(notifier),
        kernel_watch_(MakeKernelWatch(config, root, clock)),
        pressure_watch_(MakePressureWatch(config, root, clock)),
        switch_counter_(root),
        watchdog_(clock, {static_cast<std::int64_t>(config.pause.tick_ms) * 1'000'000,
                          static_cast<std::int64_t>(config.pause.min_seconds * 1e9),
                          config.pause.raise_priority}),
        self_watch_(std::make_shared<SelfWatch>(config, clock)),
        page_({std::make_shared<DaemonMetrics>(
                   hub_, static_cast<double>(clock.Now().realtime_ns) / 1e9,
                   LiveSources{&watchdog_.stats(), &critical_episodes_,
                               config.storage.enabled ? &storage_stats_ : nullptr,
                               config.forensics.enabled ? &capture_stats_ : nullptr, &pause_stats_,
                               &inquiry_, kernel_watch_.get(), pressure_watch_.get(), &reloads_}),
               std::make_shared<WebMetrics>(web_stats_),
               std::make_shared<otel::DeliveryMetrics>(
                   senders.otlp ? &otlp_stats_ : nullptr,
                   senders.alertmanager ? &alertmanager_stats_ : nullptr),
               self_watch_},
              clock, MetricsMaxAge(config)),
        status_(Identity(config, clock), config, &watchdog_.stats()),
        status_subscriber_(status_),
        root_(root),
        inquiry_(root, clock, std::chrono::milliseconds(config.pause.evidence_interval_ms)) {
    stream_.Subscribe(&status_subscriber_);
    if (config.storage.enabled) {
      forensics::HistoryWriterOptions history;
      history.boot_id = boot_id_;
      history.process_interval_seconds = config.process.history_interval_seconds;
      history.process_retention_seconds = config.process.history_hours * 3600;
      history_ = std::make_unique<forensics::HistoryWriter>(
          config.storage.database, config.retention, clock, storage_stats_, history);
      history_subscriber_ = std::make_unique<HistorySubscriber>(*history_);
      stream_.Subscribe(history_subscriber_.get());
    }
    if (senders.otlp) {
      otlp_ =
          std::make_unique<otel::OtlpLogExporter>(*senders.otlp, RH_VERSION, clock, otlp_stats_);
      stream_.Subscribe(otlp_.get());
    }
    if (senders.alertmanager) {
      alertmanager_ = std::make_unique<otel::AlertmanagerPusher>(*senders.alertmanager, RH_VERSION,
                                                                 clock, alertmanager_stats_);
      stream_.Subscribe(alertmanager_.get());
    }
    if (config.forensics.enabled) {
      forensics::CaptureOptions options;
      options.root = root_;
      options.software_version = RH_VERSION;
      options.software_revision = RH_REVISION;
      options.on_ended = [this](const forensics::CaptureRequest& request,
                                const forensics::CaptureOutcome& outcome) {
        const std::int64_t now = clock_.Now().realtime_ns;
        stream_.Publish({now, CaptureEnded{request, outcome, now}});
      };
      capture_ = std::make_unique<forensics::CaptureWorker>(
          config, std::move(options), clock, flight_recorder_, capture_stats_, history_.get());
    }
  }

  ~Daemon() override {
    Stop();
    if (stop_fd_ >= 0) close(stop_fd_);
  }

  // Binds the HTTP port first (so a port in use fails before anything runs), then starts the
  // watchdog, the event thread and the sampler.
  Status Start(const config::ListenAddress& listen) {
    auto web = WebServer::Start({config_, listen, web_settings_, page_, hub_, clock_, root_,
                                 web_stats_, boot_id_, status_});
    if (!web.ok()) return web.error();
    web_ = std::move(web).value();

    if (history_) history_->Start();
    if (otlp_) otlp_->Start();
    if (alertmanager_) alertmanager_->Start();
    if (capture_) {
      if (Status s = capture_->Start(); !s.ok()) {
        LogWarning("forensics: no bundles can be written: " + s.error().message);
      }
    }
    watchdog_.CountSwitchesWith(&switch_counter_);
    if (Status s = watchdog_.Start(); !s.ok()) return s;
    // The runbook (RogueHunterWatchdogUnprotected) sends operators to this line.
    const auto protection = watchdog_.Protection();
    if (protection.complete) {
      LogInfo(protection.text);
    } else {
      LogWarning(protection.text);
    }
    inquiry_.Start();
    if (kernel_watch_) {
      if (Status s = kernel_watch_->Start(); !s.ok()) LogWarning(s.error().message);
    }
    if (pressure_watch_) {
      for (const auto& w : pressure_watch_->watched()) {
        LogInfo("pressure: " + PressureTriggerName(*w) + " " +
                std::string(collectors::kPressureWatchModeNames[static_cast<int>(w->mode)]) +
                " on " + w->source);
      }
    }
    if (stop_fd_ < 0 || watchdog_.event_fd() < 0) return Error{"cannot create an eventfd"};
    events_ = std::thread([this] { EventLoop(); });
    if (pressure_watch_) {
      if (Status s = pressure_watch_->Start(); !s.ok()) LogWarning(s.error().message);
    }

    sampler_ = std::make_unique<Sampler>(
        self_watch_->Throttle(
            collectors::MakeCollectors(root_, collectors::CollectorOptionsFor(config_))),
        clock_, config_,
        [this] { return static_cast<double>(watchdog_.TakeWorstOvershoot()) / 1e9; }, *this);
    if (notifier_.keep_alive_interval().count() > 0) {
      sampler_->SetKeepAlive([this] { notifier_.KeepAlive(); }, notifier_.keep_alive_interval());
    }
    sampler_->Start();
    return {};
  }

  void Stop() {
    if (sampler_) sampler_->Stop();
    watchdog_.Stop();
    inquiry_.Stop();
    if (kernel_watch_) kernel_watch_->Stop();
    if (pressure_watch_) pressure_watch_->Stop();
    if (events_.joinable()) {
      const std::uint64_t one = 1;
      ssize_t n = write(stop_fd_, &one, sizeof(one));
      (void)n;
      events_.join();
    }
    if (capture_) capture_->Stop();  // cancels a capture under way: returns within ~0.1 s
    if (otlp_) otlp_->Stop(std::chrono::milliseconds(500));
    if (alertmanager_) alertmanager_->Stop();
    if (history_) history_->Stop();
    web_.reset();
  }

  void OnSample(const std::shared_ptr<const analysis::ScoredSample>& sample,
                const analysis::PolicyDecision& decision) override {
    self_watch_->OnSample(sample->interval_seconds);
    if (capture_) capture_->SetLight(self_watch_->backed_off());
    auto previous = hub_.Latest();
    inquiry_.Refresh(watchdog_.thread_id());
    hub_.Publish(sample);
    status_.OnSample(sample);
    page_.Invalidate();
    flight_recorder_.Push(sample);
    if (history_) history_->Add(sample);
    const std::int64_t now = sample->sample.clock.realtime_ns;
    const double score_before = previous ? previous->assessment.score : 0;
    if (decision.changed) {
      LogInfo("sampling " + std::string(analysis::Name(decision.previous)) + " -> " +
              std::string(analysis::Name(decision.state)) + " at stress " +
              std::to_string(static_cast<int>(sample->assessment.score)) +
              (decision.pressure_burst ? " (pressure trigger)" : ""));
      notifier_.Status(StatusLine(*sample));
      RecordedEvent event = Event(forensics::EventKind::kStateChange, now, 0, score_before);
      event.record.state_from = analysis::Name(decision.previous);
      event.record.state_to = analysis::Name(decision.state);
      if (decision.pressure_burst) event.record.notes = "a pressure trigger fired";
      event.record.key = forensics::BundleId(now, "state-" + event.record.state_to);
      event.score = sample->assessment.score;
      Publish(std::move(event), sample, /*list_processes=*/false);
    }
    if (decision.critical_trigger) {
      critical_episodes_.fetch_add(1);
      RecordedEvent event = Event(forensics::EventKind::kCritical, now, 0, score_before);
      event.record.notes = "critical episode started at stress " +
                           std::to_string(static_cast<int>(sample->assessment.score));
      event.score = sample->assessment.score;
      if (capture_) {
        event.capture_requested = capture_->Request(
            forensics::CaptureRequest::For(forensics::CaptureTrigger::kCritical, now, now,
                                           sample->sample.clock.monotonic_ns, score_before));
      }
      Publish(std::move(event), sample);
    }
  }

  // A reloaded configuration's keys that take effect at once (reload.cc's kLive): one line per
  // component that follows a reload.
  void Reconfigure(const config::Config& config) {
    if (sampler_) sampler_->Reconfigure(config);
    if (history_) history_->SetRetention(config.retention);
    if (capture_) capture_->Reconfigure(config);
    status_.Reconfigure(config);
    self_watch_->Reconfigure(config);
    page_.SetMaxAge(MetricsMaxAge(config));
    config_ = config;
  }

  // Counts a reload in the metrics, which show it at the next scrape.
  void CountReload(bool ok) {
    ++(ok ? reloads_.succeeded : reloads_.failed);
    reloads_.last_ok = ok;
    page_.Invalidate();
  }

  // What `systemctl status` shows: "normal, stress 12, sampling every 5 s".
  static std::string StatusLine(const analysis::ScoredSample& s) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "%s, stress %d, sampling every %g s",
                  std::string(analysis::Name(s.state)).c_str(),
                  static_cast<int>(s.assessment.score), s.interval_seconds);
    return buf;
  }

  // SIGCONT: the daemon had been stopped (evidence for a pause's scope).

  // SIGUSR1: a manual capture of the moment, never rate-limited.
  void RequestManualCapture() {
    if (!capture_) {
      LogWarning("forensics.enabled is false: no manual capture");
      return;
    }
    const ClockReading now = clock_.Now();
    auto latest = hub_.Latest();
    capture_->Request(forensics::CaptureRequest::For(
        forensics::CaptureTrigger::kManual, now.realtime_ns, now.realtime_ns, now.monotonic_ns,
        latest ? latest->assessment.score : 0));
  }

 private:
  // Turns the watchdog's events into log lines and history records, off the watchdog thread.
  // Blocks until the watchdog signals an event or Stop() signals stop_fd_: no periodic wake-ups.
  void EventLoop() {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {watchdog_.event_fd(), POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[0].revents != 0) break;
      if (fds[1].revents != 0) {
        std::uint64_t count = 0;
        ssize_t n = read(fds[1].fd, &count, sizeof(count));
        (void)n;
      }
      analysis::WatchdogEvent event;
      while (watchdog_.PopEvent(event)) OnWatchdogEvent(event);
    }
  }

  void OnWatchdogEvent(const analysis::WatchdogEvent& event) {
    page_.Invalidate();
    const double duration = static_cast<double>(event.duration_ns) / 1e9;
    const bool suspend = event.kind == analysis::WatchdogEvent::Kind::kSuspend;
    const double uncertainty = static_cast<double>(event.start_uncertainty_ns) / 1e9;
    std::optional<analysis::ScopeVerdict> verdict;
    if (suspend) {
      LogInfo("suspend: the machine slept for " + Seconds(duration));
    } else {
      verdict = analysis::DecideScope(inquiry_.Gather(event));
      pause_stats_.Record(*verdict, event.duration_ns, event.start_uncertainty_ns);
      page_.Invalidate();
      LogWarning("pause: " + analysis::DescribePause(*verdict, duration, uncertainty));
      if (sampler_) sampler_->SampleNow();
    }
    auto latest = hub_.Latest();
    RecordedEvent recorded =
        Event(suspend ? forensics::EventKind::kSuspend : forensics::EventKind::kPause,
              event.end_realtime_ns, event.duration_ns, latest ? latest->assessment.score : 0);
    if (verdict) {
      recorded.record.scope = analysis::Name(verdict->scope);
      recorded.record.scope_reason = analysis::Name(verdict->reason);
      recorded.record.start_uncertainty_seconds = uncertainty;
      recorded.record.notes = verdict->evidence;
    }
    if (!suspend && capture_) {
      auto request = forensics::CaptureRequest::For(
          forensics::CaptureTrigger::kPause, event.start_realtime_ns, event.end_realtime_ns,
          event.end_monotonic_ns, latest ? latest->assessment.score : 0);
      request.scope = verdict;
      request.start_uncertainty_seconds = uncertainty;
      recorded.capture_requested = capture_->Request(request);
    }
    Publish(std::move(recorded), latest);
  }

  // Follows the kernel log when kernel_log.enabled, keeping its place across restarts next to
  // the history database.
  std::unique_ptr<KernelWatch> MakeKernelWatch(const config::Config& config,
                                               const collectors::ProcRoot& root,
                                               const Clock& clock) {
    if (!config.kernel_log.enabled) return nullptr;
    collectors::KernelLogFollower::Options follow;
    if (config.storage.enabled) {
      follow.cursor_path = std::filesystem::path(config.storage.data_dir) / "kernel-log.cursor";
    }
    if (auto id = collectors::ReadWholeFile(root, "proc", "sys/kernel/random/boot_id", 4096)) {
      follow.boot_id = id->substr(0, id->find('\n'));
    }
    return std::make_unique<KernelWatch>(
        config.kernel_log, std::move(follow), clock,
        [this](const KernelWatch::Report& r) { OnKernelReport(r); });
  }

  // The PSI triggers of [pressure_triggers], when enabled.
  std::unique_ptr<collectors::PressureWatch> MakePressureWatch(const config::Config& config,
                                                               const collectors::ProcRoot& root,
                                                               const Clock& clock) {
    const config::PressureTriggers& pt = config.pressure_triggers;
    if (!pt.enabled) return nullptr;
    collectors::PressureWatch::Options options;
    options.poll_interval = std::chrono::milliseconds(pt.poll_interval_ms);
    options.use_triggers = pt.use_triggers;
    using collectors::PressureLevel;
    using collectors::PsiKind;
    const std::tuple<PsiKind, PressureLevel, const std::string*> triggers[] = {
        {PsiKind::kCpu, PressureLevel::kElevated, &pt.cpu},
        {PsiKind::kIo, PressureLevel::kElevated, &pt.io},
        {PsiKind::kMemory, PressureLevel::kElevated, &pt.memory},
        {PsiKind::kCpu, PressureLevel::kCritical, &pt.cpu_critical},
        {PsiKind::kIo, PressureLevel::kCritical, &pt.io_critical},
        {PsiKind::kMemory, PressureLevel::kCritical, &pt.memory_critical}};
    for (const auto& [resource, level, text] : triggers) {
      if (text->empty()) continue;
      auto parsed = config::ParsePsiTrigger(*text);  // validated when the file was read
      if (!parsed) continue;
      options.triggers.push_back(
          {resource, level, parsed->full, parsed->stall_us, parsed->window_us});
    }
    return std::make_unique<collectors::PressureWatch>(root, clock, std::move(options),
                                                       [this](const auto& f) { OnPressure(f); });
  }

  static std::string PressureTriggerName(const collectors::PressureWatch::Watched& w) {
    const auto& e = w.effective;
    return std::string(collectors::kPsiResourceNames[static_cast<int>(e.resource)]) + " " +
           collectors::TriggerText(e.full, e.stall_us, e.window_us) + " (" +
           std::string(collectors::kPressureLevelNames[static_cast<int>(e.level)]) + ")";
  }

  // A PSI trigger fired: sample at once and keep sampling fast; above the critical mark, also
  // a history event and a capture before a freeze.
  void OnPressure(const collectors::PressureWatch::Firing& f) {
    page_.Invalidate();
    const bool critical = f.watched->spec.level == collectors::PressureLevel::kCritical;
    const std::string what = PressureTriggerName(*f.watched) + " fired";
    LogWarning("pressure: " + what + (critical ? ": capturing" : ": sampling elevated"));
    if (sampler_) sampler_->ElevateNow();
    if (!critical) return;
    const ClockReading now = clock_.Now();
    auto latest = hub_.Latest();
    const double score = latest ? latest->assessment.score : 0;
    RecordedEvent event = Event(forensics::EventKind::kPressure, now.realtime_ns, 0, score);
    event.record.notes = what;
    if (capture_) {
      auto request =
          forensics::CaptureRequest::For(forensics::CaptureTrigger::kPressure, now.realtime_ns,
                                         now.realtime_ns, now.monotonic_ns, score);
      request.detail = what;
      event.capture_requested = capture_->Request(request);
    }
    Publish(std::move(event), latest);
  }

  // A stall or trouble the kernel reported: a history event naming the task, and a capture
  // unless it was written before the daemon started.
  void OnKernelReport(const KernelWatch::Report& r) {
    page_.Invalidate();
    auto latest = hub_.Latest();
    const double score = latest ? latest->assessment.score : 0;
    RecordedEvent event = Event(forensics::EventKind::kKernel, r.realtime_ns, 0, score);
    event.record.notes = std::string(analysis::Name(r.report.kind)) + ": " + r.text +
                         (r.from_kernel ? "" : " (written from user space)");
    if (r.report.pid > 0) {
      event.record.processes.push_back(
          {"kernel", 1, r.report.pid, collectors::UnescapeKmsg(r.report.task), '?', 0, 0, ""});
    }
    if (capture_ && r.since_start) {
      auto request = forensics::CaptureRequest::For(
          forensics::CaptureTrigger::kKernel, r.realtime_ns, r.realtime_ns, r.monotonic_ns, score);
      request.detail = std::string(analysis::KindText(r.report.kind)) + ": " + r.text;
      event.capture_requested = capture_->Request(request);
    }
    Publish(std::move(event), latest);
  }

  // An event ending at `end_ns` (Unix ns) after `duration_ns`, keyed like its bundle would be.
  static RecordedEvent Event(forensics::EventKind kind, std::int64_t end_ns,
                             std::int64_t duration_ns, double score_before) {
    RecordedEvent e;
    e.start_unix_ns = end_ns - duration_ns;
    e.end_unix_ns = end_ns;
    forensics::EventRecord& r = e.record;
    r.kind = kind;
    r.key = forensics::BundleId(end_ns, forensics::kEventKindNames[static_cast<int>(kind)]);
    r.end_time = static_cast<double>(end_ns) / 1e9;
    r.duration_seconds = static_cast<double>(duration_ns) / 1e9;
    r.start_time = r.end_time - r.duration_seconds;
    r.score_before = score_before;
    return e;
  }

  static api::DaemonIdentity Identity(const config::Config& config, const Clock& clock) {
    const ClockReading now = clock.Now();
    return {getpid(), RH_VERSION, RH_REVISION, now.realtime_ns, now.monotonic_ns, config.source};
  }

  // Publishes an event to the history and the senders, with the dominant stress component of
  // `context` (the last sample before it) and, if asked, its top processes.
  void Publish(RecordedEvent event, const std::shared_ptr<const analysis::ScoredSample>& context,
               bool list_processes = true) {
    if (context) {
      event.dominant_component = analysis::FindDominantStress({context}).component;
    }
    if (context && list_processes) {
      const auto& p = context->sample.processes;
      auto& processes = event.record.processes;
      auto add = [&](const char* list, const std::vector<collectors::TopProcess>& top) {
        for (std::size_t i = 0; i < top.size(); ++i) {
          processes.push_back({list, static_cast<int>(i + 1), top[i].pid, top[i].comm, top[i].state,
                               top[i].cpu_ratio, top[i].rss_bytes, ""});
        }
      };
      add("cpu", p.top_cpu);
      add("rss", p.top_rss);
      for (std::size_t i = 0; i < p.blocked.size(); ++i) {
        processes.push_back({"blocked", static_cast<int>(i + 1), p.blocked[i].pid,
                             p.blocked[i].comm, 'D', 0, 0, p.blocked[i].wchan});
      }
    }
    stream_.Publish({clock_.Now().realtime_ns, std::move(event)});
  }

  config::Config config_;
  WebSettings web_settings_;
  std::string boot_id_;
  const Clock& clock_;
  const ServiceNotifier& notifier_;
  SnapshotHub hub_;
  ReloadStats reloads_;
  std::unique_ptr<KernelWatch> kernel_watch_;  // before page_, which shows their counters
  std::unique_ptr<collectors::PressureWatch> pressure_watch_;
  collectors::SwitchCounter switch_counter_;  // before watchdog_, which reads it
  analysis::Watchdog watchdog_;
  std::atomic<std::uint64_t> critical_episodes_{0};
  forensics::StorageStats storage_stats_;
  forensics::FlightRecorder flight_recorder_;
  std::unique_ptr<forensics::HistoryWriter> history_;
  forensics::CaptureStats capture_stats_;
  otel::OtlpStats otlp_stats_;
  otel::AlertmanagerStats alertmanager_stats_;
  EventStream stream_;
  std::unique_ptr<HistorySubscriber> history_subscriber_;
  std::unique_ptr<otel::OtlpLogExporter> otlp_;
  std::unique_ptr<otel::AlertmanagerPusher> alertmanager_;
  std::unique_ptr<forensics::CaptureWorker> capture_;  // after what it uses; stopped first
  WebStats web_stats_;
  std::shared_ptr<SelfWatch> self_watch_;
  MetricsPage page_;
  api::StatusBoard status_;
  StatusSubscriber status_subscriber_;
  collectors::ProcRoot root_;
  analysis::PauseStats pause_stats_;
  PauseInquiry inquiry_;
  std::unique_ptr<WebServer> web_;
  std::unique_ptr<Sampler> sampler_;
  int stop_fd_ = eventfd(0, EFD_CLOEXEC);
  std::thread events_;
};

void ApplyLogging(const config::Logging& logging) {
  const char* stream = std::getenv("JOURNAL_STREAM");
  LogOptions log;
  log.file = logging.file;
  log.max_bytes = static_cast<std::uint64_t>(logging.max_bytes);
  log.max_files = logging.max_files;
  log.journal = stream != nullptr && IsJournalStream(stream, STDERR_FILENO);
  if (Status s = ConfigureLog(log); !s.ok()) {
    LogWarning(s.error().message + "; logging to stderr instead");
    log.file.clear();
    (void)ConfigureLog(log);
  }
}

// The configuration as the command line amends it.
Result<config::Config> LoadConfig(const DaemonOptions& options) {
  const bool explicit_config = !options.config_path.empty();
  auto loaded = config::Load(explicit_config ? options.config_path : config::DefaultConfigPath(),
                             explicit_config);
  if (!loaded.ok()) return loaded.error();
  config::Config config = std::move(loaded).value();
  if (options.listen) config.http.listen = *options.listen;
  if (options.web_config_file) config.http.web_config_file = options.web_config_file->string();
  return config;
}

std::string Joined(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// SIGHUP: read the configuration again. A valid one takes effect (the keys that need a restart
// keep their running values, and say so); an invalid one is rejected with the messages of
// `rogue-hunter config validate` and the running configuration stays.
void Reload(const DaemonOptions& options, Daemon& daemon, config::Config& running,
            const ServiceNotifier& notifier) {
  notifier.Reloading();
  auto loaded = LoadConfig(options);
  if (!loaded.ok()) {
    daemon.CountReload(false);
    LogError("configuration reload rejected; the running configuration stays:");
    std::istringstream lines(loaded.error().message);
    for (std::string line; std::getline(lines, line);) LogError(line);
    notifier.Ready("configuration reload rejected; running with the previous one");
    return;
  }
  const ReloadPlan plan = PlanReload(running, *loaded);
  const config::Config effective = KeepRestartOnlyKeys(running, *loaded);
  daemon.Reconfigure(effective);
  if (effective.logging.file != running.logging.file ||
      effective.logging.max_bytes != running.logging.max_bytes ||
      effective.logging.max_files != running.logging.max_files) {
    ApplyLogging(effective.logging);
  }
  running = effective;
  daemon.CountReload(true);
  const std::string source = loaded->source.empty() ? "defaults" : loaded->source;
  if (plan.applied.empty() && plan.need_restart.empty()) {
    LogInfo("configuration reloaded from " + source + ": nothing changed");
  } else if (!plan.applied.empty()) {
    LogInfo("configuration reloaded from " + source + ": applied " + Joined(plan.applied));
  }
  if (!plan.need_restart.empty()) {
    LogWarning("configuration reloaded from " + source + ": " + Joined(plan.need_restart) +
               " changed but take effect only when the daemon restarts; the running values stay");
  }
  notifier.Ready("configuration reloaded");
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  if (options.listen) {
    if (auto listen = config::ParseListen(*options.listen); !listen.ok()) {
      return Fail(kExitBadConfig, "--listen: " + listen.error().message);
    }
  }
  auto loaded = LoadConfig(options);
  if (!loaded.ok()) return Fail(kExitBadConfig, loaded.error().message);
  config::Config config = std::move(loaded).value();
  auto listen = config::ParseListen(config.http.listen);
  auto web = LoadWebSettings(config, *listen);
  if (!web.ok()) return Fail(kExitBadConfig, web.error().message);
  for (const auto& dir : {options.proc_root, options.sys_root}) {
    std::error_code ec;
    if (dir && !std::filesystem::is_directory(*dir, ec)) {
      return Fail(kExitBadConfig, dir->string() + ": not a directory");
    }
  }
  ApplyLogging(config.logging);

  // One daemon per data directory. A directory that cannot be created is not fatal: the history
  // and the bundles report their own failures and /metrics keeps serving.
  std::optional<DaemonLock> lock;
  {
    std::optional<DaemonInfo> holder;
    const std::string config_path =
        (options.config_path.empty() ? config::DefaultConfigPath() : options.config_path).string();
    auto acquired = DaemonLock::Acquire(
        config.storage.data_dir, {getpid(), config.http.listen, config_path, RH_VERSION}, &holder);
    if (acquired.ok()) {
      lock.emplace(std::move(acquired).value());
    } else if (holder) {
      return Fail(kExitFailure, acquired.error().message);
    } else {
      LogWarning(acquired.error().message +
                 "; running without the lock that keeps a second daemon off this data directory");
    }
  }

  // Every thread started from here on inherits this mask; the main thread takes the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGHUP);
  sigset_t blocked = signals;
  sigaddset(&blocked, SIGCONT);  // pending until the pause inquiry takes it (pause scope)
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);

  const ServiceNotifier notifier;
  collectors::ProcRoot root(options.proc_root.value_or(collectors::ProcRoot::DefaultProc()),
                            options.sys_root.value_or(collectors::ProcRoot::DefaultSys()));
  const Senders senders = ResolveSenders(config);
  auto daemon = std::make_unique<Daemon>(config, std::move(web).value(), root,
                                         SystemClock::Instance(), notifier, senders);
  if (Status started = daemon->Start(*listen); !started.ok())
    return Fail(kExitFailure, started.error().message);
  LogInfo("listening on " + config.http.listen +
          (config.source.empty() ? ", default configuration" : ", configuration " + config.source));
  notifier.Ready("listening on " + config.http.listen);

  int signal = 0;
  for (;;) {
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGUSR1) {
      LogInfo("received SIGUSR1: manual forensic capture");
      daemon->RequestManualCapture();
    } else if (signal == SIGHUP) {
      LogInfo("received SIGHUP: reloading the configuration");
      Reload(options, *daemon, config, notifier);
    } else {
      break;
    }
  }
  LogInfo(std::string("received ") + sigabbrev_np(signal) + ", stopping");
  notifier.Stopping();
  daemon->Stop();
  LogInfo("stopped");
  return kExitOk;
}

}  // namespace rh::exporter
