#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace rh::config {

// The daemon's settings, one struct per TOML table. Every key has a default, so an empty file (or
// none at all) is a valid configuration. docs/configuration.md documents each key.

/// Name-value pairs (HTTP headers, alert labels, resource attributes), sorted by name.
using StringPairs = std::vector<std::pair<std::string, std::string>>;

struct Sampling {
  double normal_interval = 5;        ///< Seconds between samples when stress is normal.
  double elevated_interval = 1;      ///< Seconds between samples when stress is elevated.
  double elevation_threshold = 30;   ///< Score at which sampling becomes elevated.
  double recovery_threshold = 20;    ///< Score below which elevated sampling may end (hysteresis).
  double min_elevated_seconds = 30;  ///< Least time spent elevated before returning to normal.
  double critical_threshold = 60;    ///< Score that starts a critical episode (preemptive capture).
  int top_processes = 10;            ///< N of the top-N process lists (the process API's top 10).
};

struct Pause {
  int tick_ms = 20;            ///< Watchdog wake-up period.
  double min_seconds = 1.0;    ///< A clock gap longer than this is a pause.
  bool raise_priority = true;  ///< Try real-time (or negative nice) priority for the watchdog.
  /// How often the machine's progress counters are read to judge a pause's scope; 0: never
  /// (every pause's scope is then unknown).
  int evidence_interval_ms = 500;
  double long_seconds = 10;  ///< A pause this long is a long one (OTLP ERROR, long-pause alert).
};

/// One stress component: its points are min(cap, weight × signal).
struct Component {
  double weight = 0;
  double cap = 0;
};

struct Stress {
  Component load{15, 30};      ///< signal: load1 per core above 1.0
  Component cpu{20, 20};       ///< signal: PSI cpu some avg10 (0-1)
  Component io{30, 30};        ///< signal: max(PSI io some+full, iowait share, I/O burst)
  Component memory{40, 40};    ///< signal: max(PSI memory some+full, low available, swap traffic)
  Component thermal{10, 10};   ///< signal: 1 while CPUs throttle
  Component latency{20, 20};   ///< signal: worst watchdog overshoot / latency_full_scale_seconds
  double io_burst_factor = 4;  ///< I/O above factor × baseline is a burst.
  double io_baseline_floor_bytes = 1 << 20;        ///< Baseline never below this (bytes/s).
  double memory_low_available_ratio = 0.10;        ///< Available below this share counts.
  double memory_swap_full_scale_bytes = 10 << 20;  ///< Swap traffic (bytes/s) that counts fully.
  double latency_full_scale_seconds = 0.25;        ///< Overshoot that counts fully.
};

struct Retention {
  int samples_days = 30;
  int events_days = 90;
};

struct Storage {
  bool enabled = true;
  std::string data_dir;  ///< Resolved: storage.data_dir, else $XDG_DATA_HOME/rogue-hunter, else
                         ///< ~/.local/share/rogue-hunter.
  std::string database;  ///< Resolved: storage.database, else <data_dir>/data.db.
};

struct Http {
  std::string listen = "127.0.0.1:9795";
  int threads = 1100;             ///< Connections served at once (one worker thread each).
  int request_timeout_ms = 5000;  ///< Deadline for receiving a request's headers.
  std::string web_config_file;    ///< TLS and basic auth (exporter-toolkit YAML); empty: none.
};

/// The process API and its kill action (docs/api.md).
struct Process {
  bool redact_arguments = true;          ///< Command lines in the API keep only argv[0].
  double history_hours = 48;             ///< How long per-process history is kept.
  double history_interval_seconds = 60;  ///< Least time between two history rows of a process.
  bool kill_enabled = false;
  std::string kill_token_file;          ///< Bearer token for POST .../kill; empty: basic auth only.
  double kill_grace_seconds = 5;        ///< Between SIGTERM and SIGKILL.
  std::vector<std::string> kill_hosts;  ///< Accepted Host headers; empty: the listen address.
  /// Never killed: globs on the process name and the executable's path and base name.
  std::vector<std::string> kill_protected = {
      "init",    "systemd",     "systemd-*",   "sshd",         "dbus-daemon", "dbus-broker",
      "Xorg",    "Xwayland",    "gnome-shell", "kwin_*",       "sway",        "gdm*",
      "sddm*",   "lightdm*",    "login",       "agetty",       "postgres",    "postmaster",
      "mysqld",  "mariadbd",    "mongod",      "redis-server", "containerd",  "dockerd",
      "kubelet", "rogue-hunter"};
  // The allowlist: a process may be killed only if it matches every non-empty list (globs).
  std::vector<std::string> kill_allow_comm;     ///< On the process name.
  std::vector<std::string> kill_allow_exe;      ///< On the executable's full path.
  std::vector<std::string> kill_allow_users;    ///< User names or numeric uids.
  std::vector<std::string> kill_allow_cgroups;  ///< On the cgroup path.
};

struct Forensics {
  bool enabled = true;
  std::string events_dir;            ///< Resolved: forensics.events_dir, else <data_dir>/events.
  double min_interval_seconds = 30;  ///< Least time between two automatic captures.
  std::int64_t max_total_bytes = 512
                                 << 20;  ///< Cap on the events directory; oldest bundles go first.
  int read_timeout_ms = 500;             ///< Bound on each /proc read during a capture.
  double window_before_seconds = 120;    ///< Flight-recorder samples kept before the event.
};

struct KernelLog {
  bool enabled = true;  ///< Follow /dev/kmsg and recognise the kernel's stall reports.
  /// Also recognise records written to /dev/kmsg from user space (facility other than kernel):
  /// a report of a kernel stall only ever comes from the kernel; this is for testing.
  bool accept_user_records = false;
  int max_events_per_minute = 10;  ///< History events per report kind and minute; all count.
};

/// A PSI trigger: "some|full <stall µs> <window µs>" (Documentation/accounting/psi.rst); the
/// empty string means none.
struct PressureTriggers {
  bool enabled = true;
  std::string cpu = "some 500000 1000000";
  std::string io = "some 150000 1000000";
  std::string memory = "some 150000 1000000";
  /// Above these, a capture is taken at once (before a freeze), rate-limited like the others.
  std::string cpu_critical;
  std::string io_critical = "full 500000 1000000";
  std::string memory_critical = "full 500000 1000000";
  int poll_interval_ms = 1000;  ///< Where triggers are refused: how often the totals are read.
  bool use_triggers = true;     ///< False: poll the totals even where triggers work.
};

struct Cgroups {
  bool enabled = true;     ///< Read the cgroup v2 hierarchy: pressure, memory and CPU per cgroup.
  int top = 5;             ///< N of the top-N cgroup lists.
  int max_cgroups = 2000;  ///< Cgroups read per pass at most.
  int max_depth = 8;       ///< Levels below the root.
};

/// Where the daemon logs (docs/configuration.md, [logging]).
struct Logging {
  std::string file;  ///< Empty: stderr (the journal under systemd). Else a file, rotated by size.
  std::int64_t max_bytes = 10 << 20;  ///< The file is rotated before it grows past this.
  int max_files = 3;                  ///< Rotated files kept (file.1 ... file.N).
};

/// [self_limits]: budgets for the daemon's own cost, and how it backs off above them
/// (docs/configuration.md).
struct SelfLimits {
  bool enabled = true;
  double cpu_share = 0.05;                  ///< Of one CPU, averaged over window_seconds.
  std::int64_t resident_bytes = 256 << 20;  ///< Resident memory (RSS).
  int open_fds = 1024;                      ///< Open file descriptors.
  double window_seconds = 60;               ///< The CPU share is averaged over this.
  double hold_seconds = 300;                ///< Least time a back-off lasts.
  /// While backing off, the process table is scanned at most this often.
  double backoff_scan_interval_seconds = 60;
};

struct Suspects {
  std::vector<std::string> patterns;  ///< Case-insensitive substrings of comm or command line.
};

/// [otel]: pauses and other events as OTLP/HTTP JSON log records (docs/otel.md). A key left
/// unset may come from the standard OTEL_* environment variables (exporter/otel/settings.h); a
/// key set here wins over them.
struct Otel {
  std::string endpoint;           ///< The logs URL, used as is; empty: unset.
  StringPairs headers;            ///< Sent with every request. Values are secrets: never shown.
  std::optional<int> timeout_ms;  ///< Bound on a whole request; unset: environment or 10000.
  int connect_timeout_ms = 2000;
  std::string compression;   ///< "gzip" or "none"; empty: unset.
  std::string service_name;  ///< Empty: unset.
  StringPairs resource_attributes;
  int queue_size = 2048;     ///< Records kept while the collector is away; the oldest go first.
  int max_batch_size = 512;  ///< Records per request.
  int batch_delay_ms = 200;  ///< Wait after the first record for others to join its request.
  int retry_initial_backoff_ms = 1000;
  int retry_max_backoff_ms = 30000;
};

/// [alertmanager]: a pause posted to Alertmanager's /api/v2/alerts at once (docs/otel.md).
struct Alertmanager {
  std::string url;              ///< Alertmanager's base URL; empty: off.
  StringPairs labels;           ///< Added to the alert's labels; may replace job and instance.
  std::string generator_url;    ///< Empty: http://<host name>:<http.listen port>/.
  double active_seconds = 600;  ///< The alert ends this long after the pause (as the rule's 10m).
  double resend_interval_seconds = 60;  ///< Re-posted this often while active.
  int timeout_ms = 5000;
  int connect_timeout_ms = 2000;
  std::string basic_auth_username;
  std::string basic_auth_password;  ///< Secret: never shown.
  std::string bearer_token;         ///< Secret: never shown.
};

struct Config {
  Sampling sampling;
  Pause pause;
  Stress stress;
  Retention retention;
  Storage storage;
  Http http;
  Forensics forensics;
  Suspects suspects;
  KernelLog kernel_log;
  PressureTriggers pressure_triggers;
  Cgroups cgroups;
  Process process;
  Otel otel;
  Alertmanager alertmanager;
  Logging logging;
  SelfLimits self_limits;
  std::string source;  ///< The file it was read from; empty for built-in defaults.
};

/// A listen address as in "127.0.0.1:9795".
struct ListenAddress {
  std::string host;  ///< Dotted IPv4.
  int port = 0;
};

/// A parsed PSI trigger.
struct PsiTrigger {
  bool full = false;
  std::int64_t stall_us = 0;
  std::int64_t window_us = 0;
};
/// Validates "some|full <stall µs> <window µs>": window 500000–10000000 µs, stall 1–window.
Result<PsiTrigger> ParsePsiTrigger(std::string_view text);

/// Validates IPV4:PORT. Host names are refused so the bound address never depends on DNS; IPv6
/// is refused because the HTTP server library (Debian's civetweb) is built without it.
Result<ListenAddress> ParseListen(std::string_view text);

/// ~/.config/rogue-hunter/config.toml (honouring $XDG_CONFIG_HOME).
std::filesystem::path DefaultConfigPath();

/// Defaults with the paths resolved.
Config Defaults();

/// Parses TOML text. `source_name` prefixes every error: "<source>:<line>:<column>: <key>: <what>".
/// Several problems give one line each. Syntax errors, unknown keys or tables, wrong types and
/// out-of-range values are all errors; nothing is partially applied.
Result<Config> Parse(std::string_view text, std::string_view source_name);

/// Reads and parses a file. With `must_exist` false (the default path), a missing file means
/// defaults; with it true (an explicit --config), it is an error.
Result<Config> Load(const std::filesystem::path& path, bool must_exist);

/// The effective configuration as TOML, every key included (for `config show` and the bundle's
/// config digest), except secrets: header values, passwords and tokens appear only as a comment
/// saying that they are set.
std::string ToToml(const Config& config);

/// Checks an http:// or https:// URL with a host, and no user name or password in it (they would
/// be shown and logged; use the headers or the auth keys instead).
Status CheckHttpUrl(std::string_view url);

/// An HTTP header name (RFC 9110 token).
bool IsHeaderName(std::string_view name);
/// An HTTP header value: no control characters (CR and LF would inject headers).
bool IsHeaderValue(std::string_view value);

}  // namespace rh::config
