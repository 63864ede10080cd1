// The shipped dashboards, Grafana provisioning files and Kubernetes manifests against the schemas
// of the tools they are for, through the checkers of tests/fleet/schemas (a Node.js project whose
// pinned packages `make test` installs from its lock file): Grafana's @grafana/schema and
// @grafana/data, Grafana's documented provisioning format, and the Kubernetes and Prometheus
// Operator OpenAPI schemas. Each check is also run on deliberately broken copies, each of which
// must fail with the finding that names the breakage.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace rh::test::fleet {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const std::filesystem::path kRoot = RH_SOURCE_DIR;
const std::filesystem::path kSchemas = kRoot / "tests/fleet/schemas";

class Schemas : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kSchemas / "node_modules/@grafana/schema"))
        << "the packages of tests/fleet/schemas are not installed: run `make test` (or "
           "scripts/install-node-deps.sh tests/fleet/schemas)";
  }

  static RunResult Check(const std::string& script, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {RH_NODE, (kSchemas / script).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return rh::test::Run(argv, std::chrono::seconds(120));
  }
};

// A broken copy of a shipped file and the finding it must cause.
struct Breakage {
  std::string name;
  std::string text;
  std::string finding;
};

// Writes each breakage to its own file, checks them all in one run of `script` and expects a
// non-zero exit and each file's finding.
void ExpectEachBreakageFails(const std::string& script, const std::vector<std::string>& args,
                             const std::vector<Breakage>& breakages, const std::string& extension) {
  TempDir dir;
  std::vector<std::string> argv = args;
  for (const Breakage& b : breakages) argv.push_back(dir.Write(b.name + extension, b.text));
  std::vector<std::string> command = {RH_NODE, (kSchemas / script).string()};
  command.insert(command.end(), argv.begin(), argv.end());
  RunResult r = Run(command, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const Breakage& b : breakages) {
    // The finding is on a line about this file.
    const std::string file = (dir / (b.name + extension)).string();
    bool found = false;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      found = found || (line.rfind(file + ": ", 0) == 0 && line.find(b.finding) != line.npos);
    }
    EXPECT_TRUE(found) << b.name << ": no finding containing \"" << b.finding << "\" in\n" << r.out;
  }
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "\"" << from << "\" is not in the file any more";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Dashboards

TEST_F(Schemas, DashboardsSatisfyGrafanasSchemaUnitsAndLayout) {
  RunResult r =
      Check("check-dashboards.mjs", {(kRoot / "dashboards/grafana/fleet-overview.json").string(),
                                     (kRoot / "dashboards/grafana/host-detail.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 dashboard(s) match"));
}

TEST_F(Schemas, EachKindOfBrokenDashboardFails) {
  const json model = json::parse(ReadFileOrFail(kRoot / "dashboards/grafana/host-detail.json"));
  // The first panels that are not rows.
  std::vector<size_t> panels;
  for (size_t i = 0; i < model["panels"].size(); ++i) {
    if (model["panels"][i]["type"] != "row") panels.push_back(i);
  }
  ASSERT_GE(panels.size(), 4u);
  auto broken = [&](const std::string& name, const std::function<void(json&)>& breakIt,
                    const std::string& finding) {
    json copy = model;
    breakIt(copy);
    return Breakage{name, copy.dump(2), finding};
  };
  auto panel = [&](json& m, size_t n) -> json& { return m["panels"][panels[n]]; };
  const std::vector<Breakage> breakages = {
      broken(
          "duplicate-id", [&](json& m) { panel(m, 1)["id"] = panel(m, 0)["id"]; }, "is also panel"),
      broken(
          "overlap", [&](json& m) { panel(m, 1)["gridPos"] = panel(m, 0)["gridPos"]; }, "overlaps"),
      broken(
          "outside-grid", [&](json& m) { panel(m, 0)["gridPos"]["x"] = 22; },
          "is not inside the 24-column grid"),
      broken(
          "fixed-datasource",
          [&](json& m) {
            panel(m, 0)["datasource"] = {{"type", "prometheus"}, {"uid", "P1"}};
          },
          "is not {\"type\":\"prometheus\",\"uid\":\"${datasource}\"}"),
      broken(
          "target-without-datasource",
          [&](json& m) { panel(m, 0)["targets"][0].erase("datasource"); },
          "target A: datasource undefined"),
      broken(
          "unknown-panel-type", [&](json& m) { panel(m, 0)["type"] = "graphh"; },
          "panel type \"graphh\" has no schema"),
      broken(
          "invalid-unit",
          [&](json& m) { panel(m, 0)["fieldConfig"]["defaults"]["unit"] = "sekunde"; },
          "unit \"sekunde\" is not a Grafana unit"),
      broken(
          "misspelt-option",
          [&](json& m) { panel(m, 0)["options"]["reduceOptions"]["calc"] = json::array(); },
          "'\"calc\"' does not exist"),
      broken(
          "option-of-wrong-type",
          [&](json& m) { panel(m, 0)["options"]["showThresholdMarkers"] = "yes"; },
          "not assignable to type 'boolean"),
      broken(
          "misspelt-target-key", [&](json& m) { panel(m, 0)["targets"][0]["legendFormatt"] = "x"; },
          "'\"legendFormatt\"' does not exist"),
      broken(
          "misspelt-dashboard-key", [&](json& m) { m["refersh"] = "30s"; },
          "'\"refersh\"' does not exist"),
      broken(
          "dashboard-value-of-wrong-type", [&](json& m) { m["refresh"] = 30; },
          "Type 'number' is not assignable to type 'string'"),
      broken(
          "unknown-variable-type", [&](json& m) { m["templating"]["list"][1]["type"] = "querry"; },
          "\"querry\""),
  };
  ExpectEachBreakageFails("check-dashboards.mjs", {}, breakages, ".json");
}

// ---------------------------------------------------------------------------------------------
// Grafana provisioning

// scrape_interval of deploy/prometheus/prometheus.yml, which the data source's timeInterval
// must repeat (Grafana derives $__rate_interval from it).
std::string ScrapeInterval() {
  std::smatch m;
  const std::string text = ReadFileOrFail(kRoot / "deploy/prometheus/prometheus.yml");
  EXPECT_TRUE(std::regex_search(text, m, std::regex(R"(\n\s+scrape_interval:\s*(\S+))")));
  return m.size() > 1 ? m[1].str() : "";
}

const std::filesystem::path kDatasources =
    kRoot / "dashboards/grafana/provisioning/datasources/prometheus.yml";
const std::filesystem::path kProviders =
    kRoot / "dashboards/grafana/provisioning/dashboards/rogue-hunter.yml";

TEST_F(Schemas, ProvisioningFilesFollowGrafanasDocumentedFormat) {
  RunResult r = Check("check-provisioning.mjs", {"--scrape-interval", ScrapeInterval(),
                                                 kDatasources.string(), kProviders.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 provisioning file(s) match"));
}

TEST_F(Schemas, EachKindOfBrokenProvisioningFileFails) {
  const std::string datasources = ReadFileOrFail(kDatasources);
  const std::string providers = ReadFileOrFail(kProviders);
  const std::vector<Breakage> breakages = {
      {"misspelt-key", Replace(datasources, "isDefault:", "isDefualt:"),
       "unknown key \"isDefualt\""},
      {"bad-access", Replace(datasources, "access: proxy", "access: server"),
       "is not \"proxy\" or \"direct\""},
      {"interval-differs", Replace(datasources, "timeInterval: ", "timeInterval: 1"),
       "is not Prometheus' scrape interval"},
      {"no-name", Replace(datasources, "  - name: Prometheus\n", "  -\n"),
       "missing required key \"name\""},
      {"provider-type", Replace(providers, "type: file", "type: files"), "is not \"file\""},
      {"provider-interval",
       Replace(providers, "updateIntervalSeconds: 60", "updateIntervalSeconds: '60'"),
       "is not non-negative integer"},
      {"relative-path", Replace(providers, "path: /etc/", "path: etc/"), "is not an absolute path"},
  };
  ExpectEachBreakageFails("check-provisioning.mjs", {"--scrape-interval", ScrapeInterval()},
                          breakages, ".yml");
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

const std::filesystem::path kDaemonSet = kRoot / "deploy/kubernetes/daemonset.yaml";
const std::filesystem::path kPodMonitor = kRoot / "deploy/kubernetes/podmonitor.yaml";

TEST_F(Schemas, KubernetesManifestsMatchTheOpenApiSchemaAndTheComposeFile) {
  RunResult r = Check("check-kubernetes.mjs", {"--compose", (kRoot / "docker-compose.yml").string(),
                                               kDaemonSet.string(), kPodMonitor.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 Kubernetes object(s) match their schema and docker-compose.yml"));
}

TEST_F(Schemas, EachKindOfBrokenManifestFails) {
  const std::string daemonset = ReadFileOrFail(kDaemonSet);
  const std::string podmonitor = ReadFileOrFail(kPodMonitor);
  // Each broken DaemonSet is checked with the shipped PodMonitor, each broken PodMonitor alone.
  const std::vector<Breakage> daemonsets = {
      {"misspelt-field", Replace(daemonset, "hostPID: true", "hostPid: true"),
       "'\"hostPid\"' does not exist"},
      {"bad-quantity", Replace(daemonset, "memory: 32Mi", "memory: 32 MiB"),
       "must match format \"quantity\""},
      {"capability-missing", Replace(daemonset, ", IPC_LOCK]", "]"),
       "differ from compose's cap_add"},
      {"proc-writable",
       Replace(daemonset, "mountPath: /host/proc\n              readOnly: true",
               "mountPath: /host/proc\n              readOnly: false"),
       "/host/proc readOnly false"},
      {"no-scrape-annotation",
       Replace(daemonset, "prometheus.io/scrape: \"true\"", "prometheus.io/scrape: \"false\""),
       "no prometheus.io/scrape"},
      {"other-port", Replace(daemonset, "containerPort: 9795", "containerPort: 9796"),
       "no containerPort 9795"},
  };
  for (const Breakage& b : daemonsets) {
    SCOPED_TRACE(b.name);
    ExpectEachBreakageFails(
        "check-kubernetes.mjs",
        {"--compose", (kRoot / "docker-compose.yml").string(), kPodMonitor.string()}, {b}, ".yaml");
  }
  const std::vector<Breakage> podmonitors = {
      {"unknown-kind", Replace(podmonitor, "kind: PodMonitor", "kind: PodMonitr"),
       "is not a known Kubernetes or Prometheus Operator type"},
      {"misspelt-field", Replace(podmonitor, "podMetricsEndpoints:", "podMetricEndpoints:"),
       "'\"podMetricEndpoints\"' does not exist"},
  };
  ExpectEachBreakageFails("check-kubernetes.mjs", {}, podmonitors, ".yaml");
}

}  // namespace
}  // namespace rh::test::fleet
