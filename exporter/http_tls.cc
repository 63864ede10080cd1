#include "exporter/http_tls.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <mutex>
#include <string>

namespace rh::exporter {
namespace {

// civetweb loads OpenSSL with dlopen under these names (Debian's build: the unversioned names of
// libssl-dev); the same names give the same library here. Debian 12's civetweb cannot use
// OpenSSL 3 as it is: the libraries of tls_compat/, which carry these names as their SONAMEs and
// depend on OpenSSL 3, are loaded first (found next to the executable through its RUNPATH), so
// that both dlopen() calls return them. See tls_compat/libssl_compat.c.
constexpr const char* kSslLibrary = "libssl.so";
constexpr const char* kCryptoLibrary = "libcrypto.so";
constexpr const char* kSslCompat = "librogue-hunter-libssl.so";
constexpr const char* kCryptoCompat = "librogue-hunter-libcrypto.so";

// The OpenSSL functions used here, resolved from the loaded libraries.
struct OpenSsl {
  decltype(&::TLS_server_method) TLS_server_method = nullptr;
  decltype(&::SSL_CTX_new) SSL_CTX_new = nullptr;
  decltype(&::SSL_CTX_free) SSL_CTX_free = nullptr;
  decltype(&::SSL_CTX_ctrl) SSL_CTX_ctrl = nullptr;
  decltype(&::SSL_CTX_set_options) SSL_CTX_set_options = nullptr;
  decltype(&::SSL_CTX_clear_options) SSL_CTX_clear_options = nullptr;
  decltype(&::SSL_CTX_set_cipher_list) SSL_CTX_set_cipher_list = nullptr;
  decltype(&::SSL_CTX_use_certificate_chain_file) SSL_CTX_use_certificate_chain_file = nullptr;
  decltype(&::SSL_CTX_use_PrivateKey_file) SSL_CTX_use_PrivateKey_file = nullptr;
  decltype(&::SSL_CTX_check_private_key) SSL_CTX_check_private_key = nullptr;
  decltype(&::SSL_CTX_load_verify_locations) SSL_CTX_load_verify_locations = nullptr;
  decltype(&::SSL_CTX_set_default_verify_paths) SSL_CTX_set_default_verify_paths = nullptr;
  decltype(&::SSL_load_client_CA_file) SSL_load_client_CA_file = nullptr;
  decltype(&::SSL_CTX_set_client_CA_list) SSL_CTX_set_client_CA_list = nullptr;
  decltype(&::SSL_CTX_set_verify) SSL_CTX_set_verify = nullptr;
  decltype(&::SSL_CTX_set_session_id_context) SSL_CTX_set_session_id_context = nullptr;
  decltype(&::ERR_get_error) ERR_get_error = nullptr;
  decltype(&::ERR_clear_error) ERR_clear_error = nullptr;
  decltype(&::ERR_error_string_n) ERR_error_string_n = nullptr;
  std::string error;  // why it could not be loaded; empty when loaded
};

template <typename F>
bool Resolve(void* library, const char* name, F& out, std::string& error) {
  out = reinterpret_cast<F>(dlsym(library, name));
  if (out == nullptr && error.empty()) error = std::string("OpenSSL has no ") + name;
  return out != nullptr;
}

const OpenSsl& Library() {
  static OpenSsl ssl;
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* compat : {kCryptoCompat, kSslCompat}) {
      if (dlopen(compat, RTLD_NOW | RTLD_LOCAL) == nullptr) {
        const char* why = dlerror();
        ssl.error = std::string("TLS needs ") + compat +
                    " next to the rogue-hunter executable (it lets civetweb load OpenSSL 3): " +
                    (why != nullptr ? why : "not found");
        return;
      }
    }
    void* libssl = dlopen(kSslLibrary, RTLD_NOW | RTLD_LOCAL);
    void* libcrypto = dlopen(kCryptoLibrary, RTLD_NOW | RTLD_LOCAL);
    if (libssl == nullptr || libcrypto == nullptr) {
      const char* why = dlerror();
      ssl.error = std::string("cannot load OpenSSL (") + kSslLibrary + ", " + kCryptoLibrary +
                  "): " + (why != nullptr ? why : "not found");
      return;
    }
    std::string& e = ssl.error;
    Resolve(libssl, "TLS_server_method", ssl.TLS_server_method, e);
    Resolve(libssl, "SSL_CTX_new", ssl.SSL_CTX_new, e);
    Resolve(libssl, "SSL_CTX_free", ssl.SSL_CTX_free, e);
    Resolve(libssl, "SSL_CTX_ctrl", ssl.SSL_CTX_ctrl, e);
    Resolve(libssl, "SSL_CTX_set_options", ssl.SSL_CTX_set_options, e);
    Resolve(libssl, "SSL_CTX_clear_options", ssl.SSL_CTX_clear_options, e);
    Resolve(libssl, "SSL_CTX_set_cipher_list", ssl.SSL_CTX_set_cipher_list, e);
    Resolve(libssl, "SSL_CTX_use_certificate_chain_file", ssl.SSL_CTX_use_certificate_chain_file,
            e);
    Resolve(libssl, "SSL_CTX_use_PrivateKey_file", ssl.SSL_CTX_use_PrivateKey_file, e);
    Resolve(libssl, "SSL_CTX_check_private_key", ssl.SSL_CTX_check_private_key, e);
    Resolve(libssl, "SSL_CTX_load_verify_locations", ssl.SSL_CTX_load_verify_locations, e);
    Resolve(libssl, "SSL_CTX_set_default_verify_paths", ssl.SSL_CTX_set_default_verify_paths, e);
    Resolve(libssl, "SSL_load_client_CA_file", ssl.SSL_load_client_CA_file, e);
    Resolve(libssl, "SSL_CTX_set_client_CA_list", ssl.SSL_CTX_set_client_CA_list, e);
    Resolve(libssl, "SSL_CTX_set_verify", ssl.SSL_CTX_set_verify, e);
    Resolve(libssl, "SSL_CTX_set_session_id_context", ssl.SSL_CTX_set_session_id_context, e);
    Resolve(libcrypto, "ERR_get_error", ssl.ERR_get_error, e);
    Resolve(libcrypto, "ERR_clear_error", ssl.ERR_clear_error, e);
    Resolve(libcrypto, "ERR_error_string_n", ssl.ERR_error_string_n, e);
  });
  return ssl;
}

// OpenSSL's queued errors of this thread, oldest first, e.g. "error:0A080009:SSL
// routines::PEM lib".
std::string Errors(const OpenSsl& ssl) {
  std::string out;
  while (unsigned long code = ssl.ERR_get_error()) {
    char text[256];
    ssl.ERR_error_string_n(code, text, sizeof(text));
    out += (out.empty() ? "" : "; ") + std::string(text);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Accepts any client certificate: RequestClientCert and RequireAnyClientCert ask for one
// without verifying it, as Go's crypto/tls does.
int AcceptAnyCertificate(int /*preverified*/, X509_STORE_CTX* /*store*/) { return 1; }

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ":") + item;
  return out;
}

}  // namespace

Status ConfigureTlsContext(void* ssl_context, const TlsOptions& o) {
  const OpenSsl& ssl = Library();
  if (!ssl.error.empty()) return Error{ssl.error};
  auto* ctx = static_cast<SSL_CTX*>(ssl_context);
  ssl.ERR_clear_error();
  auto fail = [&](std::string_view field, const std::string& what) -> Status {
    return Error{"tls_server_config." + std::string(field) + ": " + what + ": " + Errors(ssl)};
  };

  // The versions decide alone (civetweb disables some by option before calling us).
  ssl.SSL_CTX_clear_options(ctx, SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                     SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
  if (ssl.SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, o.min_version, nullptr) != 1) {
    return fail("min_version", "not supported");
  }
  if (ssl.SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, o.max_version, nullptr) != 1) {
    return fail("max_version", "not supported");
  }
  if (o.prefer_server_ciphers) {
    ssl.SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  } else {
    ssl.SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  ssl.SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!o.ciphers.empty() && ssl.SSL_CTX_set_cipher_list(ctx, Join(o.ciphers).c_str()) != 1) {
    return fail("cipher_suites", "none of them is available");
  }
  if (!o.groups.empty()) {
    std::string groups = Join(o.groups);
    if (ssl.SSL_CTX_ctrl(ctx, SSL_CTRL_SET_GROUPS_LIST, 0, groups.data()) != 1) {
      return fail("curve_preferences", "not available");
    }
  }
  if (ssl.SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1) {
    return fail("cert_file", o.cert_file);
  }
  if (ssl.SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("key_file", o.key_file);
  }
  if (ssl.SSL_CTX_check_private_key(ctx) != 1) {
    return fail("key_file", o.key_file + " does not belong to the certificate of cert_file");
  }

  using Auth = TlsOptions::ClientAuth;
  if (!o.client_ca_file.empty()) {
    if (ssl.SSL_CTX_load_verify_locations(ctx, o.client_ca_file.c_str(), nullptr) != 1) {
      return fail("client_ca_file", o.client_ca_file);
    }
    // Tells clients which CAs are accepted; takes ownership of the list.
    if (STACK_OF(X509_NAME)* names = ssl.SSL_load_client_CA_file(o.client_ca_file.c_str())) {
      ssl.SSL_CTX_set_client_CA_list(ctx, names);
    }
  } else if (o.client_auth == Auth::kVerifyIfGiven || o.client_auth == Auth::kRequireAndVerify) {
    // Without client_ca_file, Go verifies client certificates against the system's CAs.
    if (ssl.SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return fail("client_ca_file", "cannot load the system's CAs");
    }
  }
  switch (o.client_auth) {
    case Auth::kNone:
      ssl.SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case Auth::kRequest:
      ssl.SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &AcceptAnyCertificate);
      break;
    case Auth::kRequireAny:
      ssl.SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                             &AcceptAnyCertificate);
      break;
    case Auth::kVerifyIfGiven:
      ssl.SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case Auth::kRequireAndVerify:
      ssl.SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  static constexpr unsigned char kSessionContext[] = "rogue-hunter";
  ssl.SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  return {};
}

Status CheckTlsOptions(const TlsOptions& options) {
  const OpenSsl& ssl = Library();
  if (!ssl.error.empty()) return Error{ssl.error};
  SSL_CTX* ctx = ssl.SSL_CTX_new(ssl.TLS_server_method());
  if (ctx == nullptr) return Error{"cannot create a TLS context: " + Errors(ssl)};
  Status s = ConfigureTlsContext(ctx, options);
  ssl.SSL_CTX_free(ctx);
  return s;
}

}  // namespace rh::exporter
