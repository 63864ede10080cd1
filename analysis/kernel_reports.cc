#include "analysis/kernel_reports.h"

#include <charconv>

namespace rh::analysis {
namespace {

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::optional<std::int32_t> Pid(std::string_view digits) {
  std::int32_t value = 0;
  if (digits.empty() || digits.size() > 10) return std::nullopt;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value <= 0) return std::nullopt;
  return value;
}

// "comm:pid", the pid after the last colon (a task name may hold colons).
bool SplitTask(std::string_view task_pid, KernelReport& out) {
  std::size_t colon = task_pid.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto pid = Pid(task_pid.substr(colon + 1));
  if (!pid) return false;
  out.task = std::string(task_pid.substr(0, colon));
  out.pid = *pid;
  return true;
}

// The word starting at `begin`, up to a space or comma ("" past the end).
std::string_view Token(std::string_view text, std::size_t begin) {
  if (begin >= text.size()) return {};
  std::size_t end = begin;
  while (end < text.size() && text[end] != ' ' && text[end] != ',') ++end;
  return text.substr(begin, end - begin);
}

std::optional<KernelReport> HungTask(std::string_view text) {
  // The kernel's words end the line: search from the right so that a task named
  // "x blocked for more than 1 seconds." cannot stand in for them.
  constexpr std::string_view kBlocked = " blocked for more than ";
  constexpr std::string_view kTask = "task ";
  std::size_t blocked = text.rfind(kBlocked);
  if (blocked == std::string_view::npos) return std::nullopt;
  std::size_t task = text.find(kTask);
  if (task == std::string_view::npos || task >= blocked) return std::nullopt;
  KernelReport r;
  r.kind = KernelReportKind::kHungTask;
  if (!SplitTask(text.substr(task + kTask.size(), blocked - task - kTask.size()), r)) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(blocked + 1);
  if (rest.ends_with('.')) rest.remove_suffix(1);
  r.detail = std::string(rest);
  return r;
}

std::optional<KernelReport> TaskBlocked(std::string_view text) {
  constexpr std::string_view kOn = " is blocked on ";
  constexpr std::string_view kTask = "task ";
  std::size_t task = text.find(kTask);
  if (task == std::string_view::npos) return std::nullopt;
  // The first " is blocked on " after which the words before it end in ":<pid>".
  for (std::size_t on = text.find(kOn, task); on != std::string_view::npos;
       on = text.find(kOn, on + 1)) {
    KernelReport r;
    r.kind = KernelReportKind::kTaskBlocked;
    if (!SplitTask(text.substr(task + kTask.size(), on - task - kTask.size()), r)) continue;
    std::string_view rest = text.substr(on + 1);
    if (rest.ends_with('.')) rest.remove_suffix(1);
    r.detail = std::string(rest);
    return r;
  }
  return std::nullopt;
}

std::optional<KernelReport> SoftLockup(std::string_view text) {
  constexpr std::string_view kLockup = "BUG: soft lockup - CPU#";
  std::size_t at = text.find(kLockup);
  if (at == std::string_view::npos) return std::nullopt;
  KernelReport r;
  r.kind = KernelReportKind::kSoftLockup;
  std::size_t stuck = text.find("stuck for ", at);
  std::size_t bracket =
      stuck == std::string_view::npos ? std::string_view::npos : text.find("s! [", stuck);
  std::string_view cpu = Token(text, at + kLockup.size());
  r.detail = "CPU#" + std::string(cpu);
  if (bracket != std::string_view::npos) {
    r.detail += " " + std::string(text.substr(stuck, bracket + 1 - stuck));
    std::string_view task = text.substr(bracket + 4);
    if (task.ends_with(']')) task.remove_suffix(1);
    SplitTask(task, r);  // a report cut short keeps its kind without the task
  }
  return r;
}

std::optional<KernelReport> OomKill(std::string_view text) {
  // "Out of memory: Killed process", "Memory cgroup out of memory: Killed process", or an older
  // kernel's line of its own: at the start or right after the kernel's ": ".
  constexpr std::string_view kKilled = "Killed process ";
  std::size_t at = text.find(kKilled);
  if (at == std::string_view::npos || (at != 0 && !text.substr(0, at).ends_with("memory: ") &&
                                       !text.substr(0, at).ends_with("): "))) {
    return std::nullopt;
  }
  std::size_t pid_begin = at + kKilled.size();
  std::size_t pid_end = text.find(" (", pid_begin);
  if (pid_end == std::string_view::npos) return std::nullopt;
  auto pid = Pid(text.substr(pid_begin, pid_end - pid_begin));
  if (!pid) return std::nullopt;
  KernelReport r;
  r.kind = KernelReportKind::kOomKill;
  r.pid = *pid;
  // The name ends at the kernel's ") total-vm:" (the last one: the name may hold one too), or
  // at the last ')' of an older or cut-short line.
  std::size_t name_begin = pid_end + 2;
  std::size_t name_end = text.rfind(") total-vm:");
  if (name_end == std::string_view::npos || name_end < name_begin) name_end = text.rfind(')');
  if (name_end == std::string_view::npos || name_end < name_begin) name_end = text.size();
  r.task = std::string(text.substr(name_begin, name_end - name_begin));
  r.detail = Contains(text.substr(0, at), "Memory cgroup") ? "memory cgroup out of memory"
                                                           : "out of memory";
  return r;
}

std::optional<KernelReport> IoError(std::string_view text) {
  KernelReport r;
  r.kind = KernelReportKind::kIoError;
  constexpr std::string_view kBuffer = "Buffer I/O error on dev ";  // fs/buffer.c
  if (text.starts_with(kBuffer)) {
    r.detail = "dev " + std::string(Token(text, kBuffer.size()));
    return r;
  }
  // The block layer's "<what> error, dev <disk>, sector ...", the <what> from its fixed list
  // (blk_errors), once prefixed with "blk_update_request: ". Anchored at the start, so that a
  // task name printed inside another message cannot make one.
  if (text.starts_with("blk_update_request: ")) text.remove_prefix(20);
  for (std::string_view what :
       {"I/O", "critical medium", "critical target", "critical nexus", "critical space allocation",
        "recoverable transport", "critical protection", "critical transport", "timeout",
        "operation not supported", "no space", "target"}) {
    if (!text.starts_with(what) || !text.substr(what.size()).starts_with(" error, dev ")) continue;
    std::string_view device = Token(text, what.size() + 12);
    if (device.empty()) return std::nullopt;
    r.detail = std::string(what) + " error, dev " + std::string(device);
    return r;
  }
  return std::nullopt;
}

}  // namespace

std::optional<KernelReport> RecognizeKernelReport(std::string_view text) {
  // The hung-task detector's lines start with "INFO: task " (a task name is at most 15 bytes, so
  // it cannot hold the longer phrases matched anywhere below).
  if (text.starts_with("INFO: task ")) {
    if (Contains(text, " blocked for more than ")) {
      if (auto r = HungTask(text)) return r;
    }
    if (Contains(text, " is blocked on ")) {
      if (auto r = TaskBlocked(text)) return r;
    }
    return std::nullopt;
  }
  if (text.starts_with("watchdog: BUG: soft lockup") || text.starts_with("BUG: soft lockup")) {
    return SoftLockup(text);
  }
  if (std::size_t at = text.find("detected hard LOCKUP on cpu"); at != std::string_view::npos) {
    KernelReport r;
    r.kind = KernelReportKind::kHardLockup;
    r.detail = "cpu " + std::string(Token(text, at + 28));
    return r;
  }
  for (std::string_view stall :
       {"detected stalls on CPUs/tasks", "self-detected stall on CPU",
        "detected expedited stalls on CPUs/tasks", "detected stalls on tasks"}) {
    if (std::size_t at = text.find(stall); at != std::string_view::npos) {
      KernelReport r;
      r.kind = KernelReportKind::kRcuStall;
      // "rcu: INFO: rcu_preempt detected ...": the flavour before the words.
      std::string_view before = text.substr(0, at);
      while (before.ends_with(' ')) before.remove_suffix(1);
      std::size_t space = before.rfind(' ');
      r.detail = std::string(before.substr(space == std::string_view::npos ? 0 : space + 1)) + " " +
                 std::string(stall);
      return r;
    }
  }
  if (auto r = OomKill(text)) return r;
  if (Contains(text, "Machine check events logged") || Contains(text, "Machine Check Exception")) {
    KernelReport r;
    r.kind = KernelReportKind::kMachineCheck;
    r.detail = Contains(text, "Machine Check Exception") ? "machine check exception"
                                                         : "machine check events logged";
    return r;
  }
  return IoError(text);
}

std::string_view KindText(KernelReportKind kind) {
  switch (kind) {
    case KernelReportKind::kHungTask:
      return "hung task";
    case KernelReportKind::kTaskBlocked:
      return "blocked task";
    case KernelReportKind::kSoftLockup:
      return "soft lockup";
    case KernelReportKind::kHardLockup:
      return "hard lockup";
    case KernelReportKind::kRcuStall:
      return "RCU stall";
    case KernelReportKind::kOomKill:
      return "OOM kill";
    case KernelReportKind::kIoError:
      return "I/O error";
    case KernelReportKind::kMachineCheck:
      return "machine check";
  }
  return {};
}

}  // namespace rh::analysis
