#include "exporter/web_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "exporter/http_tls.h"

namespace rh::exporter {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;

// Go's crypto/tls names of the suites exporter-toolkit accepts (tls.CipherSuites() of Go 1.19)
// and OpenSSL's names for them. TLS 1.3 suites are accepted and, as in Go, not configurable.
struct CipherName {
  std::string_view go;
  std::string_view openssl;  // empty: a TLS 1.3 suite
};
constexpr CipherName kCiphers[] = {
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
};

constexpr std::pair<std::string_view, std::string_view> kCurves[] = {
    {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};

constexpr std::pair<std::string_view, int> kVersions[] = {
    {"TLS10", 0x0301}, {"TLS11", 0x0302}, {"TLS12", 0x0303}, {"TLS13", 0x0304}};

constexpr std::pair<std::string_view, TlsOptions::ClientAuth> kClientAuth[] = {
    {"NoClientCert", TlsOptions::ClientAuth::kNone},
    {"RequestClientCert", TlsOptions::ClientAuth::kRequest},
    {"RequireAnyClientCert", TlsOptions::ClientAuth::kRequireAny},
    {"RequireClientCert", TlsOptions::ClientAuth::kRequireAny},  // the toolkit's old name
    {"VerifyClientCertIfGiven", TlsOptions::ClientAuth::kVerifyIfGiven},
    {"RequireAndVerifyClientCert", TlsOptions::ClientAuth::kRequireAndVerify},
};

// The headers http_server_config.headers may set, and the values allowed where the toolkit
// fixes them (case-sensitive, as in the toolkit).
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;  // empty: any value
};
const AllowedHeader kHeaders[] = {
    {"Strict-Transport-Security", {}},
    {"X-Content-Type-Options", {"nosniff"}},
    {"X-Frame-Options", {"deny", "sameorigin"}},
    {"X-XSS-Protection", {}},
    {"Content-Security-Policy", {}},
};

// Whether `hash` is a bcrypt hash as Go's bcrypt.Cost() and libcrypt both read it:
// "$2a$", "$2b$" or "$2y$", a two-digit cost 04-31, "$", then 53 characters.
bool IsBcrypt(std::string_view hash) {
  if (hash.size() != 60 || hash.substr(0, 2) != "$2") return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[3] != '$' || hash[6] != '$') return false;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return false;
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  return std::all_of(hash.begin() + 7, hash.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/';
  });
}

// Reads one mapping of the document, collecting one error line per problem.
class Reader {
 public:
  Reader(std::string_view source, std::vector<std::string>& errors)
      : source_(source), errors_(errors) {}

  void Fail(const YAML::Node& node, std::string_view field, const std::string& what) {
    std::ostringstream out;
    out << source_;
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) out << ":" << mark.line + 1 << ":" << mark.column + 1;
    out << ": " << field << ": " << what;
    errors_.push_back(out.str());
  }

  // The fields of a mapping by name, refusing unknown and duplicate ones. Null (an empty
  // section) reads as an empty mapping.
  std::map<std::string, YAML::Node> Fields(const YAML::Node& node, std::string_view field,
                                           const std::set<std::string_view>& known) {
    std::map<std::string, YAML::Node> out;
    if (!node || node.IsNull()) return out;
    if (!node.IsMap()) {
      Fail(node, field, "expected a mapping");
      return out;
    }
    for (const auto& entry : node) {
      std::string name = Qualified(field, entry.first.Scalar());
      if (!entry.first.IsScalar()) {
        Fail(entry.first, field, "expected a field name");
      } else if (known.count(entry.first.Scalar()) == 0) {
        Fail(entry.first, name, "unknown field");
      } else if (!out.emplace(entry.first.Scalar(), entry.second).second) {
        Fail(entry.first, name, "set twice");
      }
    }
    return out;
  }

  std::optional<std::string> String(const std::map<std::string, YAML::Node>& fields,
                                    std::string_view parent, const std::string& key) {
    auto it = fields.find(key);
    if (it == fields.end() || it->second.IsNull()) return std::nullopt;
    if (!it->second.IsScalar()) {
      Fail(it->second, Qualified(parent, key), "expected a string");
      return std::nullopt;
    }
    return it->second.Scalar();
  }

  std::optional<bool> Bool(const std::map<std::string, YAML::Node>& fields, std::string_view parent,
                           const std::string& key) {
    auto it = fields.find(key);
    if (it == fields.end() || it->second.IsNull()) return std::nullopt;
    bool value = false;
    if (!it->second.IsScalar() || !YAML::convert<bool>::decode(it->second, value)) {
      Fail(it->second, Qualified(parent, key), "expected true or false");
      return std::nullopt;
    }
    return value;
  }

  std::vector<std::pair<YAML::Node, std::string>> Strings(
      const std::map<std::string, YAML::Node>& fields, std::string_view parent,
      const std::string& key) {
    std::vector<std::pair<YAML::Node, std::string>> out;
    auto it = fields.find(key);
    if (it == fields.end() || it->second.IsNull()) return out;
    if (!it->second.IsSequence()) {
      Fail(it->second, Qualified(parent, key), "expected a list of strings");
      return out;
    }
    for (const auto& item : it->second) {
      if (!item.IsScalar()) {
        Fail(item, Qualified(parent, key), "expected a list of strings");
        continue;
      }
      out.emplace_back(item, item.Scalar());
    }
    return out;
  }

  static std::string Qualified(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
  }

 private:
  std::string source_;
  std::vector<std::string>& errors_;
};

std::string Resolve(const std::filesystem::path& base, const std::string& file) {
  if (file.empty()) return file;
  std::filesystem::path p(file);
  return (p.is_absolute() ? p : base / p).lexically_normal().string();
}

void ReadTls(Reader& r, const YAML::Node& node, const std::filesystem::path& base, WebConfig& out) {
  constexpr std::string_view kField = "tls_server_config";
  auto f =
      r.Fields(node, kField,
               {"cert_file", "key_file", "client_auth_type", "client_ca_file", "cipher_suites",
                "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites"});
  TlsOptions tls;
  std::string cert = r.String(f, kField, "cert_file").value_or("");
  std::string key = r.String(f, kField, "key_file").value_or("");
  std::string auth = r.String(f, kField, "client_auth_type").value_or("");
  std::string ca = r.String(f, kField, "client_ca_file").value_or("");
  auto version = [&](const std::string& name, int fallback) {
    auto text = r.String(f, kField, name);
    if (!text) return fallback;
    for (const auto& [label, number] : kVersions) {
      if (label == *text) return number;
    }
    r.Fail(f.at(name), Reader::Qualified(kField, name), "unknown TLS version: " + *text);
    return fallback;
  };
  tls.min_version = version("min_version", 0x0303);
  tls.max_version = version("max_version", 0x0304);
  tls.prefer_server_ciphers = r.Bool(f, kField, "prefer_server_cipher_suites").value_or(true);
  for (const auto& [item, name] : r.Strings(f, kField, "cipher_suites")) {
    auto it = std::find_if(std::begin(kCiphers), std::end(kCiphers),
                           [&wanted = name](const CipherName& c) { return c.go == wanted; });
    if (it == std::end(kCiphers)) {
      r.Fail(item, "tls_server_config.cipher_suites", "unknown cipher: " + name);
    } else if (!it->openssl.empty()) {
      tls.ciphers.emplace_back(it->openssl);
    }
  }
  for (const auto& [item, name] : r.Strings(f, kField, "curve_preferences")) {
    auto it = std::find_if(std::begin(kCurves), std::end(kCurves),
                           [&wanted = name](const auto& c) { return c.first == wanted; });
    if (it == std::end(kCurves)) {
      r.Fail(item, "tls_server_config.curve_preferences", "unknown curve: " + name);
    } else {
      tls.groups.emplace_back(it->second);
    }
  }
  if (cert.empty() && key.empty() && auth.empty() && ca.empty()) return;  // no TLS
  if (cert.empty()) r.Fail(node, "tls_server_config.cert_file", "missing cert_file");
  if (key.empty()) r.Fail(node, "tls_server_config.key_file", "missing key_file");
  if (!auth.empty()) {
    auto it = std::find_if(std::begin(kClientAuth), std::end(kClientAuth),
                           [&](const auto& c) { return c.first == auth; });
    if (it == std::end(kClientAuth)) {
      r.Fail(f.at("client_auth_type"), "tls_server_config.client_auth_type",
             "invalid ClientAuth: " + auth);
    } else {
      tls.client_auth = it->second;
    }
  }
  if (!ca.empty() && tls.client_auth == TlsOptions::ClientAuth::kNone) {
    r.Fail(f.at("client_ca_file"), "tls_server_config.client_ca_file",
           "client CAs are configured without a client_auth_type that uses them");
  }
  tls.cert_file = Resolve(base, cert);
  tls.key_file = Resolve(base, key);
  tls.client_ca_file = Resolve(base, ca);
  out.tls = std::move(tls);
}

void ReadHttp(Reader& r, const YAML::Node& node, WebConfig& out) {
  constexpr std::string_view kField = "http_server_config";
  auto f = r.Fields(node, kField, {"http2", "headers"});
  out.http2 = r.Bool(f, kField, "http2").value_or(true);
  auto it = f.find("headers");
  if (it == f.end() || it->second.IsNull()) return;
  if (!it->second.IsMap()) {
    r.Fail(it->second, "http_server_config.headers", "expected a mapping");
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : it->second) {
    const std::string name = entry.first.Scalar();
    const std::string field = "http_server_config.headers." + name;
    if (!entry.second.IsScalar()) {
      r.Fail(entry.second, field, "expected a string");
      continue;
    }
    const std::string value = entry.second.Scalar();
    auto allowed = std::find_if(std::begin(kHeaders), std::end(kHeaders),
                                [&](const AllowedHeader& h) { return h.name == name; });
    if (allowed == std::end(kHeaders)) {
      r.Fail(entry.first, field, "HTTP header \"" + name + "\" can not be configured");
      continue;
    }
    if (!seen.insert(name).second) {
      r.Fail(entry.first, field, "set twice");
      continue;
    }
    if (!allowed->values.empty() &&
        std::find(allowed->values.begin(), allowed->values.end(), value) == allowed->values.end()) {
      std::string expected;
      for (auto v : allowed->values) expected += (expected.empty() ? "" : ", ") + std::string(v);
      r.Fail(entry.second, field, "invalid value \"" + value + "\"; expected one of: " + expected);
      continue;
    }
    if (value.find_first_of("\r\n") != std::string::npos) {
      r.Fail(entry.second, field, "a header value cannot hold a line break");
      continue;
    }
    out.headers.emplace_back(name, value);
  }
}

void ReadUsers(Reader& r, const YAML::Node& node, WebConfig& out) {
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) {
    r.Fail(node, "basic_auth_users", "expected a mapping of user names to bcrypt hashes");
    return;
  }
  for (const auto& entry : node) {
    const std::string user = entry.first.Scalar();
    const std::string field = "basic_auth_users." + user;
    if (!entry.first.IsScalar() || user.empty()) {
      r.Fail(entry.first, "basic_auth_users", "expected a user name");
      continue;
    }
    if (user.find(':') != std::string::npos) {
      r.Fail(entry.first, field, "a user name cannot hold ':' (basic auth splits on it)");
      continue;
    }
    if (!entry.second.IsScalar() || !IsBcrypt(entry.second.Scalar())) {
      r.Fail(entry.second, field,
             "not a bcrypt hash (expected $2a$, $2b$ or $2y$, a cost 04-31 and 53 characters; "
             "make one with htpasswd -nBC 10 USER)");
      continue;
    }
    if (!out.users.emplace(user, entry.second.Scalar()).second) {
      r.Fail(entry.first, field, "set twice");
    }
  }
}

}  // namespace

Result<WebConfig> ParseWebConfig(std::string_view text, std::string_view source,
                                 const std::filesystem::path& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    std::ostringstream out;
    out << source;
    if (!e.mark.is_null()) out << ":" << e.mark.line + 1 << ":" << e.mark.column + 1;
    out << ": syntax error: " << e.msg;
    return Error{out.str()};
  }
  WebConfig config;
  config.source = std::string(source);
  std::vector<std::string> errors;
  Reader r(source, errors);
  try {
    if (root && !root.IsNull() && !root.IsMap()) {
      r.Fail(root, "web config", "expected a mapping at the top level");
    } else {
      auto top =
          r.Fields(root, "", {"tls_server_config", "http_server_config", "basic_auth_users"});
      if (auto it = top.find("tls_server_config"); it != top.end()) {
        ReadTls(r, it->second, base_dir, config);
      }
      if (auto it = top.find("http_server_config"); it != top.end()) {
        ReadHttp(r, it->second, config);
      }
      if (auto it = top.find("basic_auth_users"); it != top.end()) {
        ReadUsers(r, it->second, config);
      }
    }
  } catch (const YAML::Exception& e) {
    errors.push_back(std::string(source) + ": " + e.what());
  }
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    return Error{message};
  }
  return config;
}

Result<WebConfig> LoadWebConfig(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error{path.string() + ": " +
                 (std::filesystem::exists(path, ec)
                      ? "not a regular file"
                      : "cannot read: " + std::string(std::strerror(ENOENT)))};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path.string() + ": cannot read: " + std::strerror(errno)};
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) return Error{path.string() + ": larger than 1 MiB"};
  auto config = ParseWebConfig(text, path.string(), path.parent_path());
  if (!config.ok() || !config->tls) return config;
  if (Status s = CheckTlsOptions(*config->tls); !s.ok()) {
    return Error{path.string() + ": " + s.error().message};
  }
  return config;
}

}  // namespace rh::exporter
