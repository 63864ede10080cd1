#include "exporter/auth.h"

#include <crypt.h>
#include <nettle/base64.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <memory>
#include <vector>

#include "forensics/bundle.h"
#include "forensics/redaction.h"

namespace rh::exporter {
namespace {

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out(BASE64_DECODE_LENGTH(text.size()), '\0');
  base64_decode_ctx ctx;
  base64_decode_init(&ctx);
  std::size_t length = out.size();
  if (base64_decode_update(&ctx, &length, reinterpret_cast<std::uint8_t*>(out.data()), text.size(),
                           text.data()) != 1 ||
      base64_decode_final(&ctx) != 1) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

// The cost of a bcrypt hash ("$2y$10$..." -> 10).
int Cost(const std::string& hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

}  // namespace

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  header = TrimSpaces(header);
  if (!StartsWithIgnoreCase(header, "basic ")) return std::nullopt;
  auto decoded = DecodeBase64(TrimSpaces(header.substr(6)));
  if (!decoded) return std::nullopt;
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::optional<std::string_view> ParseBearerAuthorization(std::string_view header) {
  header = TrimSpaces(header);
  if (!StartsWithIgnoreCase(header, "bearer ")) return std::nullopt;
  std::string_view token = TrimSpaces(header.substr(7));
  if (token.empty()) return std::nullopt;
  return token;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer string is visited, whatever the contents.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  return diff == 0;
}

FailureLimiter::FailureLimiter(const Clock& clock, Options options)
    : clock_(clock), options_(options) {}

double FailureLimiter::Now() const { return static_cast<double>(clock_.Now().monotonic_ns) / 1e9; }

double FailureLimiter::BlockedFor(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(address));
  if (it == entries_.end()) return 0;
  double left = it->second.blocked_until - Now();
  return left > 0 ? left : 0;
}

void FailureLimiter::Failed(std::string_view address) {
  const double now = Now();
  std::lock_guard lock(mutex_);
  if (entries_.size() >= options_.max_addresses && entries_.count(std::string(address)) == 0) {
    // Forget what no longer matters, and if that is not enough the stalest address.
    std::erase_if(entries_, [&](const auto& e) {
      return e.second.blocked_until <= now &&
             now - e.second.window_start >= options_.window_seconds;
    });
    if (entries_.size() >= options_.max_addresses) {
      auto stalest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
        return std::max(a.second.window_start, a.second.blocked_until) <
               std::max(b.second.window_start, b.second.blocked_until);
      });
      entries_.erase(stalest);
    }
  }
  Entry& e = entries_[std::string(address)];
  if (e.failures == 0 || now - e.window_start >= options_.window_seconds) {
    e.failures = 0;
    e.window_start = now;
  }
  if (++e.failures >= options_.max_failures) {
    e.blocked_until = now + options_.block_seconds;
    e.failures = 0;
  }
}

void FailureLimiter::Succeeded(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(std::string(address));
  if (it != entries_.end() && it->second.blocked_until <= Now()) entries_.erase(it);
}

PasswordChecker::PasswordChecker(std::map<std::string, std::string> users, const Clock& clock,
                                 Options options)
    : users_(std::move(users)),
      clock_(clock),
      options_(options),
      cache_salt_(forensics::RandomSalt()) {
  if (users_.empty()) return;
  // A real hash of a random password, as costly as the costliest configured hash.
  int cost = 4;
  for (const auto& [user, hash] : users_) cost = std::max(cost, Cost(hash));
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                       sizeof(setting)) != nullptr) {
    auto data = std::make_unique<crypt_data>();
    const std::string password = forensics::RandomSalt();
    if (const char* hash = crypt_r(password.c_str(), setting, data.get());
        hash != nullptr && hash[0] == '$') {
      dummy_hash_ = hash;
    }
  }
  if (dummy_hash_.empty()) dummy_hash_ = users_.begin()->second;
}

std::uint64_t PasswordChecker::computations() const { return computations_.load(); }

bool PasswordChecker::Bcrypt(std::string_view password, const std::string& hash) {
  // crypt_data is 32 KiB: on the heap, not on a 100 KiB worker stack.
  auto data = std::make_unique<crypt_data>();
  std::lock_guard lock(bcrypt_mutex_);
  computations_.fetch_add(1);
  const char* result = crypt_r(std::string(password).c_str(), hash.c_str(), data.get());
  return result != nullptr && result[0] == '$' && ConstantTimeEquals(result, hash);
}

bool PasswordChecker::Check(std::string_view user, std::string_view password) {
  if (users_.empty()) return false;
  auto it = users_.find(std::string(user));
  const bool known = it != users_.end();
  const std::string& hash = known ? it->second : dummy_hash_;
  std::string input = cache_salt_;
  input.append(1, '\0').append(user).append(1, '\0').append(hash).append(1, '\0').append(password);
  const std::string key = forensics::Sha256Hex(input);
  const double now = static_cast<double>(clock_.Now().monotonic_ns) / 1e9;
  {
    std::lock_guard lock(cache_mutex_);
    auto cached = cache_.find(key);
    if (cached != cache_.end() && cached->second.second > now) return known && cached->second.first;
  }
  const bool ok = Bcrypt(password, hash) && known;
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= options_.max_cached) {
    std::erase_if(cache_, [&](const auto& e) { return e.second.second <= now; });
    if (cache_.size() >= options_.max_cached) cache_.clear();
  }
  cache_[key] = {ok, now + options_.cache_seconds};
  return ok;
}

Authenticator::Authenticator(std::map<std::string, std::string> users, std::string token,
                             const Clock& clock, FailureLimiter::Options limits,
                             PasswordChecker::Options passwords)
    : passwords_(std::move(users), clock, passwords),
      token_(std::move(token)),
      limiter_(clock, limits) {}

Authenticator::Outcome Authenticator::Check(std::string_view authorization,
                                            std::string_view address) {
  Outcome out;
  if (double blocked = limiter_.BlockedFor(address); blocked > 0) {
    out.verdict = Verdict::kBlocked;
    out.retry_after = blocked;
    return out;
  }
  if (auto basic = ParseBasicAuthorization(authorization); basic && !passwords_.empty()) {
    if (passwords_.Check(basic->user, basic->password)) {
      out.verdict = Verdict::kAllowed;
      out.principal = "basic:" + basic->user;
    } else {
      out.verdict = Verdict::kWrong;
    }
  } else if (auto bearer = ParseBearerAuthorization(authorization); bearer && !token_.empty()) {
    if (ConstantTimeEquals(*bearer, token_)) {
      out.verdict = Verdict::kAllowed;
      out.principal = "token";
    } else {
      out.verdict = Verdict::kWrong;
    }
  } else if (!authorization.empty()) {
    out.verdict = Verdict::kWrong;  // a scheme nobody here accepts
  }
  if (out.verdict == Verdict::kWrong) limiter_.Failed(address);
  if (out.verdict == Verdict::kAllowed) limiter_.Succeeded(address);
  return out;
}

}  // namespace rh::exporter
