#pragma once

#include <chrono>
#include <string_view>

namespace rh::exporter {

/// Tells systemd how a Type=notify service is doing (sd_notify(3)): ready, reloading, stopping,
/// a status line for `systemctl status`, and the watchdog keep-alives that WatchdogSec= expects.
///
/// libsystemd is loaded (dlopen) only when $NOTIFY_SOCKET says a service manager listens: mapping
/// it and the compression and crypto libraries it pulls in costs about 0.8 MiB of resident memory,
/// which a daemon not run by systemd has no reason to pay. Without $NOTIFY_SOCKET, or when the
/// library cannot be loaded, every call does nothing.
/// Thread-safe (each call is one datagram); not copyable.
class ServiceNotifier {
 public:
  /// Reads $NOTIFY_SOCKET and $WATCHDOG_USEC / $WATCHDOG_PID (through libsystemd).
  ServiceNotifier();
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  bool enabled() const { return notify_ != nullptr; }
  /// Half the watchdog timeout systemd set for this process (WatchdogSec=), or zero when there is
  /// no watchdog: keep-alives must come at least this often.
  std::chrono::microseconds keep_alive_interval() const { return keep_alive_interval_; }

  void Ready(std::string_view status) const;
  void Reloading() const;
  void Stopping() const;
  void Status(std::string_view status) const;
  /// WATCHDOG=1.
  void KeepAlive() const;

 private:
  void Send(const std::string& message) const;

  void* library_ = nullptr;
  int (*notify_)(int, const char*) = nullptr;
  std::chrono::microseconds keep_alive_interval_{0};
};

}  // namespace rh::exporter
