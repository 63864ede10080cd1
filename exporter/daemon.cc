#include "exporter/daemon.h"

#include <signal.h>
#include <string.h>

#include <chrono>
#include <iostream>
#include <memory>

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

  const Clock& clock = SystemClock::Instance();
  collectors::ProcRoot root(options.proc_root.value_or(collectors::ProcRoot::DefaultProc()),
                            options.sys_root.value_or(collectors::ProcRoot::DefaultSys()));
  collectors::CollectorOptions collector_options;
  collector_options.top_n = static_cast<std::size_t>(config.sampling.top_processes);

  SnapshotHub hub;
  auto snapshot_metrics =
      std::make_shared<SnapshotMetrics>(hub, static_cast<double>(clock.Now().realtime_ns) / 1e9);
  MetricsPage page({snapshot_metrics}, clock, kMetricsMaxAge);

  HttpServer::Options http;
  http.host = listen->host;
  http.port = listen->port;
  http.threads = config.http.threads;
  http.request_timeout_ms = config.http.request_timeout_ms;
  double stale_after = 3 * config.sampling.normal_interval + 10;
  auto server = HttpServer::Start(http, MakeWebHandler({page, hub, clock, stale_after}));
  if (!server.ok()) return Fail(kExitFailure, server.error().message);

  Sampler sampler(collectors::MakeCollectors(root, collector_options), clock, hub,
                  [&page] { page.Invalidate(); }, {config.sampling.normal_interval});
  sampler.Start();
  LogInfo("listening on " + config.http.listen +
          (config.source.empty() ? ", default configuration" : ", configuration " + config.source));

  int signal = 0;
  while (sigwait(&stop_signals, &signal) != 0) {
  }
  LogInfo(std::string("received ") + sigabbrev_np(signal) + ", stopping");
  sampler.Stop();
  server->reset();
  LogInfo("stopped");
  return kExitOk;
}

}  // namespace rh::exporter
