#include "exporter/process_killer.h"

#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
// glibc 2.36's <sys/pidfd.h> lacks its C linkage block (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "collectors/process_detail.h"
#include "forensics/capture/process_table.h"
#include "forensics/redaction.h"

namespace rh::exporter {
namespace {

// Closes a descriptor on scope exit.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool Glob(const std::string& pattern, std::string_view value) {
  return fnmatch(pattern.c_str(), std::string(value).c_str(), 0) == 0;
}

// The first pattern matching one of `values`, or null.
const std::string* FirstMatch(const std::vector<std::string>& patterns,
                              std::initializer_list<std::string_view> values) {
  for (const auto& pattern : patterns) {
    for (std::string_view value : values) {
      if (!value.empty() && Glob(pattern, value)) return &pattern;
    }
  }
  return nullptr;
}

// Waits until the pidfd reports the process's exit, at most `timeout`. True when it exited.
bool WaitExit(int pidfd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{pidfd, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

KillOutcome Outcome(KillResult result, int status, std::string message) {
  KillOutcome o;
  o.result = result;
  o.status = status;
  o.message = std::move(message);
  return o;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

// What was read about the target, through its /proc directory.
struct ProcessKiller::Target {
  std::int32_t pid = 0;
  collectors::ProcessStat stat;
  std::string exe;
  std::string cgroup;
  std::optional<std::uint32_t> uid;
  std::optional<std::string> user;
};

ProcessKiller::ProcessKiller(Options options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

double ProcessKiller::Now() const { return static_cast<double>(clock_.Now().realtime_ns) / 1e9; }

Result<std::int64_t> ProcessKiller::Audit(const forensics::KillAuditRow& row) {
  std::lock_guard lock(store_mutex_);
  if (!store_) {
    forensics::Store::Options o;
    o.durable = true;
    o.busy_timeout_ms = 2000;
    o.now = Now();
    o.max_page_count = options_.max_page_count;
    auto opened = forensics::Store::Open(options_.database, o);
    if (!opened.ok()) return opened.error();
    store_ = std::move(opened).value();
  }
  auto id = store_->AppendKillAudit(row);
  if (!id.ok()) store_.reset();  // reopen next time: the file may have been replaced or fixed
  return id;
}

void ProcessKiller::Finish(std::int64_t id, const KillOutcome& outcome) {
  std::lock_guard lock(store_mutex_);
  Status s = store_ ? store_->FinishKillAudit(id, Name(outcome.result), outcome.message,
                                              Join(outcome.signals), Now())
                    : Status(Error{"the audit database is closed"});
  if (!s.ok())
    LogError("kill: cannot record the outcome of audit row " + std::to_string(id) + ": " +
             s.error().message);
}

bool ProcessKiller::AuditRefusal(const KillRequest& request, KillResult result,
                                 std::string_view reason) {
  forensics::KillAuditRow row;
  row.time = Now();
  row.client = request.client;
  row.principal = request.principal;
  row.pid = request.pid;
  row.boot_id = options_.boot_id;
  row.force = request.force;
  row.decision = "refused";
  row.result = std::string(Name(result));
  row.reason = std::string(reason);
  row.finished_time = row.time;
  auto id = Audit(row);
  if (!id.ok()) LogError("kill: audit failed: " + id.error().message);
  return id.ok();
}

std::optional<std::string> ProcessKiller::Refusal(const Target& t) const {
  const config::Process& p = options_.policy;
  if (t.pid == 1) return "pid 1 (init) is never killed";
  if (t.pid == getpid()) return "the daemon does not kill itself";
  if (t.pid == getppid()) return "the daemon does not kill its parent";
  if ((t.stat.flags & collectors::kProcessFlagKernelThread) != 0 || t.pid == 2 ||
      t.stat.ppid == 2) {
    return "kernel threads are never killed";
  }
  const std::string exe_base = forensics::BaseName(t.exe);
  if (const std::string* pattern = FirstMatch(p.kill_protected, {t.stat.comm, t.exe, exe_base})) {
    return "protected by process.kill_protected \"" + *pattern + "\"";
  }
  struct Check {
    const std::vector<std::string>& patterns;
    std::vector<std::string_view> values;
    const char* key;
  };
  const std::string uid = t.uid ? std::to_string(*t.uid) : "";
  const Check checks[] = {
      {p.kill_allow_comm, {t.stat.comm}, "kill_allow_comm"},
      {p.kill_allow_exe, {t.exe}, "kill_allow_exe"},
      {p.kill_allow_users, {t.user.value_or(""), uid}, "kill_allow_users"},
      {p.kill_allow_cgroups, {t.cgroup}, "kill_allow_cgroups"},
  };
  for (const Check& c : checks) {
    if (c.patterns.empty()) continue;
    bool matched = false;
    for (const auto& pattern : c.patterns) {
      for (std::string_view value : c.values)
        matched = matched || (!value.empty() && Glob(pattern, value));
    }
    if (!matched) return std::string("not in the allowlist (process.") + c.key + ")";
  }
  return std::nullopt;
}

KillOutcome ProcessKiller::Kill(const KillRequest& request) {
  if (busy_.exchange(true)) {
    return Outcome(KillResult::kRateLimited, 429, "another kill is under way; try again");
  }
  struct Release {
    std::atomic<bool>& busy;
    ~Release() { busy = false; }
  } release{busy_};

  forensics::KillAuditRow row;
  row.time = Now();
  row.client = request.client;
  row.principal = request.principal;
  row.pid = request.pid;
  row.boot_id = options_.boot_id;
  row.force = request.force;
  // Refusals are audited with what is known; the answer is the refusal, or audit_failed.
  auto refuse = [&](KillResult result, int status, std::string message) {
    row.decision = "refused";
    row.result = std::string(Name(result));
    row.reason = message;
    row.finished_time = Now();
    KillOutcome o = Outcome(result, status, std::move(message));
    o.name = row.comm;
    auto id = Audit(row);
    if (!id.ok()) {
      LogError("kill: audit failed: " + id.error().message);
      return Outcome(KillResult::kAuditFailed, 500,
                     "the audit row could not be written; nothing was signalled");
    }
    o.audit_id = *id;
    return o;
  };

  // 1. A pidfd first, then the /proc directory, then proof both are the same live process.
  Descriptor pidfd(pidfd_open(request.pid, 0));
  if (pidfd.get() < 0) return refuse(KillResult::kNotFound, 404, "Process not found");
  Descriptor dir(collectors::OpenProcessDirectory(options_.root, request.pid));
  if (dir.get() < 0) return refuse(KillResult::kNotFound, 404, "Process not found");
  if (pidfd_send_signal(pidfd.get(), 0, nullptr, 0) != 0 && errno == ESRCH) {
    return refuse(KillResult::kNotFound, 404, "Process not found");
  }
  bool missing = false;
  auto files = collectors::ReadProcessFiles(options_.root, request.pid, dir.get(), 0, &missing);
  if (!files.ok()) return refuse(KillResult::kNotFound, 404, "Process not found");

  Target target;
  target.pid = request.pid;
  target.stat = files->stat;
  target.exe = files->exe.value_or("");
  target.cgroup = forensics::CgroupPath(files->cgroup);
  target.uid = forensics::ParseStatusUid(files->status);
  if (target.uid && options_.user_name) target.user = options_.user_name(*target.uid);
  row.start_ticks = target.stat.start_ticks;
  row.comm = target.stat.comm;
  row.exe = target.exe;

  // 2. Policy, then identity.
  if (auto why = Refusal(target)) return refuse(KillResult::kForbidden, 403, *why);
  if (request.expected_boot_id && *request.expected_boot_id != options_.boot_id) {
    return refuse(KillResult::kIdentityMismatch, 409,
                  "the process was observed in another boot; nothing was signalled");
  }
  if (!request.expected_start_ticks) {
    return refuse(KillResult::kIdentityMismatch, 409,
                  "no start time to check the process's identity against (pass start_ticks)");
  }
  if (*request.expected_start_ticks != target.stat.start_ticks) {
    return refuse(KillResult::kIdentityMismatch, 409,
                  "pid " + std::to_string(request.pid) +
                      " now belongs to another process (start time differs); nothing was "
                      "signalled");
  }
  if (target.stat.state == 'Z') {
    return refuse(KillResult::kNotFound, 404,
                  "the process has already exited (a zombie waiting for its parent)");
  }

  // 3. The durable audit row before any signal.
  row.decision = "allowed";
  row.result = "pending";
  row.reason = "allowed";
  auto id = Audit(row);
  if (!id.ok()) {
    LogError("kill: audit failed, pid " + std::to_string(request.pid) +
             " not signalled: " + id.error().message);
    return Outcome(KillResult::kAuditFailed, 500,
                   "the audit row could not be written; nothing was signalled");
  }

  // 4. Signals through the pidfd, exits confirmed through it.
  KillOutcome o;
  o.audit_id = *id;
  o.name = target.stat.comm;
  auto send = [&](int signal, const char* name) {
    if (pidfd_send_signal(pidfd.get(), signal, nullptr, 0) == 0) {
      o.signals.emplace_back(name);
      return 0;
    }
    return errno;
  };
  const int first = request.force ? SIGKILL : SIGTERM;
  if (int err = send(first, request.force ? "SIGKILL" : "SIGTERM"); err != 0) {
    o = err == ESRCH
            ? Outcome(KillResult::kNotFound, 404, "the process exited before it was signalled")
        : err == EPERM ? Outcome(KillResult::kFailed, 400,
                                 "Permission denied - insufficient privileges (may need root)")
                       : Outcome(KillResult::kFailed, 500,
                                 std::string("signal failed: ") + std::strerror(err));
    o.audit_id = *id;
    o.name = target.stat.comm;
    Finish(*id, o);
    return o;
  }
  o.forced = request.force;
  const auto grace = std::chrono::milliseconds(
      static_cast<std::int64_t>(options_.policy.kill_grace_seconds * 1000));
  bool exited = WaitExit(pidfd.get(), request.force ? options_.exit_wait : grace);
  if (!exited && !request.force) {
    if (send(SIGKILL, "SIGKILL") == 0) o.forced = true;
    exited = WaitExit(pidfd.get(), options_.exit_wait);
  }
  const std::string who =
      "Process " + target.stat.comm + " (PID: " + std::to_string(request.pid) + ")";
  if (exited) {
    o.result = o.forced ? KillResult::kKilled : KillResult::kTerminated;
    o.status = 200;
    o.message = who + (o.forced ? " killed" : " terminated") + " successfully";
  } else {
    o.result = KillResult::kFailed;
    o.status = 500;
    o.message = who + " did not exit after SIGKILL (stuck in the kernel?)";
  }
  Finish(*id, o);
  return o;
}

}  // namespace rh::exporter
