// The CPU cost of one event on its way to an OpenTelemetry collector: from the daemon publishing
// the pause on its event stream to the OTLP request sent and answered, against a bare libcurl
// POST of the same request body (the floor: HTTP over loopback alone).
//
// The collector is the daemon's own HTTP server answering 200 "{}", in a child process, so that
// its CPU is not counted: both benchmarks measure this process's CPU time, all threads (the
// exporter's sender thread included).

#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "exporter/event_stream.h"
#include "exporter/http_server.h"
#include "exporter/otel/log_records.h"
#include "exporter/otel/otlp_exporter.h"

namespace {

using namespace rh::exporter;

int g_port = 0;

// A pause as the daemon publishes it: the record with the top processes of a sample (5 by CPU,
// 5 by memory, 2 blocked tasks), key, times and context.
DaemonEvent Pause() {
  const std::int64_t end = rh::SystemClock::Instance().Now().realtime_ns;
  RecordedEvent e;
  e.record.kind = rh::forensics::EventKind::kPause;
  e.record.key = rh::forensics::BundleId(end, "pause");
  e.record.end_time = static_cast<double>(end) / 1e9;
  e.record.duration_seconds = 3.0;
  e.record.start_time = e.record.end_time - 3.0;
  e.record.score_before = 42.5;
  for (const char* list : {"cpu", "rss"}) {
    for (int i = 1; i <= 5; ++i) {
      e.record.processes.push_back(
          {list, i, 1000 + i, "process-" + std::to_string(i), 'R', 0.5 / i, 100u << 20, ""});
    }
  }
  e.record.processes.push_back({"blocked", 1, 77, "jbd2/sda1-8", 'D', 0, 0, "io_schedule"});
  e.record.processes.push_back({"blocked", 2, 78, "kworker/u4:2", 'D', 0, 0, "wait_on_page"});
  e.start_unix_ns = end - 3'000'000'000;
  e.end_unix_ns = end;
  e.dominant_component = "memory";
  e.capture_requested = true;
  return DaemonEvent{end, std::move(e)};
}

otel::OtlpSettings Settings() {
  otel::OtlpSettings s;
  s.url = "http://127.0.0.1:" + std::to_string(g_port) + "/v1/logs";
  s.resource = {{"service.name", "rogue-hunter"},
                {"service.version", "0.1.0"},
                {"service.instance.id", "fc8386d2-457b-44e6-804f-9d616c49ef04"},
                {"host.name", "bench"},
                {"host.id", "3d1219c7c4c5404aaa1f6d2a48adfda4"},
                {"os.type", "linux"}};
  s.batch_delay = std::chrono::milliseconds(0);  // one request per event, no waiting
  return s;
}

// From EventStream::Publish() to the response read by the exporter's thread.
void BM_OtlpEventToRequest(benchmark::State& state) {
  otel::OtlpStats stats;
  otel::OtlpLogExporter exporter(Settings(), "0.1.0", rh::SystemClock::Instance(), stats);
  EventStream stream;
  stream.Subscribe(&exporter);
  exporter.Start();
  for (auto _ : state) {
    stream.Publish(Pause());
    if (!exporter.Flush(std::chrono::seconds(10))) state.SkipWithError("not delivered");
  }
  exporter.Stop();
  if (stats.sent != static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("the collector did not accept every record");
  }
}
BENCHMARK(BM_OtlpEventToRequest)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The reference: the same request body POSTed with a bare libcurl handle (connection kept alive).
void BM_BareCurlPost(benchmark::State& state) {
  std::vector<std::shared_ptr<const DaemonEvent>> events = {
      std::make_shared<const DaemonEvent>(Pause())};
  const std::string body =
      otel::EncodeExportLogsRequest(Settings().resource, events, {10, "0.1.0"});
  const std::string url = Settings().url;
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::string response;
  auto sink = +[](char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  };
  for (auto _ : state) {
    response.clear();
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    if (curl_easy_perform(curl) != CURLE_OK) state.SkipWithError("POST failed");
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
}
BENCHMARK(BM_BareCurlPost)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMicrosecond);

// Only building the request body of one pause, for information.
void BM_EncodePause(benchmark::State& state) {
  std::vector<std::shared_ptr<const DaemonEvent>> events = {
      std::make_shared<const DaemonEvent>(Pause())};
  const auto resource = Settings().resource;
  for (auto _ : state) {
    benchmark::DoNotOptimize(otel::EncodeExportLogsRequest(resource, events, {10, "0.1.0"}));
  }
}
BENCHMARK(BM_EncodePause)->Unit(benchmark::kMicrosecond);

// The collector: a child process serving 200 "{}" to every POST until killed.
pid_t StartCollector(int& port) {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(ready[0]);
    HttpServer::Options options;
    options.port = 0;
    options.threads = 2;
    auto server = HttpServer::Start(options, [](const rh::exporter::HttpRequest&) {
      HttpResponse r = HttpResponse::Text(200, "{}");
      r.content_type = "application/json";
      return r;
    });
    int bound = server.ok() ? (*server)->port() : -1;
    if (write(ready[1], &bound, sizeof(bound)) != sizeof(bound)) _exit(1);
    for (;;) pause();
  }
  close(ready[1]);
  if (read(ready[0], &port, sizeof(port)) != sizeof(port)) port = -1;
  close(ready[0]);
  return child;
}

}  // namespace

int main(int argc, char** argv) {
  const pid_t collector = StartCollector(g_port);
  if (collector < 0 || g_port <= 0) {
    std::fprintf(stderr, "otel_bench: cannot start the collector\n");
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  kill(collector, SIGKILL);
  waitpid(collector, nullptr, 0);
  return 0;
}
