// rogue-hunter events: the list and one event, checked against the history.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "forensics/sample_json.h"
#include "tests/cli/cli_support.h"
#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

using forensics::EventKind;
using nlohmann::json;
using ::testing::HasSubstr;

forensics::EventRecord ThePause(forensics::Store& store) {
  auto pauses = store.LatestEvents(0, {EventKind::kPause}, 1);
  EXPECT_TRUE(pauses.ok() && pauses->size() == 1);
  return pauses.ok() && !pauses->empty() ? pauses->front() : forensics::EventRecord{};
}

TEST(Events, TheJsonListIsTheHistoryNewestFirst) {
  auto store = OpenStore(FixtureHome());
  ASSERT_NE(store, nullptr);
  auto r = RunCli(FixtureHome(), {"events", "--format", "json", "--kind", "all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r.out);
  auto expected = store->LatestEvents(0, {}, 50);
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(j["events"].size(), expected->size());
  ASSERT_FALSE(expected->empty());
  for (std::size_t i = 0; i < expected->size(); ++i) {
    const auto& e = (*expected)[i];
    const json& got = j["events"][i];
    EXPECT_EQ(got["id"], e.id);
    EXPECT_EQ(got["key"], e.key);
    EXPECT_EQ(got["kind"], forensics::kEventKindNames[static_cast<int>(e.kind)]);
    EXPECT_DOUBLE_EQ(got["duration_seconds"].get<double>(), e.duration_seconds);
    EXPECT_DOUBLE_EQ(got["score_before"].get<double>(), e.score_before);
    EXPECT_EQ(got["processes"].size(), e.processes.size());
    if (i > 0) {
      EXPECT_GE(j["events"][i - 1]["start"], got["start"]);
    }
  }
  EXPECT_EQ(j["kinds"], "all");
}

TEST(Events, TheTableShowsThePauseWithItsBundleAndRankedCulprit) {
  auto store = OpenStore(FixtureHome());
  ASSERT_NE(store, nullptr);
  const auto pause = ThePause(*store);
  auto captures = store->Captures(pause.key);
  ASSERT_TRUE(captures.ok() && !captures->empty());
  const std::string bundle = std::filesystem::path(captures->back().bundle_path).filename();

  auto r = RunCli(FixtureHome(), {"events"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ID  TIME"));
  EXPECT_THAT(r.out, HasSubstr("TOP CULPRIT"));
  std::string row;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(bundle) != std::string::npos) row = line;
  }
  ASSERT_FALSE(row.empty()) << r.out;
  EXPECT_EQ(row.rfind(std::to_string(pause.id) + " ", 0), 0u) << row;
  EXPECT_THAT(row, HasSubstr(" pause "));

  // The culprit is the bundle's first-ranked one.
  auto j = ParseJson(RunCli(FixtureHome(), {"events", "--format", "json"}).out);
  json listed;
  for (const auto& e : j["events"]) {
    if (e["key"] == pause.key) listed = e;
  }
  ASSERT_TRUE(listed.is_object());
  std::ifstream in(std::filesystem::path(captures->back().bundle_path) / "summary.json");
  json summary = json::parse(in);
  ASSERT_FALSE(summary["culprits"].empty());
  EXPECT_EQ(listed["culprit"]["ranked"], true);
  EXPECT_EQ(listed["culprit"]["pid"], summary["culprits"][0]["pid"]);
  EXPECT_EQ(listed["bundle"]["id"], bundle);
  EXPECT_EQ(listed["bundle"]["present"], true);
  EXPECT_THAT(row, HasSubstr(summary["culprits"][0]["comm"].get<std::string>()));
}

TEST(Events, OneEventInDetailWithTheBundlesSummary) {
  auto store = OpenStore(FixtureHome());
  ASSERT_NE(store, nullptr);
  const auto pause = ThePause(*store);
  auto text = RunCli(FixtureHome(), {"events", std::to_string(pause.id)});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("Event " + std::to_string(pause.id) + ": pause"));
  EXPECT_THAT(text.out, HasSubstr("Key:           " + pause.key));
  EXPECT_THAT(text.out, HasSubstr("Dominant stress: "));
  EXPECT_THAT(text.out, HasSubstr("Culprits:"));
  EXPECT_THAT(text.out, HasSubstr("More: rh-forensics show "));
  EXPECT_THAT(text.out, HasSubstr("Capture (pause): ok"));

  // By key too, as JSON, with the summary as the bundle holds it.
  auto r = RunCli(FixtureHome(), {"events", pause.key, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r.out);
  EXPECT_EQ(j["id"], pause.id);
  EXPECT_DOUBLE_EQ(j["duration_seconds"].get<double>(), pause.duration_seconds);
  std::ifstream in(j["bundle"]["path"].get<std::string>() + "/summary.json");
  json summary = json::parse(in);
  const json& shown = j["bundle"]["summary"];
  ASSERT_EQ(shown["culprits"].size(), summary["culprits"].size());
  for (std::size_t i = 0; i < summary["culprits"].size(); ++i) {
    EXPECT_EQ(shown["culprits"][i]["pid"], summary["culprits"][i]["pid"]);
    EXPECT_EQ(shown["culprits"][i]["rank"], summary["culprits"][i]["rank"]);
  }
  EXPECT_EQ(shown["dominant"]["component"], summary["dominant"]["component"]);
}

TEST(Events, KindAndSinceFilter) {
  auto store = OpenStore(FixtureHome());
  ASSERT_NE(store, nullptr);
  auto changes = ParseJson(
      RunCli(FixtureHome(), {"events", "--kind", "state_change", "--format", "json"}).out);
  auto expected = store->LatestEvents(0, {EventKind::kStateChange}, 50);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(changes["events"].size(), expected->size());
  for (const auto& e : changes["events"]) EXPECT_EQ(e["kind"], "state_change");

  auto both = ParseJson(
      RunCli(FixtureHome(), {"events", "--kind", "pause,critical", "--format", "json"}).out);
  for (const auto& e : both["events"]) {
    EXPECT_TRUE(e["kind"] == "pause" || e["kind"] == "critical") << e;
  }
  EXPECT_GE(both["count"].get<int>(), 1);

  auto future = RunCli(FixtureHome(), {"events", "--since", "@4000000000"});
  EXPECT_EQ(future.exit_code, 0);
  EXPECT_THAT(future.out, HasSubstr("no events since"));
  auto recent =
      ParseJson(RunCli(FixtureHome(), {"events", "--since", "30d", "--format", "json"}).out);
  EXPECT_GE(recent["count"].get<int>(), 1);

  auto bad_kind = RunCli(FixtureHome(), {"events", "--kind", "freeze"});
  EXPECT_EQ(bad_kind.exit_code, 2);
  EXPECT_THAT(bad_kind.err, HasSubstr("--kind: unknown kind \"freeze\""));
  auto bad_since = RunCli(FixtureHome(), {"events", "--since", "last tuesday"});
  EXPECT_EQ(bad_since.exit_code, 2);
  EXPECT_THAT(bad_since.err, HasSubstr("--since: cannot read"));
}

TEST(Events, AnUnknownEventOrNoHistoryIsAnError) {
  auto r = RunCli(FixtureHome(), {"events", "999999"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("rogue-hunter: no event 999999 in "));
  EXPECT_EQ(r.out, "");
  TempDir empty;
  auto none = RunCli(empty.path(), {"events"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("no history database yet"));
}

}  // namespace
}  // namespace rh::test
