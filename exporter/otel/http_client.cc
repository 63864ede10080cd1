#include "exporter/otel/http_client.h"

// Only curl's types and constants come from its header: the library itself is loaded at run time.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <type_traits>

namespace rh::exporter::otel {

// The functions of libcurl the client calls. libcurl (with OpenSSL, Kerberos, LDAP, SSH, ...
// behind it) is mapped only by a daemon that sends something: linked in, it would add about
// 5 MiB to the resident memory of every daemon, most of which never send.
struct CurlFunctions {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
  decltype(&curl_multi_init) multi_init;
  decltype(&curl_multi_cleanup) multi_cleanup;
  decltype(&curl_multi_add_handle) multi_add_handle;
  decltype(&curl_multi_remove_handle) multi_remove_handle;
  decltype(&curl_multi_perform) multi_perform;
  decltype(&curl_multi_poll) multi_poll;
  decltype(&curl_multi_info_read) multi_info_read;
};

namespace {

constexpr const char* kLibrary = "libcurl.so.4";

// Loads libcurl once (thread-safe); null, with the reason in `error`, if it cannot be.
const CurlFunctions* LoadCurl(std::string* error = nullptr) {
  static std::string failure;
  static const CurlFunctions* curl = []() -> const CurlFunctions* {
    void* library = dlopen(kLibrary, RTLD_LAZY | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = dlerror();
      failure = why != nullptr ? why : std::string("cannot load ") + kLibrary;
      return nullptr;
    }
    static CurlFunctions api;
    bool found = true;
    auto bind = [&](auto& function, const char* name) {
      function =
          reinterpret_cast<std::remove_reference_t<decltype(function)>>(dlsym(library, name));
      if (function == nullptr) {
        found = false;
        failure = std::string(kLibrary) + " has no " + name;
      }
    };
    bind(api.global_init, "curl_global_init");
    bind(api.easy_init, "curl_easy_init");
    bind(api.easy_cleanup, "curl_easy_cleanup");
    bind(api.easy_reset, "curl_easy_reset");
    bind(api.easy_setopt, "curl_easy_setopt");
    bind(api.easy_getinfo, "curl_easy_getinfo");
    bind(api.easy_strerror, "curl_easy_strerror");
    bind(api.slist_append, "curl_slist_append");
    bind(api.slist_free_all, "curl_slist_free_all");
    bind(api.multi_init, "curl_multi_init");
    bind(api.multi_cleanup, "curl_multi_cleanup");
    bind(api.multi_add_handle, "curl_multi_add_handle");
    bind(api.multi_remove_handle, "curl_multi_remove_handle");
    bind(api.multi_perform, "curl_multi_perform");
    bind(api.multi_poll, "curl_multi_poll");
    bind(api.multi_info_read, "curl_multi_info_read");
    if (!found) return nullptr;
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      failure = "curl_global_init failed";
      return nullptr;
    }
    return &api;
  }();
  if (curl == nullptr && error != nullptr) *error = failure;
  return curl;
}

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

}  // namespace

Status HttpClientAvailable() {
  std::string error;
  if (LoadCurl(&error) == nullptr) return Error{error};
  return {};
}

std::string LoggableUrl(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

HttpClient::HttpClient(Options options, const std::atomic<bool>* abort)
    : options_(std::move(options)), abort_(abort), api_(LoadCurl()) {
  if (api_ == nullptr) return;
  curl_ = api_->easy_init();
  multi_ = api_->multi_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) api_->easy_cleanup(curl_);
  if (multi_ != nullptr) api_->multi_cleanup(multi_);
}

HttpResult HttpClient::Post(const HttpPost& post) {
  HttpResult result;
  if (curl_ == nullptr || multi_ == nullptr) {
    std::string why = "libcurl could not be initialised";
    LoadCurl(&why);
    result.error = why;
    return result;
  }
  const CurlFunctions& api = *api_;
  Transfer transfer;
  transfer.max_body = options_.max_response_bytes;

  curl_slist* headers = nullptr;
  for (const std::string& h : post.headers) headers = api.slist_append(headers, h.c_str());
  headers = api.slist_append(headers, "Expect:");  // no 100-continue round trip

  CURL* c = curl_;
  api.easy_reset(c);
  api.easy_setopt(c, CURLOPT_URL, post.url.c_str());
  api.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(c, CURLOPT_POST, 1L);
  api.easy_setopt(c, CURLOPT_POSTFIELDS, post.body.data());
  api.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  api.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  api.easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  api.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                  static_cast<long>(options_.connect_timeout.count()));
  api.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  api.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  api.easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  api.easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  api.easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  api.easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  if (!post.username.empty()) {
    api.easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    api.easy_setopt(c, CURLOPT_USERNAME, post.username.c_str());
    api.easy_setopt(c, CURLOPT_PASSWORD, post.password.c_str());
  }

  // The multi interface, so that the wait for the server can be cut short by `abort`.
  CURLcode code = CURLE_OK;
  bool aborted = false;
  api.multi_add_handle(multi_, c);
  for (int running = 1;;) {
    if (api.multi_perform(multi_, &running) != CURLM_OK) {
      code = CURLE_FAILED_INIT;
      break;
    }
    if (running == 0) {
      int queued = 0;
      while (CURLMsg* message = api.multi_info_read(multi_, &queued)) {
        if (message->msg == CURLMSG_DONE) code = message->data.result;
      }
      break;
    }
    if (abort_ != nullptr && abort_->load()) {
      aborted = true;
      break;
    }
    api.multi_poll(multi_, nullptr, 0, kAbortCheckMs, nullptr);
  }
  api.multi_remove_handle(multi_, c);
  api.slist_free_all(headers);
  result.body = std::move(transfer.body);
  result.retry_after = std::move(transfer.retry_after);
  if (aborted) {
    result.outcome = HttpResult::Outcome::kAborted;
    result.error = "abandoned: stopping";
    return result;
  }
  if (code == CURLE_OK) {
    result.outcome = HttpResult::Outcome::kResponse;
    api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
    return result;
  }
  result.error = api.easy_strerror(code);
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
