#include "collectors/kmsg.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include "base/log.h"
#include "collectors/text.h"

namespace rh::collectors {
namespace {

constexpr std::size_t kMaxDictionary = 16;
constexpr std::string_view kCursorHeader = "rogue-hunter kernel-log cursor 1";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ReadSmallFile(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {};
  std::string out(4096, '\0');
  ssize_t n = read(fd, out.data(), out.size());
  close(fd);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// Writes `content` next to `path` and renames it over: a reader sees the old or the new cursor.
bool WriteSmallFile(const std::filesystem::path& path, std::string_view content) {
  const std::string temporary = path.string() + ".tmp";
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = close(fd) == 0 && ok;
  if (!ok || rename(temporary.c_str(), path.c_str()) != 0) {
    unlink(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace

Result<KmsgRecord> ParseKmsgRecord(std::string_view record) {
  std::size_t semicolon = record.find(';');
  std::size_t newline = record.find('\n');
  if (semicolon == std::string_view::npos || newline < semicolon) {
    return Error{"kmsg record without ';'"};
  }
  std::string_view header = record.substr(0, semicolon);
  std::array<std::string_view, 4> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::size_t comma = header.find(',');
    if (comma == std::string_view::npos && i < 3) {
      return Error{"kmsg record header \"" + std::string(record.substr(0, semicolon)) +
                   "\" has fewer than 4 fields"};
    }
    fields[i] = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
  }
  auto prio = ParseNumber<unsigned>(fields[0]);
  auto seq = ParseNumber<std::uint64_t>(fields[1]);
  auto usec = ParseNumber<std::int64_t>(fields[2]);
  if (!prio || !seq || !usec || fields[3].empty()) {
    return Error{"kmsg record header \"" + std::string(record.substr(0, semicolon)) +
                 "\" is not prio,seq,usec,flags"};
  }
  // The kernel's monotonic clock in µs: never negative, and far below the ~146 years past
  // which nanoseconds plus a wall-clock offset would not fit an int64.
  constexpr std::int64_t kMaxUsec = std::numeric_limits<std::int64_t>::max() / 2000;
  if (*usec < 0 || *usec > kMaxUsec) {
    return Error{"kmsg record timestamp " + std::string(fields[2]) + " µs is out of range"};
  }
  KmsgRecord r;
  r.level = static_cast<int>(*prio & 7);
  r.facility = static_cast<int>(*prio >> 3);
  r.sequence = *seq;
  r.usec = *usec;
  r.flags = fields[3][0];
  std::string_view rest = record.substr(semicolon + 1);
  auto text = NextLine(rest);
  r.text = std::string(text.value_or(std::string_view{}));
  while (auto line = NextLine(rest)) {
    if (line->empty() || line->front() != ' ') continue;
    line->remove_prefix(1);
    std::size_t eq = line->find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    if (r.dictionary.size() == kMaxDictionary) break;
    r.dictionary.emplace_back(std::string(line->substr(0, eq)), std::string(line->substr(eq + 1)));
  }
  return r;
}

std::string UnescapeKmsg(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
      int high = HexDigit(text[i + 2]), low = HexDigit(text[i + 3]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::optional<KmsgCursor> ParseKmsgCursor(std::string_view text) {
  auto header = NextLine(text);
  if (!header || *header != kCursorHeader) return std::nullopt;
  KmsgCursor c;
  bool have_boot = false, have_sequence = false;
  while (auto line = NextLine(text)) {
    std::string_view fields = *line;
    std::string_view key = NextToken(fields);
    std::string_view value = NextToken(fields);
    if (key == "boot_id" && !value.empty()) {
      c.boot_id = std::string(value);
      have_boot = true;
    } else if (key == "sequence") {
      auto n = ParseNumber<std::uint64_t>(value);
      if (!n) return std::nullopt;
      c.sequence = *n;
      have_sequence = true;
    }
  }
  if (!have_boot || !have_sequence) return std::nullopt;
  return c;
}

std::string FormatKmsgCursor(const KmsgCursor& c) {
  return std::string(kCursorHeader) + "\nboot_id " + c.boot_id + "\nsequence " +
         std::to_string(c.sequence) + "\n";
}

KernelLogFollower::KernelLogFollower(Options options, Handler handler, Stats& stats)
    : options_(std::move(options)), handler_(std::move(handler)), stats_(stats) {}

KernelLogFollower::~KernelLogFollower() {
  Stop();
  if (stop_fd_ >= 0) close(stop_fd_);
}

Status KernelLogFollower::Start() {
  if (thread_.joinable()) return {};
  if (stop_fd_ < 0) stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return Error{std::string("kernel log: eventfd: ") + std::strerror(errno)};
  thread_ = std::thread([this] { Run(); });
  return {};
}

void KernelLogFollower::Stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  ssize_t n = write(stop_fd_, &one, sizeof(one));
  (void)n;
  thread_.join();
}

std::string KernelLogFollower::error() const {
  std::lock_guard lock(error_mutex_);
  return error_;
}

bool KernelLogFollower::OpenLog() {
  fd_ = open(options_.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    std::lock_guard lock(error_mutex_);
    error_ = options_.path.string() + ": " + std::strerror(errno);
    return false;
  }
  {
    std::lock_guard lock(error_mutex_);
    error_.clear();
  }
  // Where to go on: after the last record this run handled (a reopen), else after the last
  // one the previous run handled in this boot, else after whatever is in the log now.
  if (!last_sequence_ && !options_.cursor_path.empty() && !options_.boot_id.empty()) {
    auto cursor = ParseKmsgCursor(ReadSmallFile(options_.cursor_path));
    if (cursor && cursor->boot_id == options_.boot_id) {
      last_sequence_ = cursor->sequence;
      saved_sequence_ = cursor->sequence;
    }
  }
  lseek(fd_, 0, SEEK_SET);
  resume_after_ = last_sequence_;
  if (!resume_after_) {
    // Skip what is there, noting where it ends, so that a restart can resume from here.
    std::string buffer(8192, '\0');
    for (;;) {
      ssize_t n = read(fd_, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EPIPE)) continue;
      if (n <= 0) break;
      if (auto r = ParseKmsgRecord(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) {
        last_sequence_ = r->sequence;
      }
    }
    resume_after_ = last_sequence_;
  }
  return true;
}

void KernelLogFollower::Drain() {
  std::string buffer(8192, '\0');
  for (;;) {
    ssize_t n = read(fd_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {  // overwritten before we got to them; the next read goes on
        stats_.lost.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (errno == EAGAIN) break;
      std::lock_guard lock(error_mutex_);
      error_ = options_.path.string() + ": " + std::strerror(errno);
      close(fd_);
      fd_ = -1;
      break;
    }
    if (n == 0) break;
    auto record = ParseKmsgRecord(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    if (!record) {
      stats_.malformed.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (resume_after_) {
      if (record->sequence <= *resume_after_) continue;
      if (record->sequence > *resume_after_ + 1) {
        stats_.lost.fetch_add(record->sequence - *resume_after_ - 1, std::memory_order_relaxed);
      }
      resume_after_.reset();
    }
    last_sequence_ = record->sequence;
    stats_.records.fetch_add(1, std::memory_order_relaxed);
    handler_(*record);
  }
}

void KernelLogFollower::SaveCursor(bool force) {
  if (options_.cursor_path.empty() || options_.boot_id.empty() || !last_sequence_) return;
  if (saved_sequence_ == last_sequence_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - saved_at_ < options_.cursor_interval) return;
  if (WriteSmallFile(options_.cursor_path, FormatKmsgCursor({options_.boot_id, *last_sequence_}))) {
    saved_sequence_ = last_sequence_;
    saved_at_ = now;
  }
}

void KernelLogFollower::Run() {
  bool warned = false;
  for (;;) {
    if (fd_ < 0 && !OpenLog()) {
      stats_.readable.store(false, std::memory_order_relaxed);
      if (!warned) {
        LogWarning("kernel log: " + error() + ": the kernel's stall reports cannot be seen");
        warned = true;
      }
      pollfd stop{stop_fd_, POLLIN, 0};
      if (poll(&stop, 1, static_cast<int>(options_.retry.count())) > 0) break;
      continue;
    }
    if (warned) {
      LogInfo("kernel log: " + options_.path.string() + " is readable again");
      warned = false;
    }
    stats_.readable.store(true, std::memory_order_relaxed);
    Drain();
    if (fd_ < 0) {
      stats_.readable.store(false, std::memory_order_relaxed);
      continue;
    }
    SaveCursor(false);
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    // With an unsaved cursor, wake up to save it once the interval has passed.
    const int timeout =
        saved_sequence_ != last_sequence_ ? static_cast<int>(options_.cursor_interval.count()) : -1;
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
  }
  SaveCursor(true);
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace rh::collectors
