#include "forensics/bundle.h"

#include <nettle/sha2.h>
#include <time.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "base/utf8.h"
#include "forensics/json_read.h"
#include "forensics/sample_json.h"

namespace rh::forensics {
namespace {

using nlohmann::ordered_json;

// Valid UTF-8 without control characters (C0, DEL, C1): nothing a terminal would act on.
bool IsPlainText(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const Utf8Char c = DecodeUtf8(text, i);
    if (c.length == 0 || c.code_point < 0x20 || (c.code_point >= 0x7f && c.code_point <= 0x9f)) {
      return false;
    }
    i += c.length;
  }
  return true;
}

}  // namespace

std::string ManifestToJson(const Manifest& m) {
  ordered_json files = ordered_json::array();
  for (const auto& f : m.files)
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  ordered_json j = {
      {"format_version", m.format_version},
      {"id", m.id},
      {"created", Rfc3339(m.created_ns)},
      {"trigger", m.trigger},
      {"event",
       {{"kind", m.event_kind},
        {"start", Rfc3339(m.event_start_ns)},
        {"end", Rfc3339(m.event_end_ns)},
        {"duration_seconds", m.event_duration_seconds}}},
      {"host",
       {{"hostname", m.hostname},
        {"kernel", m.kernel},
        {"boot_id", m.boot_id},
        {"page_size", m.page_size},
        {"clock_ticks_per_second", m.clock_ticks_per_second}}},
      {"software",
       {{"name", "rogue-hunter"},
        {"version", m.software_version},
        {"revision", m.software_revision}}},
      {"config_digest", m.config_digest},
      {"redacted", m.redacted},
      {"files", files},
  };
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

Result<Manifest> ParseManifest(std::string_view text, std::string_view source) {
  const std::string where(source);
  auto parsed = ParseJson(text, where);
  if (!parsed) return parsed.error();
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return Error{where + ": not a JSON object"};
  auto field = [&](const nlohmann::json& obj, const char* key, nlohmann::json::value_t type,
                   const std::string& path) -> Result<nlohmann::json> {
    auto it = obj.find(key);
    if (it == obj.end()) return Error{where + ": " + path + key + " is missing"};
    bool ok = it->type() == type ||
              (type == nlohmann::json::value_t::number_float && it->is_number()) ||
              (type == nlohmann::json::value_t::number_unsigned && it->is_number_unsigned());
    if (!ok) return Error{where + ": " + path + key + " has the wrong type"};
    return *it;
  };
  using T = nlohmann::json::value_t;
  // An integer field that must fit `out` exactly: 4294967297 is not read as 1.
  auto integer = [&](const nlohmann::json& obj, const char* key, const std::string& path,
                     auto& out) -> Status {
    auto v = field(obj, key, T::number_unsigned, path);
    if (!v) return v.error();
    auto fits = JsonInteger<std::remove_reference_t<decltype(out)>>(*v);
    if (!fits) return Error{where + ": " + path + key + " is out of range: " + v->dump()};
    out = *fits;
    return {};
  };
  auto version = field(j, "format_version", T::number_unsigned, "");
  if (!version) return version.error();
  Manifest m;
  const std::uint64_t format_version = version->get<std::uint64_t>();
  if (format_version != static_cast<std::uint64_t>(kBundleFormatVersion)) {
    return Error{where + ": unknown bundle format version " + std::to_string(format_version) +
                 " (this build reads " + std::to_string(kBundleFormatVersion) + ")"};
  }
  m.format_version = kBundleFormatVersion;
  auto str = [&](const nlohmann::json& obj, const char* key, const std::string& path,
                 std::string& out) -> Status {
    auto v = field(obj, key, T::string, path);
    if (!v) return v.error();
    out = v->get<std::string>();
    return {};
  };
  auto time = [&](const nlohmann::json& obj, const char* key, const std::string& path,
                  std::int64_t& out) -> Status {
    std::string s;
    if (Status st = str(obj, key, path, s); !st.ok()) return st;
    auto ns = ParseRfc3339(s);
    if (!ns)
      return Error{where + ": " + path + key + " is not an RFC 3339 UTC time: \"" + s + "\""};
    out = *ns;
    return {};
  };
  for (Status s :
       {str(j, "id", "", m.id), time(j, "created", "", m.created_ns),
        str(j, "trigger", "", m.trigger), str(j, "config_digest", "", m.config_digest)}) {
    if (!s.ok()) return s.error();
  }
  if (!IsSafeRelativePath(m.id) || m.id.find('/') != std::string::npos || !IsPlainText(m.id)) {
    return Error{where + ": id \"" + m.id + "\" is not a bundle id"};
  }
  if (auto it = j.find("redacted"); it != j.end()) {
    if (!it->is_boolean()) return Error{where + ": redacted has the wrong type"};
    m.redacted = it->get<bool>();
  }
  auto event = field(j, "event", T::object, "");
  if (!event) return event.error();
  for (Status s : {str(*event, "kind", "event.", m.event_kind),
                   time(*event, "start", "event.", m.event_start_ns),
                   time(*event, "end", "event.", m.event_end_ns)}) {
    if (!s.ok()) return s.error();
  }
  auto duration = field(*event, "duration_seconds", T::number_float, "event.");
  if (!duration) return duration.error();
  m.event_duration_seconds = duration->get<double>();
  auto host = field(j, "host", T::object, "");
  if (!host) return host.error();
  for (Status s :
       {str(*host, "hostname", "host.", m.hostname), str(*host, "kernel", "host.", m.kernel),
        str(*host, "boot_id", "host.", m.boot_id)}) {
    if (!s.ok()) return s.error();
  }
  for (Status s : {integer(*host, "page_size", "host.", m.page_size),
                   integer(*host, "clock_ticks_per_second", "host.", m.clock_ticks_per_second)}) {
    if (!s.ok()) return s.error();
  }
  auto software = field(j, "software", T::object, "");
  if (!software) return software.error();
  for (Status s : {str(*software, "version", "software.", m.software_version),
                   str(*software, "revision", "software.", m.software_revision)}) {
    if (!s.ok()) return s.error();
  }
  auto files = field(j, "files", T::array, "");
  if (!files) return files.error();
  for (std::size_t i = 0; i < files->size(); ++i) {
    const auto& f = (*files)[i];
    const std::string path = "files[" + std::to_string(i) + "].";
    if (!f.is_object()) return Error{where + ": files[" + std::to_string(i) + "] is not an object"};
    ManifestFile entry;
    if (Status s = str(f, "path", path, entry.path); !s.ok()) return s.error();
    if (Status s = str(f, "sha256", path, entry.sha256); !s.ok()) return s.error();
    if (Status s = integer(f, "size", path, entry.size); !s.ok()) return s.error();
    if (!IsSafeRelativePath(entry.path) || entry.path == kManifestFile) {
      return Error{where + ": " + path + "path \"" + entry.path + "\" is not a safe relative path"};
    }
    if (entry.sha256.size() != 64 ||
        entry.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Error{where + ": " + path + "sha256 is not 64 lower-case hex digits"};
    }
    m.files.push_back(std::move(entry));
  }
  return m;
}

bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos)
    return false;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find('/', begin);
    std::string_view part =
        path.substr(begin, end == std::string_view::npos ? path.npos : end - begin);
    if (part.empty() || part == "." || part == "..") return false;
    if (end == std::string_view::npos) break;
    begin = end + 1;
  }
  return true;
}

std::string BundleId(std::int64_t end_realtime_ns, std::string_view trigger) {
  std::string t = Rfc3339(end_realtime_ns);  // 2026-11-23T10:15:03.812Z
  std::string compact;
  for (char c : t) {
    if (c != '-' && c != ':') compact += c;
  }
  return compact + "-" + std::string(trigger);
}

std::string Sha256Hex(std::string_view bytes) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, bytes.size(), reinterpret_cast<const std::uint8_t*>(bytes.data()));
  std::uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof(digest), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < sizeof(digest); ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace rh::forensics
