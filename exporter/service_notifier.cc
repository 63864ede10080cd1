#include "exporter/service_notifier.h"

#include <dlfcn.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/log.h"

namespace rh::exporter {
namespace {

// Status lines are one line each.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return;
  library_ = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    LogWarning(std::string("systemd: NOTIFY_SOCKET is set but libsystemd cannot be loaded (") +
               dlerror() + "): no readiness or watchdog notifications");
    return;
  }
  // The declarations of <systemd/sd-daemon.h> give the types the library must have.
  auto notify = reinterpret_cast<decltype(&sd_notify)>(dlsym(library_, "sd_notify"));
  auto watchdog =
      reinterpret_cast<decltype(&sd_watchdog_enabled)>(dlsym(library_, "sd_watchdog_enabled"));
  if (notify == nullptr || watchdog == nullptr) {
    LogWarning("systemd: libsystemd lacks sd_notify: no readiness or watchdog notifications");
    dlclose(library_);
    library_ = nullptr;
    return;
  }
  notify_ = notify;
  std::uint64_t usec = 0;
  if (watchdog(0, &usec) > 0 && usec > 0)
    keep_alive_interval_ = std::chrono::microseconds(usec / 2);
}

ServiceNotifier::~ServiceNotifier() {
  if (library_ != nullptr) dlclose(library_);
}

void ServiceNotifier::Send(const std::string& message) const {
  if (notify_ == nullptr) return;
  if (notify_(0, message.c_str()) < 0) LogWarning("systemd: sd_notify failed: " + message);
}

void ServiceNotifier::Ready(std::string_view status) const {
  Send("READY=1\nSTATUS=" + OneLine(status));
}

void ServiceNotifier::Reloading() const { Send("RELOADING=1"); }

void ServiceNotifier::Stopping() const { Send("STOPPING=1"); }

void ServiceNotifier::Status(std::string_view status) const { Send("STATUS=" + OneLine(status)); }

void ServiceNotifier::KeepAlive() const {
  if (notify_ != nullptr) notify_(0, "WATCHDOG=1");
}

}  // namespace rh::exporter
