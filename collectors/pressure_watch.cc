#include "collectors/pressure_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/cgroupfs.h"
#include "collectors/pressure.h"

namespace rh::collectors {
namespace {

constexpr std::int64_t kTwoSecondsUs = 2'000'000;

// Registers a trigger on `path`; its descriptor, or -1 with `error` set.
int Register(const std::filesystem::path& path, const PressureTriggerSpec& spec,
             std::string* error) {
  int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = path.string() + ": " + std::strerror(errno);
    return -1;
  }
  const std::string text = TriggerText(spec.full, spec.stall_us, spec.window_us);
  // The kernel reads the line up to its NUL.
  if (write(fd, text.c_str(), text.size() + 1) < 0) {
    *error = path.string() + ": \"" + text + "\": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string TriggerText(bool full, std::int64_t stall_us, std::int64_t window_us) {
  return std::string(full ? "full " : "some ") + std::to_string(stall_us) + " " +
         std::to_string(window_us);
}

PressureTriggerSpec Unprivileged(const PressureTriggerSpec& spec) {
  PressureTriggerSpec out = spec;
  out.window_us = (spec.window_us + kTwoSecondsUs - 1) / kTwoSecondsUs * kTwoSecondsUs;
  out.stall_us = spec.stall_us * out.window_us / spec.window_us;
  return out;
}

bool StallWindow::Add(std::int64_t now_ns, std::uint64_t total_us) {
  totals_.emplace_back(now_ns, total_us);
  // Keep one reading at or before the window's start, as the baseline.
  while (totals_.size() > 2 && totals_[1].first <= now_ns - window_ns_) totals_.pop_front();
  const auto& [since_ns, since_total] = totals_.front();
  if (since_ns >= now_ns) return false;
  const std::uint64_t grown = total_us >= since_total ? total_us - since_total : 0;
  if (grown < static_cast<std::uint64_t>(stall_us_)) return false;
  if (last_fired_ns_ && now_ns - *last_fired_ns_ < window_ns_) return false;
  last_fired_ns_ = now_ns;
  return true;
}

struct PressureWatch::Polled {
  Polled(const ProcRoot& root, std::string relative, const PressureTriggerSpec& spec)
      : file(root, "proc", std::move(relative)), window(spec.stall_us, spec.window_us) {}
  KernelFile file;
  StallWindow window;
};

PressureWatch::PressureWatch(const ProcRoot& root, const Clock& clock, Options options,
                             Handler handler)
    : root_(root), clock_(clock), options_(std::move(options)), handler_(std::move(handler)) {
  // The v2 root cgroup's pressure files are the system's, and take unprivileged triggers.
  std::optional<TreePath> cgroup_root;
  if (auto mountinfo = ReadWholeFile(root_, "proc", "self/mountinfo", 1 << 20)) {
    auto mounts = ParseMountInfo(*mountinfo);
    if (const MountInfo* v2 = FindCgroup2(mounts)) cgroup_root = CgroupDirectory(root_, *v2, "/");
  }
  for (const auto& spec : options_.triggers) {
    auto w = std::make_unique<Watched>();
    w->spec = spec;
    w->effective = spec;
    const std::string resource(kPsiResourceNames[static_cast<int>(spec.resource)]);
    const std::string relative = "pressure/" + resource;
    int fd = -1;
    std::string why;
    if (root_.proc() != ProcRoot::DefaultProc()) {
      // A fixture tree or a bundle: regular files, which would take the line and never fire.
      why = "triggers need the kernel's own files";
    } else if (options_.use_triggers) {
      fd = Register(root_.Proc(relative), spec, &why);
      if (fd >= 0) {
        w->source = root_.Proc(relative).string();
      } else if (cgroup_root) {
        std::string also;
        const PressureTriggerSpec unprivileged = Unprivileged(spec);
        const auto path = root_.Path(cgroup_root->Child(resource + ".pressure"));
        fd = Register(path, unprivileged, &also);
        if (fd >= 0) {
          w->effective = unprivileged;
          w->source = path.string();
        } else {
          why += "; " + also;
        }
      }
    } else {
      why = "triggers are off (pressure_triggers.use_triggers)";
    }
    fds_.push_back(fd);
    polled_.emplace_back();
    if (fd >= 0) {
      w->mode = PressureWatchMode::kTrigger;
    } else {
      StartPolling(*w, why);
    }
    watched_.push_back(std::move(w));
  }
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    if (watched_[i]->mode == PressureWatchMode::kPolling) {
      const std::string resource(kPsiResourceNames[static_cast<int>(watched_[i]->spec.resource)]);
      polled_[i] = std::make_unique<Polled>(root_, "pressure/" + resource, watched_[i]->effective);
    }
  }
}

bool PressureWatch::StartPolling(Watched& w, const std::string& why) {
  const std::string resource(kPsiResourceNames[static_cast<int>(w.spec.resource)]);
  KernelFile probe(root_, "proc", "pressure/" + resource);
  auto text = probe.Read();
  auto parsed = text ? ParsePressure(*text) : Result<PsiResource>(text.error());
  if (!parsed || (w.spec.full ? !parsed->full : !parsed->some)) {
    w.mode = PressureWatchMode::kUnavailable;
    w.source = parsed ? probe.path() + ": no \"" + (w.spec.full ? "full" : "some") + "\" line"
                      : parsed.error().message;
    return false;
  }
  w.mode = PressureWatchMode::kPolling;
  w.effective = w.spec;
  w.source = probe.path() + " (" + why + ")";
  return true;
}

PressureWatch::~PressureWatch() {
  Stop();
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
  if (stop_fd_ >= 0) close(stop_fd_);
}

Status PressureWatch::Start() {
  if (thread_.joinable() || watched_.empty()) return {};
  if (stop_fd_ < 0) stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0)
    return Error{std::string("pressure triggers: eventfd: ") + std::strerror(errno)};
  thread_ = std::thread([this] { Run(); });
  return {};
}

void PressureWatch::Stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  ssize_t n = write(stop_fd_, &one, sizeof(one));
  (void)n;
  thread_.join();
}

void PressureWatch::Fire(Watched& w, std::int64_t now_ns) {
  w.firings.fetch_add(1, std::memory_order_relaxed);
  if (handler_) handler_({&w, now_ns});
}

void PressureWatch::Poll(std::int64_t now_ns) {
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    if (!polled_[i]) continue;
    Watched& w = *watched_[i];
    Polled& p = *polled_[i];
    auto text = p.file.Read();
    if (!text) continue;
    auto parsed = ParsePressure(*text);
    if (!parsed) continue;
    const auto& line = w.spec.full ? parsed->full : parsed->some;
    if (!line) continue;
    if (p.window.Add(now_ns, line->total_us)) Fire(w, now_ns);
  }
}

void PressureWatch::Run() {
  bool polling = false;
  for (const auto& p : polled_) polling = polling || p != nullptr;
  if (polling) Poll(clock_.Now().monotonic_ns);
  auto next_poll = std::chrono::steady_clock::now() + options_.poll_interval;
  for (;;) {
    std::vector<pollfd> fds = {{stop_fd_, POLLIN, 0}};
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      if (fds_[i] < 0) continue;
      fds.push_back({fds_[i], POLLPRI, 0});
      which.push_back(i);
    }
    int timeout = -1;
    if (polling) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          next_poll - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;
    const std::int64_t now = clock_.Now().monotonic_ns;
    for (std::size_t k = 1; k < fds.size(); ++k) {
      const std::size_t i = which[k - 1];
      if ((fds[k].revents & (POLLERR | POLLNVAL)) != 0) {
        // The trigger went away (its cgroup was removed): go on by polling.
        close(fds_[i]);
        fds_[i] = -1;
        if (StartPolling(*watched_[i], "the trigger failed")) {
          const std::string resource(
              kPsiResourceNames[static_cast<int>(watched_[i]->spec.resource)]);
          polled_[i] =
              std::make_unique<Polled>(root_, "pressure/" + resource, watched_[i]->effective);
          polling = true;
        }
      } else if ((fds[k].revents & POLLPRI) != 0) {
        Fire(*watched_[i], now);
      }
    }
    if (polling && std::chrono::steady_clock::now() >= next_poll) {
      Poll(now);
      next_poll += options_.poll_interval;
      if (next_poll < std::chrono::steady_clock::now()) {
        next_poll = std::chrono::steady_clock::now() + options_.poll_interval;
      }
    }
  }
}

}  // namespace rh::collectors
