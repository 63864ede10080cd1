#include "analysis/culprits.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "base/format.h"
#include "collectors/cgroupfs.h"

namespace rh::analysis {
namespace {

using collectors::PsiKind;

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

std::string Percent(double ratio) { return Format("%.0f%%", ratio * 100); }

std::string CpuAmount(double share) {
  return share < 1.5 ? Percent(share) + " of one CPU" : Format("%.1f CPUs", share);
}

std::string Seconds(double s) { return s < 10 ? Format("%.1f s", s) : Format("%.0f s", s); }

std::size_t Index(Component c) { return static_cast<std::size_t>(c); }

double Avg10(const collectors::SystemSample& s, PsiKind kind, bool full) {
  const auto& r = s.pressure[kind];
  const auto& line = full ? r.full : r.some;
  return r.available && line ? line->avg10 / 100.0 : 0.0;
}

std::string PsiText(const char* what, const collectors::SystemSample& s, PsiKind kind,
                    double combined) {
  double full = Avg10(s, kind, true);
  if (full > 0) return std::string(what) + " pressure, full stall " + Percent(full);
  double some = Avg10(s, kind, false);
  return std::string(what) + " pressure, some stall " + Percent(some > 0 ? some : combined);
}

std::string SignalText(Component c, const ScoredSample& pass) {
  const Signals& s = pass.assessment.signals;
  const auto& sample = pass.sample;
  switch (c) {
    case Component::kLoad:
      return "load, " + Format("%.1f", s.load_per_core) + " runnable tasks per core";
    case Component::kCpu:
      if (s.steal_share > s.cpu_some) {
        return "CPU steal, " + Percent(s.steal_share) + " of CPU time stolen by the hypervisor";
      }
      return "CPU pressure, some stall " + Percent(s.cpu_some);
    case Component::kIo:
      if (s.io_psi >= s.iowait_share && s.io_psi >= s.io_burst) {
        return PsiText("I/O", sample, PsiKind::kIo, s.io_psi);
      }
      if (s.iowait_share >= s.io_burst)
        return "I/O wait, " + Percent(s.iowait_share) + " of CPU time";
      return "I/O burst, " + FormatBytes(s.io_bytes_per_second) + "/s against a " +
             FormatBytes(s.io_baseline) + "/s baseline";
    case Component::kMemory:
      if (s.memory_psi >= s.low_available && s.memory_psi >= s.swap_activity) {
        return PsiText("memory", sample, PsiKind::kMemory, s.memory_psi);
      }
      if (s.low_available >= s.swap_activity && sample.meminfo.total > 0) {
        return "memory pressure, only " +
               Percent(static_cast<double>(sample.meminfo.available) /
                       static_cast<double>(sample.meminfo.total)) +
               " of memory available";
      }
      return "memory pressure, swapping " + FormatBytes(s.swap_bytes_per_second) + "/s";
    case Component::kThermal:
      return "thermal throttling of the CPUs";
    case Component::kLatency:
      return "latency, the watchdog overshot by " + Format("%.2f s", s.latency_seconds);
  }
  return {};
}

// What the window's samples say about one PID, oldest first.
struct Observation {
  std::int64_t monotonic_ns = 0;
  double realtime = 0;
  std::uint64_t rss_bytes = 0;
  std::uint64_t cpu_ticks = 0;
  std::uint64_t major_faults = 0;
};

double Realtime(const ScoredSample& s) {
  return static_cast<double>(s.sample.clock.realtime_ns) / 1e9;
}

struct Weights {
  double cpu = 0.5, rss_growth = 0.6, rss = 0.25, major_faults = 0.4, io = 0.4, blocked = 0.45,
         suspect_pattern = 0.25, cgroup = 0.1, steal = 0.8, memory_stall = 0.5, io_stall = 0.5,
         cgroup_memory = 0.2;
};

Weights WeightsFor(const std::string& dominant) {
  Weights w;
  if (dominant == "memory") {
    w.cpu = 0.3;
    w.rss_growth = 0.9;
    w.rss = 0.4;
    w.major_faults = 0.6;
    w.memory_stall = 0.85;
    w.cgroup_memory = 0.35;
  } else if (dominant == "load" || dominant == "cpu") {
    w.cpu = 0.85;
    w.steal = 0.95;
  } else if (dominant == "io") {
    w.cpu = 0.3;
    w.io = 0.75;
    w.blocked = 0.7;
    w.major_faults = 0.5;
    w.io_stall = 0.85;
  }
  return w;
}

struct Scored {
  Evidence evidence;
  double weight = 0;  // weight x strength
};

struct Candidate {
  const ProcessInfo* process = nullptr;
  std::vector<Scored> items;
  bool has_own = false;
};

// The strongest full-stall evidence of a cgroup: its text, share and weighted strength.
struct StallEvidence {
  std::string text;
  double share = 0;
  double weight = 0;  // weight x strength
};

std::optional<StallEvidence> Stall(const CgroupWindow& c, const Weights& w) {
  const bool memory = c.memory_full_share * w.memory_stall >= c.io_full_share * w.io_stall;
  const double share = memory ? c.memory_full_share : c.io_full_share;
  if (share < 0.1) return std::nullopt;
  StallEvidence e;
  e.share = share;
  e.weight = (memory ? w.memory_stall : w.io_stall) * std::min(1.0, share / 0.4);
  e.text = "the " + CgroupKind(*c.cgroup) + " spent " + Percent(share) +
           (c.over_window ? " of the window" : " of the capture") + " in " +
           (memory ? "memory" : "I/O") + " full stall";
  return e;
}

}  // namespace

std::string CgroupKind(const collectors::CgroupUsage& c) {
  if (!collectors::ContainerId(c.path).empty()) return "container `" + c.name + "`";
  if (!collectors::SystemdUnit(c.path).empty()) return "service `" + c.name + "`";
  return "cgroup `" + c.path + "`";
}

std::vector<CgroupWindow> CgroupWindows(const CulpritInputs& in) {
  std::vector<const ScoredSample*> samples;
  for (const auto* list : {&in.window, &in.capture}) {
    for (const auto& s : *list) {
      if (s) samples.push_back(s.get());
    }
  }
  std::vector<CgroupWindow> out;
  const std::int64_t start = samples.empty() ? 0 : samples.front()->sample.clock.monotonic_ns;
  const std::int64_t end = samples.empty() ? 0 : samples.back()->sample.clock.monotonic_ns;
  const double window = static_cast<double>(end - start) / 1e9;
  for (const auto& c : in.cgroups) {
    CgroupWindow w{&c, c.memory_full_ratio, c.io_full_ratio, false};
    // The earliest sample that listed it, with its totals then.
    for (const ScoredSample* s : samples) {
      const collectors::CgroupUsage* seen = nullptr;
      for (const auto* list : {&s->sample.cgroups.top_memory, &s->sample.cgroups.top_memory_full,
                               &s->sample.cgroups.top_io_full, &s->sample.cgroups.all}) {
        for (const auto& u : *list) {
          if (u.path == c.path) seen = &u;
        }
      }
      if (seen == nullptr) continue;
      if (window > 0 && s->sample.clock.monotonic_ns < end) {
        auto grown = [&](std::uint64_t now, std::uint64_t then) {
          return now >= then ? static_cast<double>(now - then) / 1e6 / window : 0.0;
        };
        w.memory_full_share =
            std::max(w.memory_full_share, grown(c.memory_full_us, seen->memory_full_us));
        w.io_full_share = std::max(w.io_full_share, grown(c.io_full_us, seen->io_full_us));
        w.over_window = true;
      }
      break;
    }
    out.push_back(w);
  }
  return out;
}

std::string FormatBytes(double bytes) {
  if (bytes >= kGiB) return Format("%.1f GiB", bytes / kGiB);
  if (bytes >= kMiB) return Format("%.0f MiB", bytes / kMiB);
  if (bytes >= 1024) return Format("%.0f KiB", bytes / 1024);
  return Format("%.0f B", bytes);
}

std::optional<double> BlockedSince(const std::vector<std::shared_ptr<const ScoredSample>>& samples,
                                   std::int32_t tid) {
  std::optional<double> since;
  for (auto it = samples.rbegin(); it != samples.rend(); ++it) {
    if (!*it) continue;
    const auto& blocked = (*it)->sample.processes.blocked;
    if (std::none_of(blocked.begin(), blocked.end(),
                     [&](const collectors::BlockedTask& b) { return b.task() == tid; })) {
      break;
    }
    since = Realtime(**it);
  }
  return since;
}

bool ContainsIgnoringCase(std::string_view text, std::string_view pattern) {
  if (pattern.empty() || pattern.size() > text.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i + pattern.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < pattern.size() && lower(text[i + k]) == lower(pattern[k])) ++k;
    if (k == pattern.size()) return true;
  }
  return false;
}

DominantStress FindDominantStress(const std::vector<std::shared_ptr<const ScoredSample>>& samples) {
  std::array<double, kComponentCount> peak{};
  std::array<const ScoredSample*, kComponentCount> at{};
  for (const auto& s : samples) {
    if (!s) continue;
    for (std::size_t i = 0; i < kComponentCount; ++i) {
      if (s->assessment.components[i] > peak[i]) {
        peak[i] = s->assessment.components[i];
        at[i] = s.get();
      }
    }
  }
  std::size_t best = kComponentCount;
  for (std::size_t i = 0; i < kComponentCount; ++i) {
    if (i == Index(Component::kLatency) || peak[i] <= 0) continue;
    if (best == kComponentCount || peak[i] > peak[best]) best = i;
  }
  if (best == kComponentCount && peak[Index(Component::kLatency)] > 0) {
    best = Index(Component::kLatency);
  }
  if (best == kComponentCount) return {"none", 0, "no stress signal in the window"};
  return {std::string(kComponentNames[best]), peak[best],
          SignalText(static_cast<Component>(best), *at[best])};
}

CulpritVerdict RankCulprits(const CulpritInputs& in) {
  CulpritVerdict verdict;
  std::vector<std::shared_ptr<const ScoredSample>> all;
  for (const auto& s : in.window) {
    if (s) all.push_back(s);
  }
  for (const auto& s : in.capture) {
    if (s) all.push_back(s);
  }
  verdict.dominant = FindDominantStress(all);
  verdict.blocked_tasks = in.blocked.size();
  verdict.steal_share = in.steal_share;
  const Weights w = WeightsFor(verdict.dominant.component);
  const double hz = in.clock_ticks_per_second > 0 ? in.clock_ticks_per_second : 100;
  const double memory = static_cast<double>(in.memory_total_bytes);

  // Observations by PID from the top lists, oldest first (one per sample).
  std::unordered_map<std::int32_t, std::vector<Observation>> seen;
  for (const auto& s : all) {
    std::unordered_map<std::int32_t, Observation> here;
    for (const auto* list : {&s->sample.processes.top_rss, &s->sample.processes.top_cpu}) {
      for (const auto& p : *list) {
        here[p.pid] = {s->sample.clock.monotonic_ns, Realtime(*s), p.rss_bytes, p.cpu_ticks,
                       p.major_faults};
      }
    }
    for (const auto& [pid, o] : here) seen[pid].push_back(o);
  }
  const ScoredSample* first = all.empty() ? nullptr : all.front().get();

  std::unordered_map<std::int32_t, std::vector<const BlockedTaskInfo*>> blocked;
  for (const auto& b : in.blocked) blocked[b.pid].push_back(&b);

  std::vector<const ProcessInfo*> by_rss;
  for (const auto& p : in.processes) by_rss.push_back(&p);
  std::sort(by_rss.begin(), by_rss.end(), [](const ProcessInfo* a, const ProcessInfo* b) {
    return a->rss_bytes != b->rss_bytes ? a->rss_bytes > b->rss_bytes : a->pid < b->pid;
  });
  std::unordered_map<std::int32_t, int> rss_rank;
  for (std::size_t i = 0; i < by_rss.size() && i < 3; ++i) {
    rss_rank[by_rss[i]->pid] = static_cast<int>(i) + 1;
  }

  std::vector<Candidate> candidates;
  for (const auto& p : in.processes) {
    Candidate c;
    c.process = &p;
    auto add = [&](std::string kind, double value, std::string text, double weight,
                   double strength) {
      c.items.push_back(
          {{std::move(kind), value, std::move(text)}, weight * std::clamp(strength, 0.0, 1.0)});
    };
    const bool started_in_window = first != nullptr && p.start_time > Realtime(*first);
    std::vector<Observation> obs;
    if (auto it = seen.find(p.pid); it != seen.end()) {
      for (const auto& o : it->second) {
        if (o.realtime + 1 >= p.start_time) obs.push_back(o);  // not an earlier owner of the PID
      }
    }

    // CPU share over the window: from the earliest sample that listed it, else since it started.
    double cpu = p.cpu_share;
    if (!obs.empty()) {
      double dt = static_cast<double>(in.now_monotonic_ns - obs.front().monotonic_ns) / 1e9;
      if (dt > 0 && p.cpu_ticks >= obs.front().cpu_ticks) {
        cpu = std::max(cpu, static_cast<double>(p.cpu_ticks - obs.front().cpu_ticks) / hz / dt);
      }
    } else if (started_in_window && in.now > p.start_time) {
      cpu = std::max(cpu, static_cast<double>(p.cpu_ticks) / hz / (in.now - p.start_time));
    }
    if (cpu >= 0.2 && p.pid != in.self_pid) {
      add("cpu", cpu, "used " + CpuAmount(cpu) + " over the window", w.cpu, cpu);
    }

    // RSS growth against the smallest RSS known for it in the window. Absent from the first
    // sample's top list, it had at most that list's smallest RSS; started within the window,
    // it had none.
    if (first != nullptr) {
      std::optional<double> baseline;
      if (started_in_window) {
        baseline = 0;
      } else {
        const auto& top = first->sample.processes.top_rss;
        bool listed = std::any_of(top.begin(), top.end(),
                                  [&](const collectors::TopProcess& t) { return t.pid == p.pid; });
        if (!listed && !top.empty()) {
          std::uint64_t smallest = top.front().rss_bytes;
          for (const auto& t : top) smallest = std::min(smallest, t.rss_bytes);
          baseline = static_cast<double>(smallest);
        }
      }
      for (const auto& o : obs) {
        double rss = static_cast<double>(o.rss_bytes);
        if (!baseline || rss < *baseline) baseline = rss;
      }
      if (baseline) {
        double growth = static_cast<double>(p.rss_bytes) - *baseline;
        double threshold = std::max(64 * kMiB, memory * 0.02);
        if (growth >= threshold) {
          std::string text = "RSS grew by " + FormatBytes(growth) + " in the window";
          if (started_in_window) {
            text += " (started " + Seconds(std::max(0.0, in.now - p.start_time)) +
                    " before the capture)";
          }
          add("rss_growth", growth, std::move(text), w.rss_growth,
              growth / (memory > 0 ? memory / 8 : kGiB));
        }
      }
    }

    // The largest resident sets.
    if (auto it = rss_rank.find(p.pid); it != rss_rank.end()) {
      double rss = static_cast<double>(p.rss_bytes);
      if (rss >= (memory > 0 ? memory * 0.05 : 256 * kMiB)) {
        std::string text =
            "largest resident set #" + std::to_string(it->second) + ": " + FormatBytes(rss);
        if (memory > 0) text += " (" + Percent(rss / memory) + " of memory)";
        add("rss", rss, std::move(text), w.rss, rss / (memory > 0 ? memory / 2 : 4 * kGiB));
      }
    }

    // Major faults in the window.
    std::optional<std::uint64_t> faults;
    if (!obs.empty() && p.major_faults >= obs.front().major_faults) {
      faults = p.major_faults - obs.front().major_faults;
    } else if (started_in_window) {
      faults = p.major_faults;
    }
    if (faults && *faults >= 100) {
      add("major_faults", static_cast<double>(*faults),
          std::to_string(*faults) + " major page faults in the window", w.major_faults,
          static_cast<double>(*faults) / 10000);
    }

    if (p.io_delay_share >= 0.1) {
      add("io", p.io_delay_share,
          "waiting for block I/O " + Percent(p.io_delay_share) + " of the time at capture (" +
              Seconds(p.io_delay_seconds) + " in total)",
          w.io, p.io_delay_share);
    }

    if (auto it = blocked.find(p.pid); it != blocked.end() || p.state == 'D') {
      std::size_t count = it != blocked.end() ? it->second.size() : 1;
      double longest = 0;
      std::string wchan;
      if (it != blocked.end()) {
        for (const auto* b : it->second) {
          if (b->blocked_seconds && *b->blocked_seconds >= longest) longest = *b->blocked_seconds;
          if (wchan.empty()) wchan = b->wchan;
        }
      }
      std::string text = count == 1
                             ? "1 task in D state (uninterruptible sleep)"
                             : std::to_string(count) + " tasks in D state (uninterruptible sleep)";
      if (longest > 0) text += ", blocked for at least " + Seconds(longest);
      if (!wchan.empty()) text += ", waiting in " + wchan;
      add("blocked", static_cast<double>(count), std::move(text), w.blocked,
          0.6 + 0.4 * std::min(1.0, longest / 10));
    }
    c.has_own = !c.items.empty();

    for (const auto& pattern : in.suspect_patterns) {
      if (ContainsIgnoringCase(p.comm, pattern) || ContainsIgnoringCase(p.cmdline, pattern)) {
        add("suspect_pattern", 1, "matches the suspects pattern \"" + pattern + "\"",
            w.suspect_pattern, 1);
        break;
      }
    }
    if (!c.items.empty()) candidates.push_back(std::move(c));
  }

  // Cgroups that stalled: culprits of their own, and evidence against the processes in them.
  std::map<std::string, StallEvidence> stalled;  // by cgroup path
  for (const CgroupWindow& cw : CgroupWindows(in)) {
    auto stall = Stall(cw, w);
    if (!stall) continue;
    stalled[cw.cgroup->path] = *stall;
    Culprit culprit;
    culprit.comm = cw.cgroup->name;
    culprit.cgroup = cw.cgroup->path;
    culprit.unit = collectors::SystemdUnit(cw.cgroup->path);
    double keep = 1 - stall->weight;
    culprit.evidence.push_back({"cgroup_pressure", stall->share, stall->text});
    if (cw.cgroup->memory_bytes && *cw.cgroup->memory_bytes > 0) {
      const double bytes = static_cast<double>(*cw.cgroup->memory_bytes);
      std::string text = "uses " + FormatBytes(bytes) + " of memory";
      if (memory > 0) text += " (" + Percent(bytes / memory) + ")";
      culprit.evidence.push_back({"cgroup_memory", bytes, std::move(text)});
      keep *= 1 - w.cgroup_memory * std::min(1.0, bytes / (memory > 0 ? memory / 4 : kGiB));
    }
    culprit.score = 1 - keep;
    verdict.culprits.push_back(std::move(culprit));
  }
  for (auto& c : candidates) {
    auto it = stalled.find(c.process->cgroup);
    if (it == stalled.end()) continue;
    c.items.push_back({{"cgroup_pressure", it->second.share, "its " + it->second.text.substr(4)},
                       it->second.weight * 0.8});
  }
  for (const auto& p :
       in.processes) {  // a process with no evidence of its own, in a stalled cgroup
    if (!stalled.contains(p.cgroup)) continue;
    if (std::any_of(candidates.begin(), candidates.end(),
                    [&](const Candidate& c) { return c.process == &p; })) {
      continue;
    }
    if (p.pid == in.self_pid) continue;
    Candidate c;
    c.process = &p;
    const StallEvidence& s = stalled[p.cgroup];
    c.items.push_back({{"cgroup_pressure", s.share, "its " + s.text.substr(4)}, s.weight * 0.5});
    candidates.push_back(std::move(c));
  }

  // Suspects sharing a cgroup (other than the root) strengthen each other.
  std::map<std::string, int> per_cgroup;
  for (const auto& c : candidates) {
    if (c.has_own && c.process->cgroup.size() > 1) ++per_cgroup[c.process->cgroup];
  }
  for (auto& c : candidates) {
    if (!c.has_own || c.process->cgroup.size() <= 1) continue;
    int others = per_cgroup[c.process->cgroup] - 1;
    if (others <= 0) continue;
    c.items.push_back({{"cgroup", static_cast<double>(others),
                        "in cgroup " + c.process->cgroup + " with " + std::to_string(others) +
                            (others == 1 ? " other suspect" : " other suspects")},
                       w.cgroup});
  }

  for (auto& c : candidates) {
    double keep = 1;
    for (const auto& item : c.items) keep *= 1 - item.weight;
    std::stable_sort(c.items.begin(), c.items.end(),
                     [](const Scored& a, const Scored& b) { return a.weight > b.weight; });
    Culprit culprit;
    culprit.pid = c.process->pid;
    culprit.comm = c.process->comm;
    culprit.unit = c.process->unit;
    culprit.score = 1 - keep;
    for (auto& item : c.items) culprit.evidence.push_back(std::move(item.evidence));
    verdict.culprits.push_back(std::move(culprit));
  }

  if (in.steal_share >= 0.05) {
    Culprit hypervisor;
    hypervisor.pid = 0;
    hypervisor.comm = "hypervisor";
    double strength = std::min(1.0, in.steal_share / 0.25);
    hypervisor.score = w.steal * strength;
    hypervisor.evidence.push_back(
        {"steal", in.steal_share,
         Percent(in.steal_share) + " of CPU time stolen from this machine by the hypervisor"});
    verdict.culprits.push_back(std::move(hypervisor));
  }

  std::unordered_map<std::int32_t, std::uint64_t> rss_of;
  for (const auto& p : in.processes) rss_of[p.pid] = p.rss_bytes;
  std::sort(verdict.culprits.begin(), verdict.culprits.end(),
            [&](const Culprit& a, const Culprit& b) {
              if (a.score != b.score) return a.score > b.score;
              std::uint64_t ra = rss_of[a.pid], rb = rss_of[b.pid];
              if (ra != rb) return ra > rb;
              if (a.pid != b.pid) return a.pid < b.pid;
              return a.cgroup < b.cgroup;  // cgroups and the hypervisor share pid 0
            });
  if (verdict.culprits.size() > in.max_culprits) verdict.culprits.resize(in.max_culprits);
  for (std::size_t i = 0; i < verdict.culprits.size(); ++i) {
    verdict.culprits[i].rank = static_cast<int>(i) + 1;
  }
  return verdict;
}

}  // namespace rh::analysis
