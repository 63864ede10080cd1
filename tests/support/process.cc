#include "tests/support/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.h"

namespace rh::test {
namespace {

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::filesystem::path MakeOutputDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/rh-proc-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  return pattern;
}

}  // namespace

Subprocess Subprocess::Start(const std::vector<std::string>& argv, const Options& options) {
  Subprocess p;
  std::filesystem::path dir = options.output_dir;
  if (dir.empty()) {
    dir = MakeOutputDir();
    p.owned_dir_ = dir;
  }
  static int counter = 0;
  std::string stem =
      std::filesystem::path(argv.at(0)).filename().string() + "." + std::to_string(++counter);
  p.stdout_path_ = dir / (stem + ".out");
  p.stderr_path_ = dir / (stem + ".err");

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  auto overridden = [&](std::string_view entry) {
    for (const auto& e : options.env) {
      auto eq = e.find('=');
      if (entry.substr(0, entry.find('=')) == std::string_view(e).substr(0, eq)) return true;
    }
    return false;
  };
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden(*e)) env_strings.emplace_back(*e);
  }
  for (const auto& e : options.env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_fd = open(p.stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open(p.stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  if (pid < 0) ADD_FAILURE() << "fork failed: " << std::strerror(errno);
  p.pid_ = pid;
  return p;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(other.pid_),
      status_(other.status_),
      stdout_path_(std::move(other.stdout_path_)),
      stderr_path_(std::move(other.stderr_path_)),
      owned_dir_(std::move(other.owned_dir_)) {
  other.pid_ = -1;
  other.owned_dir_.clear();
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (!owned_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(owned_dir_, ec);
  }
}

bool Subprocess::Running() {
  if (status_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = DecodeStatus(status);
    return false;
  }
  return r == 0;
}

void Subprocess::Signal(int signal) const {
  if (pid_ > 0 && !status_) kill(pid_, signal);
}

std::optional<int> Subprocess::WaitExit(std::chrono::milliseconds timeout) {
  WaitUntil([this] { return !Running(); }, timeout, 10ms);
  return status_;
}

int Subprocess::Stop(std::chrono::milliseconds grace) {
  if (status_) return *status_;
  Signal(SIGCONT);
  Signal(SIGTERM);
  if (auto code = WaitExit(grace)) return *code;
  Signal(SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  status_ = DecodeStatus(status);
  return *status_;
}

std::string Subprocess::Stdout() const { return Slurp(stdout_path_); }
std::string Subprocess::Stderr() const { return Slurp(stderr_path_); }

RunResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
              const std::string& stdin_text) {
  RunResult result;
  std::vector<std::string> command = argv;
  TempDir dir;
  if (!stdin_text.empty()) {
    // Feed stdin through a file: simple, and no pipe can fill up.
    auto input = dir.Write("stdin", stdin_text);
    command = {"/bin/sh", "-c", "exec \"$0\" \"$@\" < \"$RH_STDIN\""};
    command.insert(command.end(), argv.begin(), argv.end());
    Subprocess::Options options{{"RH_STDIN=" + input.string()}, dir.path(), {}};
    Subprocess p = Subprocess::Start(command, options);
    auto code = p.WaitExit(timeout);
    result.exit_code = code.value_or(-1);
    if (!code) p.Stop(0ms);
    result.out = p.Stdout();
    result.err = p.Stderr();
    return result;
  }
  Subprocess p = Subprocess::Start(command, {{}, dir.path(), {}});
  auto code = p.WaitExit(timeout);
  result.exit_code = code.value_or(-1);
  if (!code) p.Stop(0ms);
  result.out = p.Stdout();
  result.err = p.Stderr();
  return result;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot find a free port";
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool HaveProgram(const std::string& name) {
  return Run({"/bin/sh", "-c", "command -v \"$0\" >/dev/null", name}, 10000ms).exit_code == 0;
}

std::uint64_t OwnContextSwitches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_nvcsw + usage.ru_nivcsw);
}

}  // namespace rh::test
