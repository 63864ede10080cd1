// The container image and the compose stack in the real tools: Docker's engine (Debian's
// docker.io), docker-compose, and the repository's own Dockerfile and docker-compose.yml.
//
// Each test uses the running Docker engine or starts dockerd itself and stops it afterwards (only
// then), makes the debian:12 base image with deploy/debian-base-image.sh when the engine has none,
// and builds the images it needs (Docker's layer cache makes that a no-op when nothing the build
// reads changed). docker-compose.yml runs as a user runs it, with the overrides of this directory
// changing only what these machines refuse (compose.sandbox.yml) and the images no registry can
// supply here (compose.stand-ins.yml). Where Docker cannot run, every test is skipped with the
// reason, never passed.
//
// The commands are docs/fleet.md's (kCommands); DockerDocs checks that the document still shows
// each of them, so the user's instructions are the tested ones.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test::docker {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::filesystem::path kRoot = RH_SOURCE_DIR;
const std::filesystem::path kWorkDir = std::filesystem::path(RH_BINARY_DIR) / "tests/docker";

// The commands of docs/fleet.md that these tests run, exactly as a user types them. The tests
// add only `-T` to `exec` (there is no terminal under ctest) and, to `up`, the services to start
// (Grafana cannot run here).
constexpr const char* kMakeBaseImage = "deploy/debian-base-image.sh";
constexpr const char* kUp = "docker-compose up -d --build";
constexpr const char* kBuild = "docker-compose build rogue-hunter";
constexpr const char* kPause = "docker-compose kill -s SIGSTOP rogue-hunter";
constexpr const char* kResume = "docker-compose kill -s SIGCONT rogue-hunter";
constexpr const char* kList = "docker-compose exec rogue-hunter rh-forensics list";
constexpr const char* kVerify = "docker-compose exec rogue-hunter rh-forensics verify";
constexpr const char* kLogs = "docker-compose logs rogue-hunter";
constexpr const char* kDown = "docker-compose down";
constexpr const char* kCommands[] = {kMakeBaseImage, kUp,     kBuild, kPause, kResume,
                                     kList,          kVerify, kLogs,  kDown};

constexpr const char* kImage = "rogue-hunter:local";      // docker-compose.yml's image
constexpr const char* kBaseImage = "debian:12";           // deploy/Dockerfile's FROM
constexpr auto kBuildTimeout = std::chrono::minutes(40);  // 6 min on 2 idle cores; CI shares them
constexpr auto kPauseLength = 3000ms;

std::vector<std::string> Words(std::string_view command) {
  std::vector<std::string> words;
  std::istringstream in{std::string(command)};
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string Tail(const std::string& text, size_t lines = 30) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines; ++n) {
    if (pos == 0) return text;
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

std::string Describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout (tail)\n" + Tail(r.out) +
         "\n--- stderr (tail)\n" + Tail(r.err);
}

std::optional<std::string> FindProgram(const std::string& name) {
  RunResult r = rh::test::Run({"/bin/sh", "-c", "command -v \"$0\"", name}, 10s);
  if (r.exit_code == 0 && !r.out.empty()) return r.out.substr(0, r.out.find('\n'));
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/"}) {
    if (std::filesystem::exists(dir + name)) return dir + name;
  }
  return std::nullopt;
}

// The docker client; docker-compose finds its own on PATH.
const std::string& DockerClient() {
  static const std::string client = FindProgram("docker").value_or("docker");
  return client;
}

RunResult Docker(std::vector<std::string> args, std::chrono::milliseconds timeout = 60s) {
  args.insert(args.begin(), DockerClient());
  return rh::test::Run(args, timeout);
}

bool EngineAnswers() {
  return Docker({"version", "--format", "{{.Server.Version}}"}, 20s).exit_code == 0;
}

bool ImageExists(const std::string& image) {
  return Docker({"image", "inspect", "--format", "{{.Id}}", image}).exit_code == 0;
}

std::string ImageId(const std::string& image) {
  RunResult r = Docker({"image", "inspect", "--format", "{{.Id}}", image});
  return r.exit_code == 0 ? r.out : "";
}

// ---------------------------------------------------------------------------------------------
// The Docker engine: the one already running, or a dockerd started here and stopped when the
// test suite ends.

class Engine {
 public:
  // Empty when the engine answers; otherwise why Docker cannot run on this machine.
  std::string Acquire() {
    if (!FindProgram("docker")) return "docker.io is not installed (no docker client)";
    if (EngineAnswers()) return "";
    std::optional<std::string> dockerd = FindProgram("dockerd");
    if (!dockerd) return "docker.io is not installed (no dockerd) and no Docker engine answers";
    std::error_code ec;
    std::filesystem::create_directories(kWorkDir, ec);
    // overlay2 first, as dockerd chooses; vfs where the kernel or file system refuses overlay.
    std::string why;
    for (const char* driver : {"", "vfs"}) {
      std::vector<std::string> argv = {*dockerd};
      if (*driver != '\0') argv.insert(argv.end(), {"--storage-driver", driver});
      std::cout << "starting " << argv.front() << (*driver ? " --storage-driver vfs" : "")
                << " (log: " << kWorkDir.string() << ")" << std::endl;
      dockerd_.emplace(Subprocess::Start(argv, {{}, kWorkDir, {}}));
      const bool up =
          WaitUntil([this] { return !dockerd_->Running() || EngineAnswers(); }, 90s, 500ms) &&
          dockerd_->Running();
      if (up) return "";
      const std::string log = dockerd_->Stderr();
      const int status = dockerd_->Stop(20s);
      dockerd_.reset();
      why = "dockerd did not start (exit status " + std::to_string(status) + ")" +
            (log.empty() ? "" : ":\n" + Tail(log, 8));
      if (log.find("overlay") == std::string::npos) break;
    }
    return why;
  }

  ~Engine() {
    if (!dockerd_) return;
    std::cout << "stopping the dockerd this test started" << std::endl;
    dockerd_->Stop(30s);
  }

 private:
  std::optional<Subprocess> dockerd_;
};

// ---------------------------------------------------------------------------------------------
// One compose project: the user's docker-compose.yml plus overrides, on free ports, under a
// project name of its own (its containers, network and volumes are removed at the end, and
// before the start, in case an earlier run was killed).

class ComposeProject {
 public:
  ComposeProject(std::string suffix, std::vector<std::string> override_files)
      : name_("rhtest" + std::to_string(std::hash<std::string>{}(kRoot.string()) % 1000000) + "-" +
              std::move(suffix)) {
    std::string files = (kRoot / "docker-compose.yml").string();
    for (const std::string& file : override_files) files += ":" + (kRoot / file).string();
    env_ = {"COMPOSE_PROJECT_NAME=" + name_,
            "COMPOSE_FILE=" + files,
            "ROGUE_HUNTER_PORT=" + std::to_string(rogue_hunter_port_),
            "PROMETHEUS_PORT=" + std::to_string(prometheus_port_),
            "ALERTMANAGER_PORT=" + std::to_string(alertmanager_port_),
            "GRAFANA_PORT=" + std::to_string(FreePort())};
    Down();
  }
  ~ComposeProject() {
    if (::testing::Test::HasFailure()) {
      std::cout << "---- " << kLogs << " (tail)\n" << Tail(Compose(kLogs).out, 40) << std::endl;
    }
    RunResult down = Down();
    if (down.exit_code != 0) std::cout << kDown << " failed: " << Describe(down) << std::endl;
  }
  ComposeProject(const ComposeProject&) = delete;
  ComposeProject& operator=(const ComposeProject&) = delete;

  // Runs one of docs/fleet.md's docker-compose commands in the repository, plus `extra` words.
  RunResult Compose(std::string_view command, std::vector<std::string> extra = {},
                    std::chrono::milliseconds timeout = 180s) const {
    std::vector<std::string> argv = {"env", "-C", kRoot.string()};
    argv.insert(argv.end(), env_.begin(), env_.end());
    std::vector<std::string> words = Words(command);
    if (words.size() > 1 && words[1] == "exec") words.insert(words.begin() + 2, "-T");
    argv.insert(argv.end(), words.begin(), words.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return rh::test::Run(argv, timeout);
  }

  std::string Url(int port, const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  int rogue_hunter_port() const { return rogue_hunter_port_; }
  int prometheus_port() const { return prometheus_port_; }
  int alertmanager_port() const { return alertmanager_port_; }

 private:
  RunResult Down() const { return Compose(kDown, {"-v", "--remove-orphans", "--timeout", "10"}); }

  std::string name_;
  int rogue_hunter_port_ = FreePort();
  int prometheus_port_ = FreePort();
  int alertmanager_port_ = FreePort();
  std::vector<std::string> env_;
};

// ---------------------------------------------------------------------------------------------

class DockerTest : public ::testing::Test {
 protected:
  // The engine and the base image, once per process (ctest runs one test per process); nothing
  // here may fail the suite, so that a failure is never hidden behind a skip.
  void SetUp() override {
    static const std::string skip = [] {
      engine_ = new Engine;
      std::string why = engine_->Acquire();
      if (why.empty() && !ImageExists(kBaseImage) && !FindProgram("debootstrap")) {
        why = std::string("the Docker engine has no ") + kBaseImage +
              " image and debootstrap is not installed to make one";
      }
      return why;
    }();
    if (!skip.empty()) GTEST_SKIP() << "Docker cannot run here: " << skip;
    if (!ImageExists(kBaseImage)) {
      const auto start = std::chrono::steady_clock::now();
      RunResult made = rh::test::Run({(kRoot / kMakeBaseImage).string()}, 15min);
      std::cout << kMakeBaseImage << ": "
                << std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::steady_clock::now() - start)
                       .count()
                << " s" << std::endl;
      ASSERT_EQ(made.exit_code, 0) << Describe(made);
    }
    ASSERT_TRUE(ImageExists(kBaseImage));
  }

  static void TearDownTestSuite() {
    delete engine_;  // stops dockerd if SetUp started it
    engine_ = nullptr;
  }

  // `docker-compose build rogue-hunter`: the image from deploy/Dockerfile.
  static RunResult BuildImage(const ComposeProject& project) {
    const auto start = std::chrono::steady_clock::now();
    RunResult r = project.Compose(kBuild, {}, kBuildTimeout);
    std::cout << kBuild << ": "
              << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  start)
                     .count()
              << " s" << std::endl;
    return r;
  }

  static inline Engine* engine_ = nullptr;
};

// The ids `rh-forensics list` prints (first column, header skipped).
std::vector<std::string> BundleIds(const std::string& listing) {
  std::vector<std::string> ids;
  std::istringstream in(listing);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string id;
    if (words >> id) ids.push_back(id);
  }
  return ids;
}

// Pauses of every scope: the counter is labelled by what froze.
double AllPauses(const std::string& metrics) {
  double sum = 0;
  for (const char* scope : {"machine", "hypervisor", "process", "unknown"}) {
    sum += FindMetric(metrics, std::string("rogue_hunter_pauses_total{scope=\"") + scope + "\"}")
               .value_or(0);
  }
  return sum;
}

void InjectPause(const ComposeProject& project) {
  RunResult stop = project.Compose(kPause);
  ASSERT_EQ(stop.exit_code, 0) << Describe(stop);
  std::this_thread::sleep_for(kPauseLength);
  RunResult resume = project.Compose(kResume);
  ASSERT_EQ(resume.exit_code, 0) << Describe(resume);
}

// ---------------------------------------------------------------------------------------------

TEST_F(DockerTest, ImageBuildsAndASecondBuildReusesEveryLayer) {
  ComposeProject project("build", {"tests/docker/compose.sandbox.yml"});
  RunResult first = BuildImage(project);
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  const std::string id = ImageId(kImage);
  ASSERT_FALSE(id.empty());

  // Nothing the build reads changed, so every step comes from the cache: no RUN executes.
  RunResult second = BuildImage(project);
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  EXPECT_THAT(second.out, HasSubstr("Using cache"));
  EXPECT_THAT(second.out, Not(HasSubstr("Running in"))) << second.out;
  EXPECT_EQ(ImageId(kImage), id);

  // Both tools run, with every shared library they link present in the image.
  RunResult ldd = Docker({"run", "--rm", "--entrypoint", "ldd", kImage,
                          "/usr/local/bin/rogue-hunter", "/usr/local/bin/rh-forensics"});
  EXPECT_EQ(ldd.exit_code, 0) << Describe(ldd);
  EXPECT_THAT(ldd.out, Not(HasSubstr("not found")));
  RunResult version = Docker({"run", "--rm", kImage, "--version"});
  EXPECT_EQ(version.exit_code, 0) << Describe(version);
  EXPECT_THAT(version.out, HasSubstr("rogue-hunter"));
  RunResult forensics =
      Docker({"run", "--rm", "--entrypoint", "rh-forensics", kImage, "--version"});
  EXPECT_EQ(forensics.exit_code, 0) << Describe(forensics);
}

TEST_F(DockerTest, DaemonRunsAsComposeRunsItDetectsAPauseAndWritesAVerifiedBundle) {
  ComposeProject project("daemon", {"tests/docker/compose.sandbox.yml"});
  RunResult up = project.Compose(kUp, {"rogue-hunter"}, kBuildTimeout);
  ASSERT_EQ(up.exit_code, 0) << Describe(up);

  const std::string metrics_url = project.Url(project.rogue_hunter_port(), "/metrics");
  std::string metrics;
  ASSERT_TRUE(WaitUntil(
      [&] {
        HttpResponse r = HttpGet(metrics_url);
        metrics = r.body;
        return r.status == 200 &&
               FindMetric(metrics, "rogue_hunter_pauses_total{scope=\"process\"}").has_value();
      },
      60s, 250ms))
      << "no /metrics at " << metrics_url;
  // It reads the host: every collector works through /host/proc and /host/sys, and the watchdog
  // got its locked memory and raised priority from the compose file's capabilities.
  for (const char* collector : {"loadavg", "stat", "meminfo", "vmstat", "processes"}) {
    EXPECT_EQ(FindMetric(metrics, std::string("rogue_hunter_collector_success{collector=\"") +
                                      collector + "\"}"),
              1)
        << collector;
  }
  EXPECT_EQ(FindMetric(metrics, "rogue_hunter_watchdog_memory_locked"), 1);
  EXPECT_EQ(FindMetric(metrics, "rogue_hunter_watchdog_priority_raised"), 1);
  EXPECT_EQ(AllPauses(metrics), 0);

  // pid: host: the daemon's log names its PID, which is the host's PID of the container.
  const std::vector<std::string> container =
      Words(project.Compose("docker-compose ps -q rogue-hunter").out);
  ASSERT_EQ(container.size(), 1u);
  RunResult pid = Docker({"inspect", "--format", "{{.State.Pid}}", container[0]});
  ASSERT_EQ(pid.exit_code, 0) << Describe(pid);
  const std::string host_pid = Words(pid.out).empty() ? "?" : Words(pid.out)[0];
  EXPECT_THAT(project.Compose(kLogs).out, HasSubstr("rogue-hunter[" + host_pid + "]"));

  // On a loaded machine the daemon may make a preemptive capture (critical stress) just before
  // the pause; captures are rate-limited (forensics.min_interval_seconds, 30 s by default), so a
  // pause capture skipped for that is retried once the window has passed.
  auto pause_captures = [&](const char* result) {
    return FindMetric(metrics,
                      std::string("rogue_hunter_forensics_captures_total{trigger=\"pause\","
                                  "result=\"") +
                          result + "\"}")
        .value_or(0);
  };
  int pauses = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSERT_NO_FATAL_FAILURE(InjectPause(project));
    ++pauses;
    ASSERT_TRUE(WaitUntil(
        [&] {
          metrics = HttpGet(metrics_url).body;
          return pause_captures("ok") + pause_captures("rate_limited") + pause_captures("failed") >=
                 pauses;
        },
        60s, 250ms))
        << "the pause was neither captured nor skipped; /metrics:\n"
        << metrics;
    if (pause_captures("rate_limited") < pauses) break;
    std::cout << "the pause capture was rate-limited after a critical-stress capture; "
                 "pausing again after the 30 s window"
              << std::endl;
    std::this_thread::sleep_for(31s);
  }
  EXPECT_EQ(pause_captures("ok"), 1) << metrics;
  EXPECT_EQ(pause_captures("failed"), 0);
  EXPECT_EQ(AllPauses(metrics), pauses);
  const double duration =
      FindMetric(metrics, "rogue_hunter_last_pause_duration_seconds").value_or(0);
  EXPECT_GE(duration, 2.5);
  EXPECT_LE(duration, 6.0);  // docker-compose itself takes a moment to send SIGCONT

  RunResult list = project.Compose(kList);
  ASSERT_EQ(list.exit_code, 0) << Describe(list);
  const std::vector<std::string> ids = BundleIds(list.out);
  const auto pause = std::find_if(ids.begin(), ids.end(), [](const std::string& id) {
    return id.find("-pause") != std::string::npos;
  });
  ASSERT_NE(pause, ids.end()) << list.out;
  for (const std::string& id : ids) {
    RunResult verify = project.Compose(kVerify, {id});
    EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
    EXPECT_THAT(verify.out, HasSubstr("OK"));
  }
  // /dev/kmsg and CAP_SYSLOG: the kernel log of the window is in the bundle.
  RunResult files = project.Compose("docker-compose exec rogue-hunter ls",
                                    {"/var/lib/rogue-hunter/events/" + *pause});
  EXPECT_THAT(files.out, HasSubstr("kernel.log")) << Describe(files);
}

TEST_F(DockerTest, PauseAlertGoesFromTheContainerThroughPrometheusToAlertmanager) {
  ComposeProject project(
      "stack", {"tests/docker/compose.sandbox.yml", "tests/docker/compose.stand-ins.yml"});
  // The stand-in images, from Debian's prometheus and prometheus-alertmanager packages.
  RunResult stand_ins = rh::test::Run(
      {"docker-compose", "-f", (kRoot / "tests/docker/stand-ins.yml").string(), "build"},
      kBuildTimeout);
  ASSERT_EQ(stand_ins.exit_code, 0) << Describe(stand_ins);

  RunResult up =
      project.Compose(kUp, {"rogue-hunter", "prometheus", "alertmanager"}, kBuildTimeout);
  ASSERT_EQ(up.exit_code, 0) << Describe(up);
  for (int port : {project.prometheus_port(), project.alertmanager_port()}) {
    ASSERT_TRUE(
        WaitUntil([&] { return HttpGet(project.Url(port, "/-/ready")).status == 200; }, 60s, 250ms))
        << "nothing ready on port " << port;
  }

  // Prometheus scrapes the daemon at the compose network address its configuration names.
  const std::string instance = "rogue-hunter:9795";  // deploy/prometheus/prometheus.yml
  auto query = [&](const std::string& expr) {
    HttpResponse r = HttpRequest("POST", project.Url(project.prometheus_port(), "/api/v1/query"),
                                 {"Content-Type: application/x-www-form-urlencoded"},
                                 "query=" + UrlEncode(expr));
    json body = json::parse(r.body, nullptr, false);
    return body.is_object() ? body.value("data", json::object()).value("result", json::array())
                            : json::array();
  };
  const std::string up_expr = "up{job=\"rogue-hunter\",instance=\"" + instance + "\"}==1";
  ASSERT_TRUE(WaitUntil([&] { return !query(up_expr).empty(); }, 90s, 1s))
      << "Prometheus never scraped " << instance;

  ASSERT_NO_FATAL_FAILURE(InjectPause(project));
  const auto resumed = std::chrono::steady_clock::now();

  json alert;
  const std::string alerts_url = project.Url(project.alertmanager_port(), "/api/v2/alerts");
  const bool arrived = WaitUntil(
      [&] {
        json alerts = json::parse(HttpGet(alerts_url).body, nullptr, false);
        if (!alerts.is_array()) return false;
        for (const json& a : alerts) {
          const json labels = a.value("labels", json::object());
          // The daemon stopped alone: a pause of scope `process`.
          if (labels.value("alertname", "") == "RogueHunterMonitoringPaused" &&
              labels.value("instance", "") == instance) {
            alert = a;
            return true;
          }
        }
        return false;
      },
      180s, 1s);
  ASSERT_TRUE(arrived) << "RogueHunterMonitoringPaused never reached Alertmanager; Prometheus has "
                       << query("ALERTS").dump();
  std::cout << "The pause alert reached the containerised Alertmanager "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                resumed)
                   .count()
            << " s after SIGCONT (scrape and evaluation every 15 s)" << std::endl;
  EXPECT_EQ(alert["labels"].value("job", ""), "rogue-hunter");
  EXPECT_EQ(alert["labels"].value("category", ""), "daemon");
  EXPECT_THAT(alert["annotations"].value("summary", ""), HasSubstr(instance + " did not run for"));
  EXPECT_EQ(alert["status"].value("state", ""), "active");
}

// ---------------------------------------------------------------------------------------------
// deploy/runtime-packages.sh, which chooses the runtime image's packages, on this machine.

TEST(RuntimePackages, NamesThePackageOfEveryLibraryTheBinariesLink) {
  const std::string daemon = BinaryPath("exporter/rogue-hunter").string();
  const std::string forensics = BinaryPath("forensics/cli/rh-forensics").string();
  RunResult r = rh::test::Run({(kRoot / "deploy/runtime-packages.sh").string(), daemon, forensics});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  const std::vector<std::string> packages = Words(r.out);
  for (const char* expected : {"libc6", "libstdc++6", "libsqlite3-0", "libarchive13"}) {
    EXPECT_TRUE(std::any_of(packages.begin(), packages.end(),
                            [&](const std::string& p) { return p.rfind(expected, 0) == 0; }))
        << expected << " missing from\n"
        << r.out;
  }
  // One package per library at most: the list is no longer than ldd's.
  RunResult ldd = rh::test::Run({"ldd", daemon, forensics});
  EXPECT_LE(packages.size(), static_cast<size_t>(std::count(ldd.out.begin(), ldd.out.end(), '\n')));
}

TEST(RuntimePackages, FailsNamingALibraryNoPackageOwns) {
  // ldd resolves libz from a directory no Debian package owns.
  TempDir dir;
  RunResult where = rh::test::Run({"/bin/sh", "-c", "ldd \"$0\" | awk '/libz\\.so/ {print $3}'",
                                   BinaryPath("exporter/rogue-hunter").string()});
  const std::vector<std::string> libz = Words(where.out);
  ASSERT_EQ(libz.size(), 1u) << Describe(where);
  const std::filesystem::path copy = dir.path() / std::filesystem::path(libz[0]).filename();
  std::filesystem::copy_file(libz[0], copy);
  RunResult r = rh::test::Run({"env", "LD_LIBRARY_PATH=" + dir.path().string(),
                               (kRoot / "deploy/runtime-packages.sh").string(),
                               BinaryPath("exporter/rogue-hunter").string()});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("no Debian package owns " + copy.string()));
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(RuntimePackages, FailsOnAFileThatIsNotAnExecutable) {
  RunResult r = rh::test::Run(
      {(kRoot / "deploy/runtime-packages.sh").string(), (kRoot / "README.md").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("ldd"));
}

// ---------------------------------------------------------------------------------------------
// deploy/Dockerfile copies each module of the build by name; a module added to CMakeLists.txt
// and not to the Dockerfile would fail the image build, minutes later. This says so at once.

TEST(Dockerfile, CopiesEveryModuleTheReleaseBuildAdds) {
  const std::string cmake = ReadFileOrFail(kRoot / "CMakeLists.txt");
  const std::string dockerfile = ReadFileOrFail(kRoot / "deploy/Dockerfile");
  // Top-level add_subdirectory() lines; the tests and benchmarks are added inside if() blocks.
  const std::regex module(R"((?:^|\n)add_subdirectory\((\w+)\))");
  int modules = 0;
  for (std::sregex_iterator it(cmake.begin(), cmake.end(), module), end; it != end; ++it) {
    const std::string name = (*it)[1].str();
    ++modules;
    EXPECT_THAT(dockerfile, HasSubstr("\nCOPY " + name + " " + name + "\n"))
        << "CMakeLists.txt adds " << name << ", which deploy/Dockerfile does not copy";
  }
  EXPECT_GE(modules, 5);
  EXPECT_THAT(dockerfile, HasSubstr("\nCOPY CMakeLists.txt CMakePresets.json ./\n"));
}

// ---------------------------------------------------------------------------------------------

TEST(DockerDocs, FleetMdShowsTheCommandsTheseTestsRun) {
  const std::string doc = ReadFileOrFail(kRoot / "docs/fleet.md");
  for (const char* command : kCommands) {
    EXPECT_THAT(doc, HasSubstr(command)) << "docs/fleet.md no longer shows `" << command
                                         << "`, which tests/docker runs as the user's command";
  }
}

}  // namespace
}  // namespace rh::test::docker
