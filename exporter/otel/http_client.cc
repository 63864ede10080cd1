#include "exporter/otel/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string_view>

namespace rh::exporter::otel {
namespace {

struct Transfer {
  std::string body;
  std::string retry_after;
  std::size_t max_body = 0;
  bool too_large = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;  // stops the transfer
  }
  t->body.append(data, n);
  return n;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() &&
      std::equal(kName.begin(), kName.end(), line.begin(),
                 [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
    std::string_view value = line.substr(kName.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    t->retry_after = std::string(value);
  } else if (line.rfind("HTTP/", 0) == 0) {
    t->retry_after.clear();  // a new response (after a 100 Continue) starts
  }
  return n;
}

constexpr int kAbortCheckMs = 100;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string LoggableUrl(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

HttpClient::HttpClient(Options options, const std::atomic<bool>* abort)
    : options_(std::move(options)), abort_(abort) {
  GlobalInit();
  curl_ = curl_easy_init();
  multi_ = curl_multi_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

HttpResult HttpClient::Post(const HttpPost& post) {
  HttpResult result;
  if (curl_ == nullptr || multi_ == nullptr) {
    result.error = "libcurl could not be initialised";
    return result;
  }
  Transfer transfer;
  transfer.max_body = options_.max_response_bytes;

  curl_slist* headers = nullptr;
  for (const std::string& h : post.headers) headers = curl_slist_append(headers, h.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  CURL* c = curl_;
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  if (!post.username.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, post.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, post.password.c_str());
  }

  // The multi interface, so that the wait for the server can be cut short by `abort`.
  CURLcode code = CURLE_OK;
  bool aborted = false;
  curl_multi_add_handle(multi_, c);
  for (int running = 1;;) {
    if (curl_multi_perform(multi_, &running) != CURLM_OK) {
      code = CURLE_FAILED_INIT;
      break;
    }
    if (running == 0) {
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE) code = message->data.result;
      }
      break;
    }
    if (abort_ != nullptr && abort_->load()) {
      aborted = true;
      break;
    }
    curl_multi_poll(multi_, nullptr, 0, kAbortCheckMs, nullptr);
  }
  curl_multi_remove_handle(multi_, c);
  curl_slist_free_all(headers);
  result.body = std::move(transfer.body);
  result.retry_after = std::move(transfer.retry_after);
  if (aborted) {
    result.outcome = HttpResult::Outcome::kAborted;
    result.error = "abandoned: stopping";
    return result;
  }
  if (code == CURLE_OK) {
    result.outcome = HttpResult::Outcome::kResponse;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
    return result;
  }
  result.error = curl_easy_strerror(code);
  if (transfer.too_large) {
    result.outcome = HttpResult::Outcome::kResponseTooLarge;
    result.error = "response larger than " + std::to_string(options_.max_response_bytes) + " bytes";
  } else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
             code == CURLE_COULDNT_RESOLVE_PROXY) {
    result.outcome = HttpResult::Outcome::kConnectFailed;
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    result.outcome = HttpResult::Outcome::kTimedOut;
  } else {
    result.outcome = HttpResult::Outcome::kTransportFailed;
  }
  return result;
}

}  // namespace rh::exporter::otel
