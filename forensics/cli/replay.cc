#include "forensics/cli/replay.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <system_error>

#include "analysis/stress.h"
#include "collectors/collector.h"
#include "forensics/cli/commands.h"
#include "forensics/cli/table.h"
#include "forensics/cli/text.h"
#include "forensics/json_read.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kTolerance = 1e-9;

// A clock stopped at the recorded reading of the pass being replayed.
class RecordedClock final : public Clock {
 public:
  ClockReading Now() const override { return reading_; }
  void SleepUntil(std::int64_t) const override {}
  void Set(const ClockReading& reading) { reading_ = reading; }

 private:
  ClockReading reading_;
};

const json* Find(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::optional<double> NumberAt(const json& j, std::initializer_list<const char*> path) {
  const json* v = Find(j, path);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

// capture.json's collector_options.<key>, a positive integer that fits T, or `fallback` when it
// is absent.
template <typename T>
Result<T> Option(const json& capture, const char* key, std::uint64_t fallback,
                 const OpenedBundle& bundle) {
  const json* v = Find(capture, {"collector_options", key});
  if (v == nullptr) return static_cast<T>(fallback);
  auto fits = JsonInteger<T>(*v);
  if (!fits || *fits <= 0) {
    return Error{bundle.Where(kCaptureFile) + ": collector_options." + key +
                 " is not a positive integer in range: " + v->dump()};
  }
  return *fits;
}

// The sample and assessment as compared: collector durations and error texts (which name the
// directory that was read) left out.
json Comparable(const analysis::ScoredSample& pass) {
  json sample = ToJson(pass.sample);
  for (auto& c : sample["collectors"]) {
    c.erase("duration_seconds");
    c.erase("error");
  }
  return {{"sample", sample}, {"assessment", ToJson(pass.assessment)}};
}

std::string Show(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void Compare(const json& recorded, const json& replayed, const std::string& path, std::size_t pass,
             ReplayOutcome& out) {
  auto differ = [&] { out.differences.push_back({pass, path, Show(recorded), Show(replayed)}); };
  if (recorded.is_object() && replayed.is_object()) {
    std::set<std::string> keys;
    for (auto it = recorded.begin(); it != recorded.end(); ++it) keys.insert(it.key());
    for (auto it = replayed.begin(); it != replayed.end(); ++it) keys.insert(it.key());
    for (const auto& key : keys) {
      const std::string child = path.empty() ? key : path + "." + key;
      auto a = recorded.find(key);
      auto b = replayed.find(key);
      if (a == recorded.end() || b == replayed.end()) {
        ++out.compared;
        out.differences.push_back({pass, child, a == recorded.end() ? "(absent)" : Show(*a),
                                   b == replayed.end() ? "(absent)" : Show(*b)});
        continue;
      }
      Compare(*a, *b, child, pass, out);
    }
    return;
  }
  if (recorded.is_array() && replayed.is_array()) {
    if (recorded.size() != replayed.size()) {
      ++out.compared;
      out.differences.push_back({pass, path + ".length", std::to_string(recorded.size()),
                                 std::to_string(replayed.size())});
    }
    for (std::size_t i = 0; i < recorded.size() && i < replayed.size(); ++i) {
      Compare(recorded[i], replayed[i], path + "[" + std::to_string(i) + "]", pass, out);
    }
    return;
  }
  ++out.compared;
  if (recorded.is_number() && replayed.is_number()) {
    if (recorded.is_number_integer() && replayed.is_number_integer()) {
      if (recorded != replayed) differ();
      return;
    }
    double a = recorded.get<double>(), b = replayed.get<double>();
    double scale = std::max({1.0, std::fabs(a), std::fabs(b)});
    if (!(std::fabs(a - b) <= kTolerance * scale)) differ();
    return;
  }
  if (recorded != replayed) differ();
}

// The stress weights the capture used: capture.json's "config" (TOML text) when present.
Result<config::Stress> CaptureWeights(const json& capture, const OpenedBundle& bundle,
                                      const config::Config& current, ReplayOutcome& out) {
  if (const json* toml = Find(capture, {"config"}); toml != nullptr && toml->is_string()) {
    auto parsed = config::Parse(toml->get<std::string>(), bundle.Where(kCaptureFile) + " config");
    if (!parsed) return parsed.error();
    return parsed->stress;
  }
  const std::string digest = "sha256:" + Sha256Hex(config::ToToml(current));
  if (!bundle.manifest.config_digest.empty() && digest != bundle.manifest.config_digest) {
    out.notes.push_back("the configuration differs from the capture's (config digest " +
                        bundle.manifest.config_digest + ", current " + digest +
                        "); scoring uses the current stress settings");
  }
  return current.stress;
}

// Writes the raw files of pass `index` into `tree`, replacing what the previous pass left so
// that descriptors the collectors keep open see the new content.
Status Stage(const OpenedBundle& bundle, int index, const fs::path& tree,
             std::set<std::string>& staged) {
  const std::string prefix = std::string(kRawDir) + "/" + std::to_string(index) + "/";
  std::set<std::string> now;
  for (const auto& [path, content] : bundle.files.files) {
    if (!path.starts_with(prefix)) continue;
    std::string relative = path.substr(prefix.size());
    if (!relative.starts_with("proc/") && !relative.starts_with("sys/")) continue;
    if (Status s = WriteFileUnder(tree, relative, content, /*replace=*/true); !s.ok()) return s;
    now.insert(relative);
  }
  if (now.empty()) return Error{bundle.Where(prefix) + ": no raw files to replay"};
  std::set<std::string> keep_dirs;
  for (const auto& f : now) {
    for (fs::path p = fs::path(f).parent_path(); !p.empty(); p = p.parent_path()) {
      keep_dirs.insert(p.string());
    }
  }
  std::error_code ec;
  for (const auto& old : staged) {
    if (now.contains(old)) continue;
    fs::remove(tree / old, ec);
    for (fs::path p = fs::path(old).parent_path(); !p.empty(); p = p.parent_path()) {
      if (!keep_dirs.contains(p.string())) fs::remove_all(tree / p, ec);
    }
  }
  staged = std::move(now);
  return {};
}

}  // namespace

Result<ReplayOutcome> ReplayBundle(const OpenedBundle& bundle, const config::Config& config) {
  ReplayOutcome out;
  auto text = bundle.File(kCaptureFile);
  if (!text) return Error{text.error().message + ": nothing to replay"};
  auto parsed = ParseJson(*text, bundle.Where(kCaptureFile));
  if (!parsed) return parsed.error();
  const json& capture = *parsed;
  if (!capture.is_object()) return Error{bundle.Where(kCaptureFile) + ": not a JSON object"};
  auto passes = ParseCapturePasses(*text, bundle.Where(kCaptureFile));
  if (!passes) return passes.error();
  out.recorded = std::move(passes).value();
  if (out.recorded.empty()) return Error{bundle.Where(kCaptureFile) + ": no passes to replay"};
  if (out.recorded.size() > 2) {
    out.notes.push_back("capture.json has " + std::to_string(out.recorded.size()) +
                        " passes; replaying raw/0 and raw/1 only");
    out.recorded.resize(2);
  }
  auto weights = CaptureWeights(capture, bundle, config, out);
  if (!weights) return weights.error();

  // Inputs that are not in the raw files.
  const auto& first = out.recorded.front();
  std::size_t top_n = 0, max_blocked = 0;
  for (const auto& p : out.recorded) {
    top_n = std::max({top_n, p.sample.processes.top_cpu.size(), p.sample.processes.top_rss.size()});
    max_blocked = std::max(max_blocked, p.sample.processes.blocked.size());
  }
  collectors::CollectorOptions options;
  auto page_size = Option<long>(capture, "page_size", first.sample.page_size, bundle);
  auto ticks = Option<long>(capture, "clock_ticks_per_second",
                            bundle.manifest.clock_ticks_per_second, bundle);
  auto top = Option<std::size_t>(capture, "top_n", top_n, bundle);
  auto blocked = Option<std::size_t>(
      capture, "max_blocked",
      max_blocked > 0 ? max_blocked : collectors::CollectorOptions{}.max_blocked, bundle);
  for (const Result<long>* r : {&page_size, &ticks}) {
    if (!*r) return r->error();
  }
  for (const Result<std::size_t>* r : {&top, &blocked}) {
    if (!*r) return r->error();
  }
  options.page_size = *page_size;
  options.clock_ticks_per_second = *ticks;
  options.top_n = *top;
  options.max_blocked = *blocked;
  analysis::StressState state;
  state.io_baseline = NumberAt(capture, {"io_baseline"})
                          .value_or(NumberAt(capture, {"stress_state", "io_baseline"})
                                        .value_or(first.assessment.signals.io_baseline));

  auto dir = PrivateDir::Create("rh-replay");
  if (!dir) return dir.error();
  const fs::path tree = (*dir)->path() / "tree";
  std::error_code ec;
  fs::create_directories(tree / "proc", ec);
  fs::create_directories(tree / "sys", ec);
  if (ec) return Error{tree.string() + ": " + ec.message()};

  collectors::ProcRoot root(tree / "proc", tree / "sys");
  auto list = collectors::MakeCollectors(root, options);
  RecordedClock clock;
  std::set<std::string> staged;
  collectors::SystemSample previous;
  for (std::size_t i = 0; i < out.recorded.size(); ++i) {
    const auto& recorded = out.recorded[i];
    if (Status s = Stage(bundle, static_cast<int>(i), tree, staged); !s.ok()) return s.error();
    analysis::ScoredSample replayed;
    replayed.sequence = recorded.sequence;
    replayed.latency_seconds = recorded.latency_seconds;
    replayed.state = recorded.state;
    replayed.interval_seconds = recorded.interval_seconds;
    clock.Set(recorded.sample.clock);
    collectors::CollectAll(list, clock, replayed.sample);
    replayed.sample.page_size = recorded.sample.page_size;
    replayed.assessment = analysis::Assess(*weights, i == 0 ? nullptr : &previous, replayed.sample,
                                           recorded.latency_seconds, state);
    Compare(Comparable(recorded), Comparable(replayed), "", i, out);
    previous = replayed.sample;
    out.replayed.push_back(std::move(replayed));
  }
  return out;
}

int Replay(const Context& ctx, const std::string& id_or_path, const std::string& format) {
  auto bundle = OpenBundle(id_or_path, ctx.events_dir, ctx.limits);
  if (!bundle) return Fail(ctx, bundle.error().message);
  const auto problems = CheckFiles(bundle->manifest, bundle->files);
  if (!problems.empty()) {
    Warn(ctx, bundle->files.origin + " does not verify; replaying what is there");
  }
  auto outcome = ReplayBundle(*bundle, ctx.config);
  if (!outcome) return Fail(ctx, outcome.error().message);
  const bool agree = outcome->differences.empty();

  if (format == "json") {
    json passes = json::array();
    for (std::size_t i = 0; i < outcome->replayed.size(); ++i) {
      passes.push_back({{"raw", std::string(kRawDir) + "/" + std::to_string(i)},
                        {"recorded", ToJson(outcome->recorded[i].assessment)},
                        {"replayed", ToJson(outcome->replayed[i].assessment)}});
    }
    json differences = json::array();
    for (const auto& d : outcome->differences) {
      differences.push_back({{"pass", d.pass},
                             {"field", d.field},
                             {"recorded", d.recorded},
                             {"replayed", d.replayed}});
    }
    json result = {{"id", bundle->manifest.id},     {"agrees", agree},
                   {"compared", outcome->compared}, {"passes", passes},
                   {"differences", differences},    {"notes", outcome->notes}};
    *ctx.out << result.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    std::ostream& out = *ctx.out;
    out << "Replay of " << Printable(bundle->manifest.id) << " (" << Printable(bundle->files.origin)
        << ") with the daemon's collectors and scoring\n";
    for (std::size_t i = 0; i < outcome->replayed.size(); ++i) {
      const auto& a = outcome->recorded[i].assessment;
      const auto& b = outcome->replayed[i].assessment;
      out << "\npass " << i << " (raw/" << i << ")\n";
      Table table({"", "RECORDED", "REPLAYED"});
      table.Add({"score", Decimal(a.score, 6), Decimal(b.score, 6)});
      for (std::size_t c = 0; c < analysis::kComponentCount; ++c) {
        table.Add({std::string(analysis::kComponentNames[c]), Decimal(a.components[c], 6),
                   Decimal(b.components[c], 6)});
      }
      table.Add({"load per core", Decimal(a.signals.load_per_core, 6),
                 Decimal(b.signals.load_per_core, 6)});
      table.Add({"memory pressure", Decimal(a.memory_pressure, 6), Decimal(b.memory_pressure, 6)});
      table.Add(
          {"io baseline", Decimal(a.signals.io_baseline, 3), Decimal(b.signals.io_baseline, 3)});
      table.Add({"processes", std::to_string(outcome->recorded[i].sample.processes.counts.total),
                 std::to_string(outcome->replayed[i].sample.processes.counts.total)});
      table.Print(out, "  ");
    }
    out << "\n";
    if (agree) {
      out << "AGREES: " << outcome->compared << " values of " << outcome->replayed.size()
          << " passes match capture.json\n";
    } else {
      out << "DIFFERS: " << outcome->differences.size() << " of " << outcome->compared
          << " values differ from capture.json:\n";
      for (const auto& d : outcome->differences) {
        out << "  pass " << d.pass << " " << Printable(d.field) << ": recorded "
            << Printable(d.recorded) << ", replayed " << Printable(d.replayed) << "\n";
      }
    }
    for (const auto& note : outcome->notes) out << "note: " << Printable(note) << "\n";
  }
  if (!agree) {
    const auto& d = outcome->differences.front();
    return Fail(ctx, bundle->files.origin + ": replay differs from capture.json in " +
                         std::to_string(outcome->differences.size()) + " values (first: pass " +
                         std::to_string(d.pass) + " " + d.field + ")");
  }
  return kExitOk;
}

}  // namespace rh::forensics::cli
