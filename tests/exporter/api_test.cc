// The JSON API of the real daemon over loopback, on real processes the tests start, with the
// real history database.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "forensics/store.h"
#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;
using namespace std::chrono_literals;

std::string Target() { return test::BinaryPath("tests/support/target_process").string(); }

// A target process named `name`, ready when this returns.
test::Subprocess StartTarget(const std::string& name, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {Target(), "--name", name};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = test::Subprocess::Start(argv);
  EXPECT_TRUE(test::WaitUntil([&] { return p.Stdout().find("ready") != std::string::npos; }, 10s));
  return p;
}

Json GetJson(const test::Daemon& daemon, const std::string& path, long expected = 200) {
  auto r = daemon.Get(path);
  EXPECT_EQ(r.status, expected) << path << ": " << r.body << r.error;
  EXPECT_EQ(r.headers["content-type"], "application/json") << path;
  Json j = Json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << path << ": not JSON: " << r.body;
  return j;
}

// The body as JSON when the answer is 200, else null: for waiting on what the daemon has yet to
// write (its history writer creates the database on its own thread after the start, and until
// then the history endpoints answer 503).
Json JsonOnceOk(const test::Daemon& daemon, const std::string& path) {
  auto r = daemon.Get(path);
  if (r.status != 200) return nullptr;
  return Json::parse(r.body, nullptr, false);
}

// A daemon sampling every 0.2 s, keeping a history row per process per second.
std::vector<std::string> FastSampling(const test::TempDir& dir) {
  auto config = dir.Write("config.toml", R"([sampling]
normal_interval = 0.2
elevated_interval = 0.2
min_elevated_seconds = 0
[process]
history_interval_seconds = 1
)");
  return {"--config", config.string()};
}

TEST(ProcessApi, ListsTheTopProcessesInTheSeedShape) {
  auto burner = StartTarget("rh-burner", {"--burn"});
  test::TempDir dir;
  test::Daemon daemon(FastSampling(dir));
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  // The burner tops the CPU list once two samples have measured it.
  Json list;
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        list = GetJson(daemon, "/api/processes");
        return list.contains("top_cpu") && !list["top_cpu"].empty() &&
               list["top_cpu"][0]["name"] == "rh-burner";
      },
      20s))
      << list.dump(2);
  for (const char* key : {"timestamp", "top_cpu", "top_ram", "total_processes", "zombie_count"}) {
    EXPECT_TRUE(list.contains(key)) << key;
  }
  EXPECT_EQ(list["top_cpu"].size(), 10u);  // the seed's top 10
  EXPECT_EQ(list["top_ram"].size(), 10u);
  EXPECT_GT(list["total_processes"].get<int>(), 10);
  const Json& top = list["top_cpu"][0];
  EXPECT_EQ(top["pid"], burner.pid());
  EXPECT_GT(top["cpu_percent"].get<double>(), 20);
  EXPECT_EQ(top["status"], "running");
  EXPECT_EQ(top["username"], "root");
  EXPECT_EQ(top["num_threads"], 1);
  EXPECT_THAT(top["cmdline"].get<std::string>(), StartsWith("target_process redacted:"));
  EXPECT_THAT(top["started_at"].get<std::string>(), ::testing::MatchesRegex("20[0-9-]+T[0-9:.]+Z"));
}

TEST(ProcessApi, DetailOfARealProcessWithItsArgumentsRedacted) {
  auto target = StartTarget("rh-detail", {"--password=hunter2", "plain-argument"});
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  Json p = GetJson(daemon, "/api/processes/" + std::to_string(target.pid()));
  EXPECT_EQ(p["success"], true);
  EXPECT_EQ(p["pid"], target.pid());
  EXPECT_EQ(p["name"], "rh-detail");
  EXPECT_EQ(p["parent_pid"], getpid());
  EXPECT_EQ(p["status"], "sleeping");
  EXPECT_EQ(p["username"], "root");
  EXPECT_EQ(p["uid"], 0);
  EXPECT_EQ(p["num_threads"], 1);
  EXPECT_EQ(p["nice"], 0);
  EXPECT_EQ(p["exe"], Target());
  EXPECT_EQ(p["cwd"], std::filesystem::current_path().string());
  EXPECT_GE(p["num_fds"].get<int>(), 3);
  EXPECT_EQ(p["kernel_thread"], false);
  EXPECT_EQ(p["cmdline_redacted"], true);
  const std::string cmdline = p["cmdline"];
  EXPECT_EQ(cmdline.find("hunter2"), std::string::npos) << cmdline;
  EXPECT_EQ(cmdline.find("plain-argument"), std::string::npos) << cmdline;
  EXPECT_THAT(cmdline, StartsWith("target_process redacted:"));
  EXPECT_TRUE(p.contains("cgroup"));
  EXPECT_TRUE(p.contains("systemd_unit"));
  EXPECT_EQ(p["boot_id"].get<std::string>().size(), 36u);
  for (const char* key :
       {"cpu_percent", "memory_percent", "memory_mb", "started_at", "connections", "open_files"}) {
    EXPECT_TRUE(p.contains(key)) << key;
  }
}

TEST(ProcessApi, ArgumentsAreShownWhenRedactionIsOff) {
  auto target = StartTarget("rh-plain", {"visible-argument"});
  test::TempDir dir;
  auto config = dir.Write("config.toml", "[process]\nredact_arguments = false\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  Json p = GetJson(daemon, "/api/processes/" + std::to_string(target.pid()));
  EXPECT_EQ(p["cmdline"], Target() + " --name rh-plain visible-argument");
  EXPECT_EQ(p["cmdline_redacted"], false);
}

TEST(ProcessApi, AnyBytesInAProcessNameGiveValidJson) {
  auto target = StartTarget(std::string("a\"\\\x01\xff\xfe\n)"));
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  Json p = GetJson(daemon, "/api/processes/" + std::to_string(target.pid()));
  EXPECT_EQ(p["name"], "a\"\\\x01\xEF\xBF\xBD\xEF\xBF\xBD\n)");
  Json tree = GetJson(daemon, "/api/processes/" + std::to_string(target.pid()) + "/tree");
  EXPECT_EQ(tree["name"], p["name"]);
}

TEST(ProcessApi, UnknownInvalidOrHugePidsAreRefused) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  // A pid that existed and was reaped.
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  Json missing = GetJson(daemon, "/api/processes/" + std::to_string(gone), 404);
  EXPECT_EQ(missing, Json({{"success", false}, {"error", "Process not found"}, {"pid", gone}}));
  for (const char* pid : {"abc", "-1", "0", "99999999999", "1e3", "0x10", "4194305"}) {
    Json bad = GetJson(daemon, std::string("/api/processes/") + pid, 400);
    EXPECT_EQ(bad["success"], false) << pid;
    EXPECT_THAT(bad["error"].get<std::string>(), HasSubstr("invalid pid")) << pid;
    GetJson(daemon, std::string("/api/processes/") + pid + "/tree", 400);
    GetJson(daemon, std::string("/api/processes/") + pid + "/history", 400);
  }
  GetJson(daemon, "/api/processes/1/nope", 404);
  GetJson(daemon, "/api/nothing", 404);
  auto post = test::HttpRequest("POST", daemon.url("/api/processes"), {}, "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers["allow"], "GET, HEAD");
  EXPECT_EQ(test::HttpRequest("DELETE", daemon.url("/api/processes/1")).status, 405);
}

TEST(ProcessApi, TreeShowsTheParentChainAndChildrenRecursively) {
  // sh -> (sleep, sh -> sleep): a child with a child.
  auto parent = test::Subprocess::Start(
      {"/bin/sh", "-c", "sleep 60 & /bin/sh -c 'sleep 61 & wait' & echo started; wait"});
  ASSERT_TRUE(
      test::WaitUntil([&] { return parent.Stdout().find("started") != std::string::npos; }, 10s));
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  Json tree;
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        tree = GetJson(daemon, "/api/processes/" + std::to_string(parent.pid()) + "/tree");
        return tree["total_descendants"] == 3;
      },
      10s))
      << tree.dump(2);
  EXPECT_EQ(tree["name"], "sh");
  EXPECT_EQ(tree["parent"]["pid"], getpid());
  EXPECT_GE(tree["parent_chain"].size(), 1u);
  EXPECT_EQ(tree["total_children"], 2);
  std::vector<std::string> names;
  int grandchildren = 0;
  for (const auto& child : tree["children"]) {
    names.push_back(child["name"]);
    for (const auto& grandchild : child["children"]) {
      EXPECT_EQ(grandchild["name"], "sleep");
      ++grandchildren;
    }
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("sleep", "sh"));
  EXPECT_EQ(grandchildren, 1);
  EXPECT_EQ(tree["truncated"], false);
  parent.Stop();
}

// Starts a CPU burner that gets the given pid, by setting the kernel's last pid just below it.
// Other processes may take the pid first: a few tries.
std::optional<test::Subprocess> StartBurnerWithPid(pid_t wanted) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::ofstream("/proc/sys/kernel/ns_last_pid") << (wanted - 1);
    auto p = test::Subprocess::Start({Target(), "--name", "rh-second", "--burn"});
    if (p.pid() == wanted) return p;
    p.Stop();
  }
  return std::nullopt;
}

TEST(ProcessApi, HistoryKeepsAReusedPidApart) {
  test::TempDir dir;
  test::Daemon daemon(FastSampling(dir));
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  auto first = StartTarget("rh-first", {"--burn"});
  const pid_t pid = first.pid();
  const std::string path = "/api/processes/" + std::to_string(pid) + "/history?hours=1";
  Json history;
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        history = JsonOnceOk(daemon, path);
        return history.is_object() && history.value("data_points", 0) >= 2;
      },
      30s))
      << history.dump(2);
  EXPECT_EQ(history["name"], "rh-first");
  EXPECT_EQ(history["running"], true);
  EXPECT_EQ(history["hours"], 1);
  const auto first_start = history["start_ticks"].get<std::uint64_t>();
  // A burner: its CPU is recorded (on a loaded machine, or under a sanitizer, it may get well
  // under one CPU, so only "clearly above an idle process").
  EXPECT_GT(history["statistics"]["avg_cpu"].get<double>(), 1);
  EXPECT_GE(history["statistics"]["max_cpu"].get<double>(),
            history["statistics"]["avg_cpu"].get<double>());
  EXPECT_EQ(history["history"].size(), history["data_points"].get<std::size_t>());
  for (const char* key : {"timestamp", "cpu_percent", "memory_percent", "memory_mb"}) {
    EXPECT_TRUE(history["history"][0].contains(key)) << key;
  }

  first.Stop();
  // Gone: the history of the last process with that pid is still there.
  Json after = GetJson(daemon, path);
  EXPECT_EQ(after["running"], false);
  EXPECT_EQ(after["start_ticks"], first_start);

  auto second = StartBurnerWithPid(pid);
  ASSERT_TRUE(second) << "could not get pid " << pid << " again";
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        history = GetJson(daemon, path);
        return history["start_ticks"] != first_start && history["data_points"].get<int>() >= 1;
      },
      30s))
      << history.dump(2);
  EXPECT_EQ(history["name"], "rh-second");
  EXPECT_EQ(history["running"], true);
  // Both processes are in the database, each under its own identity.
  forensics::Store::Options options;
  options.read_only = true;
  auto store = forensics::Store::Open(
      (daemon.home() / ".local/share/rogue-hunter/data.db").string(), options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  const std::string boot = history["boot_id"];
  auto old_rows = (*store)->ProcessHistory({boot, pid, first_start}, 0, 1e12);
  auto new_rows =
      (*store)->ProcessHistory({boot, pid, history["start_ticks"].get<std::uint64_t>()}, 0, 1e12);
  ASSERT_TRUE(old_rows.ok() && new_rows.ok());
  EXPECT_GE(old_rows->size(), 2u);
  EXPECT_GE(new_rows->size(), 1u);
  for (const auto& row : *old_rows) EXPECT_EQ(row.comm, "rh-first");
  for (const auto& row : *new_rows) EXPECT_EQ(row.comm, "rh-second");
  GetJson(daemon, path.substr(0, path.find('?')) + "?hours=0", 400);
  GetJson(daemon, path.substr(0, path.find('?')) + "?hours=49", 400);
  GetJson(daemon, path.substr(0, path.find('?')) + "?hours=abc", 400);
}

TEST(EventsApi, APauseIsListedWithItsBundleSummary) {
  test::TempDir dir;
  auto config = dir.Write("config.toml", "[pause]\nmin_seconds = 0.2\n");
  test::Daemon daemon({"--config", config.string()});
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  daemon.process().Signal(SIGSTOP);
  std::this_thread::sleep_for(600ms);  // the pause itself: real time the daemon does not run
  daemon.process().Signal(SIGCONT);
  // 503 while the history writer has the database to itself (creating, migrating or converting
  // it at start-up): the documented "not readable yet".
  Json events;
  ASSERT_TRUE(test::WaitUntil(
      [&] {
        auto r = daemon.Get("/api/events?kind=pause");
        if (r.status != 200) {
          EXPECT_EQ(r.status, 503) << r.body << r.error;
          return false;
        }
        events = Json::parse(r.body, nullptr, false);
        return events.is_object() && events["count"] == 1 &&
               !events["events"][0]["bundle"].is_null();
      },
      20s))
      << events.dump(2);
  const Json& e = events["events"][0];
  EXPECT_EQ(e["kind"], "pause");
  EXPECT_GT(e["duration_seconds"].get<double>(), 0.3);
  EXPECT_EQ(e["id"], e["bundle"]);
  Json detail = GetJson(daemon, "/api/events/" + e["id"].get<std::string>());
  EXPECT_EQ(detail["success"], true);
  EXPECT_EQ(detail["id"], e["id"]);
  ASSERT_TRUE(detail["summary"].is_object()) << detail.dump(2);
  EXPECT_TRUE(detail["summary"].contains("dominant"));
  EXPECT_TRUE(detail["summary"].contains("culprits"));
  EXPECT_EQ(detail["captures"][0]["result"], "ok");
  EXPECT_FALSE(detail["processes"].empty());

  // Filters.
  EXPECT_EQ(GetJson(daemon, "/api/events?kind=suspend")["count"], 0);
  EXPECT_EQ(GetJson(daemon, "/api/events?since=2999-01-01T00:00:00Z")["count"], 0);
  EXPECT_GE(GetJson(daemon, "/api/events?since=0&limit=1000")["count"].get<int>(), 1);
  GetJson(daemon, "/api/events?kind=reboot", 400);
  GetJson(daemon, "/api/events?since=yesterday", 400);
  GetJson(daemon, "/api/events?limit=0", 400);
  GetJson(daemon, "/api/events/no-such-event", 404);
  GetJson(daemon, "/api/events/bad%20id", 400);
}

TEST(HostileRequests, AreAnswered4xxAndTheDaemonKeepsServing) {
  test::Daemon daemon;
  ASSERT_TRUE(daemon.ready()) << daemon.process().Stderr();
  const int port = daemon.port();
  auto status = [&](const std::string& request) {
    return test::RawStatus(test::RawHttp(port, request));
  };
  auto is_4xx = [](int s) { return s >= 400 && s < 500; };
  // A 64 KiB header.
  EXPECT_TRUE(is_4xx(status(
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(65536, 'a') + "\r\n\r\n")));
  // An oversized body, refused before it is sent.
  EXPECT_EQ(status("POST /api/processes/1/kill HTTP/1.1\r\nHost: x\r\nContent-Type: "
                   "application/json\r\nContent-Length: 100000000\r\n\r\n"),
            403);  // the kill action is off: refused before the body matters
  // Path traversal, runs of slashes, encoded dots.
  for (const char* path : {"/../../etc/passwd", "/api/../metrics", "//metrics", "/api//processes",
                           "/api/processes/%2e%2e/1", "/%2e%2e/%2e%2e/etc/passwd"}) {
    EXPECT_EQ(status(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n"), 400) << path;
  }
  // CR/LF in the URI, raw and encoded: never a header of the answer.
  auto raw = test::RawHttp(
      port, "GET /api/processes/1%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(test::RawStatus(raw), 400);
  EXPECT_EQ(raw.find("Set-Cookie"), std::string::npos) << raw;
  EXPECT_TRUE(is_4xx(status("GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_TRUE(is_4xx(status("GET /metrics\r\nHTTP/1.1\r\n\r\n")) ||
              status("GET /metrics\r\nHTTP/1.1\r\n\r\n") == 0);
  // Not HTTP at all, and a huge pid.
  EXPECT_TRUE(is_4xx(status("\x16\x03\x01 garbage\r\n\r\n")));
  EXPECT_EQ(status("GET /api/processes/184467440737095516160 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  // Still serving.
  EXPECT_EQ(daemon.Get("/metrics").status, 200);
  EXPECT_EQ(daemon.Get("/healthz").status, 200);
}

}  // namespace
}  // namespace rh
