#include "tests/support/daemon.h"

#include <sstream>

namespace rh::test {

Daemon::Daemon(std::filesystem::path home, std::vector<std::string> extra_args,
               std::vector<std::string> env, std::chrono::milliseconds ready_timeout,
               std::vector<std::string> launcher, std::vector<std::string> ready_headers)
    : home_path_(home.empty() ? home_.path() : std::move(home)), port_(FreePort()), process_([&] {
        std::vector<std::string> argv = std::move(launcher);
        argv.insert(argv.end(), {BinaryPath("exporter/rogue-hunter").string(), "daemon", "--listen",
                                 "127.0.0.1:" + std::to_string(port_)});
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        Subprocess::Options options;
        options.env = {"HOME=" + home_path_.string(),
                       "XDG_CONFIG_HOME=" + (home_path_ / ".config").string(),
                       "XDG_DATA_HOME=" + (home_path_ / ".local/share").string()};
        options.env.insert(options.env.end(), env.begin(), env.end());
        return Subprocess::Start(argv, options);
      }()) {
  ready_ =
      WaitUntil([&] { return !process_.Running() || Get("/healthz", ready_headers).status == 200; },
                ready_timeout, std::chrono::milliseconds(20)) &&
      process_.Running();
}

std::optional<double> Daemon::Metric(const std::string& series) const {
  return FindMetric(Get("/metrics").body, series);
}

std::optional<double> FindMetric(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace rh::test
