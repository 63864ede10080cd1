#include "exporter/daemon.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "analysis/watchdog.h"
#include "base/clock.h"
#include "base/log.h"
#include "collectors/collector.h"
#include "config/config.h"
#include "exporter/http_server.h"
#include "exporter/metrics.h"
#include "exporter/sampler.h"
#include "exporter/snapshot.h"
#include "exporter/web.h"

namespace rh::exporter {
namespace {

// How long a scrape may be served from the cached body when nothing invalidated it.
constexpr std::chrono::milliseconds kMetricsMaxAge{100};

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
  Daemon(const config::Config& config, const collectors::ProcRoot& root, const Clock& clock)
      : config_(config),
        clock_(clock),
        watchdog_(clock, {static_cast<std::int64_t>(config.pause.tick_ms) * 1'000'000,
                          static_cast<std::int64_t>(config.pause.min_seconds * 1e9),
                          config.pause.raise_priority}),
        page_({std::make_shared<DaemonMetrics>(
                  hub_, static_cast<double>(clock.Now().realtime_ns) / 1e9,
                  LiveSources{&watchdog_.stats(), &critical_episodes_})},
              clock, kMetricsMaxAge),
        root_(root) {}

  ~Daemon() override { Stop(); }

  // Binds the HTTP port first (so a port in use fails before anything runs), then starts the
  // watchdog, the event thread and the sampler.
  Status Start(const config::ListenAddress& listen) {
    HttpServer::Options http{listen.host, listen.port, config_.http.threads,
                             config_.http.request_timeout_ms};
    double stale_after = 3 * config_.sampling.normal_interval + 10;
    auto server = HttpServer::Start(http, MakeWebHandler({page_, hub_, clock_, stale_after}));
    if (!server.ok()) return server.error();
    server_ = std::move(server).value();

    if (Status s = watchdog_.Start(); !s.ok()) return s;
    events_ = std::jthread([this](std::stop_token stop) { EventLoop(stop); });

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
      events_.request_stop();
      events_.join();
    }
    server_.reset();
  }

  void OnSample(const std::shared_ptr<const analysis::ScoredSample>& sample,
                const analysis::PolicyDecision& decision) override {
    hub_.Publish(sample);
    page_.Invalidate();
    if (decision.changed) {
      LogInfo("sampling " + std::string(analysis::Name(decision.previous)) + " -> " +
              std::string(analysis::Name(decision.state)) + " at stress " +
              std::to_string(static_cast<int>(sample->assessment.score)));
    }
    if (decision.critical_trigger) critical_episodes_.fetch_add(1);
  }

 private:
  // Turns the watchdog's events into log lines and history records, off the watchdog thread.
  void EventLoop(std::stop_token stop) {
    pollfd fd{watchdog_.event_fd(), POLLIN, 0};
    while (!stop.stop_requested()) {
      if (fd.fd >= 0) {
        if (poll(&fd, 1, 100) > 0) {
          std::uint64_t ignored = 0;
          ssize_t n = read(fd.fd, &ignored, sizeof(ignored));
          (void)n;
        }
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      analysis::WatchdogEvent event;
      while (watchdog_.PopEvent(event)) OnWatchdogEvent(event);
    }
  }

  void OnWatchdogEvent(const analysis::WatchdogEvent& event) {
    page_.Invalidate();
    const double duration = static_cast<double>(event.duration_ns) / 1e9;
    if (event.kind == analysis::WatchdogEvent::Kind::kSuspend) {
      LogInfo("suspend: the machine slept for " + Seconds(duration));
      return;
    }
    LogWarning("pause: nothing ran for " + Seconds(duration));
    if (sampler_) sampler_->SampleNow();
  }

  config::Config config_;
  const Clock& clock_;
  SnapshotHub hub_;
  analysis::Watchdog watchdog_;
  std::atomic<std::uint64_t> critical_episodes_{0};
  MetricsPage page_;
  collectors::ProcRoot root_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<Sampler> sampler_;
  std::jthread events_;
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
  auto listen = config::ParseListen(config.http.listen);
  for (const auto& dir : {options.proc_root, options.sys_root}) {
    std::error_code ec;
    if (dir && !std::filesystem::is_directory(*dir, ec)) {
      return Fail(kExitBadConfig, dir->string() + ": not a directory");
    }
  }

  // Every thread started from here on inherits this mask; the main thread takes the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  collectors::ProcRoot root(options.proc_root.value_or(collectors::ProcRoot::DefaultProc()),
                            options.sys_root.value_or(collectors::ProcRoot::DefaultSys()));
  auto daemon = std::make_unique<Daemon>(config, root, SystemClock::Instance());
  if (Status started = daemon->Start(*listen); !started.ok())
    return Fail(kExitFailure, started.error().message);
  LogInfo("listening on " + config.http.listen +
          (config.source.empty() ? ", default configuration" : ", configuration " + config.source));

  int signal = 0;
  while (sigwait(&stop_signals, &signal) != 0) {
  }
  LogInfo(std::string("received ") + sigabbrev_np(signal) + ", stopping");
  daemon->Stop();
  LogInfo("stopped");
  return kExitOk;
}

}  // namespace rh::exporter
