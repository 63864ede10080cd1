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
#include <iostream>
#include <memory>
#include <thread>

#include "analysis/watchdog.h"
#include "base/clock.h"
#include "base/log.h"
#include "collectors/collector.h"
#include "collectors/process_detail.h"
#include "config/config.h"
#include "exporter/metrics.h"
#include "exporter/sampler.h"
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

// The running daemon: owns every thread and wires them together.
class Daemon final : public SampleSink {
 public:
  Daemon(const config::Config& config, WebSettings web, const collectors::ProcRoot& root,
         const Clock& clock)
      : config_(config),
        web_settings_(std::move(web)),
        boot_id_([&] {
          auto id = collectors::ReadBootId(root);
          return id.ok() ? *id : std::string();
        }()),
        clock_(clock),
        watchdog_(clock, {static_cast<std::int64_t>(config.pause.tick_ms) * 1'000'000,
                          static_cast<std::int64_t>(config.pause.min_seconds * 1e9),
                          config.pause.raise_priority}),
        page_({std::make_shared<DaemonMetrics>(
                   hub_, static_cast<double>(clock.Now().realtime_ns) / 1e9,
                   LiveSources{&watchdog_.stats(), &critical_episodes_,
                               config.storage.enabled ? &storage_stats_ : nullptr,
                               config.forensics.enabled ? &capture_stats_ : nullptr}),
               std::make_shared<WebMetrics>(web_stats_)},
              clock, MetricsMaxAge(config)),
        root_(root) {
    if (config.storage.enabled) {
      forensics::HistoryWriterOptions history;
      history.boot_id = boot_id_;
      history.process_interval_seconds = config.process.history_interval_seconds;
      history.process_retention_seconds = config.process.history_hours * 3600;
      history_ = std::make_unique<forensics::HistoryWriter>(
          config.storage.database, config.retention, clock, storage_stats_, history);
    }
    if (config.forensics.enabled) {
      forensics::CaptureOptions options;
      options.root = root_;
      options.software_version = RH_VERSION;
      options.software_revision = RH_REVISION;
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
    auto web = WebServer::Start(
        {config_, listen, web_settings_, page_, hub_, clock_, root_, web_stats_, boot_id_});
    if (!web.ok()) return web.error();
    web_ = std::move(web).value();

    if (history_) history_->Start();
    if (capture_) {
      if (Status s = capture_->Start(); !s.ok()) {
        LogWarning("forensics: no bundles can be written: " + s.error().message);
      }
    }
    if (Status s = watchdog_.Start(); !s.ok()) return s;
    if (stop_fd_ < 0 || watchdog_.event_fd() < 0) return Error{"cannot create an eventfd"};
    events_ = std::thread([this] { EventLoop(); });

    collectors::CollectorOptions options;
    options.top_n = static_cast<std::size_t>(config_.sampling.top_processes);
    sampler_ = std::make_unique<Sampler>(
        collectors::MakeCollectors(root_, options), clock_, config_,
        [this] { return static_cast<double>(watchdog_.TakeWorstOvershoot()) / 1e9; }, *this);
    sampler_->Start();
    return {};
  }

  void Stop() {
    if (sampler_) sampler_->Stop();
    watchdog_.Stop();
    if (events_.joinable()) {
      const std::uint64_t one = 1;
      ssize_t n = write(stop_fd_, &one, sizeof(one));
      (void)n;
      events_.join();
    }
    if (capture_) capture_->Stop();  // cancels a capture under way: returns within ~0.1 s
    if (history_) history_->Stop();
    web_.reset();
  }

  void OnSample(const std::shared_ptr<const analysis::ScoredSample>& sample,
                const analysis::PolicyDecision& decision) override {
    auto previous = hub_.Latest();
    hub_.Publish(sample);
    page_.Invalidate();
    flight_recorder_.Push(sample);
    if (history_) history_->Add(sample);
    const std::int64_t now = sample->sample.clock.realtime_ns;
    const double score_before = previous ? previous->assessment.score : 0;
    if (decision.changed) {
      LogInfo("sampling " + std::string(analysis::Name(decision.previous)) + " -> " +
              std::string(analysis::Name(decision.state)) + " at stress " +
              std::to_string(static_cast<int>(sample->assessment.score)));
      forensics::EventRecord event =
          Event(forensics::EventKind::kStateChange, now, 0, score_before);
      event.state_from = analysis::Name(decision.previous);
      event.state_to = analysis::Name(decision.state);
      event.key = forensics::BundleId(now, "state-" + event.state_to);
      Record(std::move(event));
    }
    if (decision.critical_trigger) {
      critical_episodes_.fetch_add(1);
      forensics::EventRecord event = Event(forensics::EventKind::kCritical, now, 0, score_before);
      event.notes = "critical episode started at stress " +
                    std::to_string(static_cast<int>(sample->assessment.score));
      Record(std::move(event), sample.get());
      if (capture_) {
        capture_->Request(forensics::CaptureRequest::For(forensics::CaptureTrigger::kCritical, now,
                                                         now, sample->sample.clock.monotonic_ns,
                                                         score_before));
      }
    }
  }

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
    if (suspend) {
      LogInfo("suspend: the machine slept for " + Seconds(duration));
    } else {
      LogWarning("pause: nothing ran for " + Seconds(duration));
      if (sampler_) sampler_->SampleNow();
    }
    auto latest = hub_.Latest();
    forensics::EventRecord record =
        Event(suspend ? forensics::EventKind::kSuspend : forensics::EventKind::kPause,
              event.end_realtime_ns, duration, latest ? latest->assessment.score : 0);
    Record(std::move(record), latest.get());
    if (!suspend && capture_) {
      capture_->Request(forensics::CaptureRequest::For(
          forensics::CaptureTrigger::kPause, event.start_realtime_ns, event.end_realtime_ns,
          event.end_monotonic_ns, latest ? latest->assessment.score : 0));
    }
  }

  // An event ending at `end_ns` (Unix ns), keyed like its bundle would be.
  static forensics::EventRecord Event(forensics::EventKind kind, std::int64_t end_ns,
                                      double duration, double score_before) {
    forensics::EventRecord e;
    e.kind = kind;
    e.key = forensics::BundleId(end_ns, forensics::kEventKindNames[static_cast<int>(kind)]);
    e.end_time = static_cast<double>(end_ns) / 1e9;
    e.start_time = e.end_time - duration;
    e.duration_seconds = duration;
    e.score_before = score_before;
    return e;
  }

  // Stores an event with the top processes of `context` (the last sample before it).
  void Record(forensics::EventRecord event, const analysis::ScoredSample* context = nullptr) {
    if (!history_) return;
    if (context != nullptr) {
      const auto& p = context->sample.processes;
      auto add = [&](const char* list, const std::vector<collectors::TopProcess>& top) {
        for (std::size_t i = 0; i < top.size(); ++i) {
          event.processes.push_back({list, static_cast<int>(i + 1), top[i].pid, top[i].comm,
                                     top[i].state, top[i].cpu_ratio, top[i].rss_bytes, ""});
        }
      };
      add("cpu", p.top_cpu);
      add("rss", p.top_rss);
      for (std::size_t i = 0; i < p.blocked.size(); ++i) {
        event.processes.push_back({"blocked", static_cast<int>(i + 1), p.blocked[i].pid,
                                   p.blocked[i].comm, 'D', 0, 0, p.blocked[i].wchan});
      }
    }
    history_->Add(std::move(event));
  }

  config::Config config_;
  WebSettings web_settings_;
  std::string boot_id_;
  const Clock& clock_;
  SnapshotHub hub_;
  analysis::Watchdog watchdog_;
  std::atomic<std::uint64_t> critical_episodes_{0};
  forensics::StorageStats storage_stats_;
  forensics::FlightRecorder flight_recorder_;
  std::unique_ptr<forensics::HistoryWriter> history_;
  forensics::CaptureStats capture_stats_;
  std::unique_ptr<forensics::CaptureWorker> capture_;  // after what it uses; stopped first
  WebStats web_stats_;
  MetricsPage page_;
  collectors::ProcRoot root_;
  std::unique_ptr<WebServer> web_;
  std::unique_ptr<Sampler> sampler_;
  int stop_fd_ = eventfd(0, EFD_CLOEXEC);
  std::thread events_;
};

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  bool explicit_config = !options.config_path.empty();
  auto path = explicit_config ? options.config_path : config::DefaultConfigPath();
  auto loaded = config::Load(path, explicit_config);
  if (!loaded.ok()) return Fail(kExitBadConfig, loaded.error().message);
  config::Config config = std::move(loaded).value();
  if (options.listen) {
    if (auto listen = config::ParseListen(*options.listen); !listen.ok()) {
      return Fail(kExitBadConfig, "--listen: " + listen.error().message);
    }
    config.http.listen = *options.listen;
  }
  if (options.web_config_file) config.http.web_config_file = options.web_config_file->string();
  auto listen = config::ParseListen(config.http.listen);
  auto web = LoadWebSettings(config, *listen);
  if (!web.ok()) return Fail(kExitBadConfig, web.error().message);
  for (const auto& dir : {options.proc_root, options.sys_root}) {
    std::error_code ec;
    if (dir && !std::filesystem::is_directory(*dir, ec)) {
      return Fail(kExitBadConfig, dir->string() + ": not a directory");
    }
  }

  // Every thread started from here on inherits this mask; the main thread takes the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  collectors::ProcRoot root(options.proc_root.value_or(collectors::ProcRoot::DefaultProc()),
                            options.sys_root.value_or(collectors::ProcRoot::DefaultSys()));
  auto daemon =
      std::make_unique<Daemon>(config, std::move(web).value(), root, SystemClock::Instance());
  if (Status started = daemon->Start(*listen); !started.ok())
    return Fail(kExitFailure, started.error().message);
  LogInfo("listening on " + config.http.listen +
          (config.source.empty() ? ", default configuration" : ", configuration " + config.source));

  int signal = 0;
  for (;;) {
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGUSR1) break;
    LogInfo("received SIGUSR1: manual forensic capture");
    daemon->RequestManualCapture();
  }
  LogInfo(std::string("received ") + sigabbrev_np(signal) + ", stopping");
  daemon->Stop();
  LogInfo("stopped");
  return kExitOk;
}

}  // namespace rh::exporter
