#include "forensics/cli/redact.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

#include "forensics/redaction.h"
#include "forensics/sample_json.h"

namespace rh::forensics::cli {
namespace {

using nlohmann::ordered_json;

const std::set<std::string, std::less<>> kUserKeys = {"user",  "username",  "user_name", "owner",
                                                      "group", "groupname", "group_name"};
const std::set<std::string, std::less<>> kArgvKeys = {"cmdline", "argv", "args", "command_line"};
const std::set<std::string, std::less<>> kPathKeys = {"cwd", "root"};
const std::set<std::string, std::less<>> kEnvKeys = {"environ", "env", "environment"};
const std::set<std::string, std::less<>> kHostKeys = {"hostname", "host_name", "nodename"};

// Letters, digits, '_' and any byte of a multi-byte UTF-8 character.
bool IsWordByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || u == '_' || (u >= '0' && u <= '9') ||
         ((u | 0x20) >= 'a' && (u | 0x20) <= 'z');
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A string, or bytes written as {"base64": ...}; nullopt for anything else (null included).
std::optional<std::string> BytesOf(const ordered_json& v) {
  if (!v.is_string() && !v.is_object()) return std::nullopt;
  auto bytes = BytesFromJson(nlohmann::json(v));
  if (!bytes) return std::nullopt;
  return std::move(bytes).value();
}

bool IsJsonFile(const std::string& path) {
  return !path.starts_with("raw/") && (path.ends_with(".json") || path.ends_with(".jsonl"));
}

class Redactor {
 public:
  explicit Redactor(std::string salt) : salt_(std::move(salt)) {}

  std::string Hash(std::string_view value) const { return RedactedHash(salt_, value); }

  // Replaces the sensitive fields of `j` in place, remembering what it replaced.
  void Fields(ordered_json& j) {
    if (j.is_array()) {
      for (auto& e : j) Fields(e);
      return;
    }
    if (!j.is_object()) return;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& key = it.key();
      ordered_json& v = it.value();
      if (key == "comm") {
        if (auto bytes = BytesOf(v)) keep_.insert(*bytes);
      } else if (kUserKeys.contains(key) && BytesOf(v)) {
        v = Secret(*BytesOf(v), 3);
      } else if (kHostKeys.contains(key) && BytesOf(v)) {
        v = Host(*BytesOf(v));
      } else if (kArgvKeys.contains(key)) {
        v = Argv(v);
      } else if (key == "exe" && BytesOf(v)) {
        std::string exe = *BytesOf(v);
        Secret(exe, 4);
        v = BaseName(exe);
        keep_.insert(v.get<std::string>());
      } else if (kPathKeys.contains(key) && BytesOf(v)) {
        v = Secret(*BytesOf(v), 4);
      } else if (kEnvKeys.contains(key)) {
        v = Hash(v.dump());
      } else {
        Fields(v);
      }
    }
  }

  std::string Host(const std::string& host) {
    std::string hashed = Secret(host, 2);
    if (std::size_t dot = host.find('.'); dot != std::string::npos && dot > 0) {
      Secret(host.substr(0, dot), 2);
    }
    return hashed;
  }

  // Replaces every remembered value inside the string values of `j`.
  void Strings(ordered_json& j) const {
    if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      if (IsRedactedHash(s)) return;
      j = Text(s);
    } else if (j.is_structured()) {
      for (auto& e : j) Strings(e);
    }
  }

  // Replaces every remembered value in `text`, longest first at each position. A value is only
  // replaced where it is not part of a longer word ("vm" is a host name, not a part of "vmstat";
  // "root" is not a part of "chroot"), which keeps names and keys of the format intact.
  std::string Text(std::string_view text) const {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
      const auto& candidates = index_[static_cast<unsigned char>(text[i])];
      const std::pair<const std::string, std::string>* hit = nullptr;
      for (const auto* c : candidates) {
        const std::string& value = c->first;
        if (text.compare(i, value.size(), value) != 0) continue;
        const std::size_t end = i + value.size();
        if (IsWordByte(value.front()) && i > 0 && IsWordByte(text[i - 1])) continue;
        if (IsWordByte(value.back()) && end < text.size() && IsWordByte(text[end])) continue;
        hit = c;
        break;
      }
      if (hit != nullptr) {
        out += hit->second;
        i += hit->first.size();
      } else {
        out += text[i++];
      }
    }
    return out;
  }

  // Builds the index for Text(): values equal to a kept name (comm, argv[0]'s basename) are left.
  void Seal() {
    for (const auto& k : keep_) secrets_.erase(k);
    for (auto& list : index_) list.clear();
    for (const auto& entry : secrets_) {
      index_[static_cast<unsigned char>(entry.first[0])].push_back(&entry);
    }
    for (auto& list : index_) {
      std::sort(list.begin(), list.end(),
                [](const auto* x, const auto* y) { return x->first.size() > y->first.size(); });
    }
  }

 private:
  // The hash of `value`, hunted in every file when it is at least `min_length` long.
  std::string Secret(const std::string& value, std::size_t min_length) {
    std::string hashed = Hash(value);
    if (value.size() >= min_length && !AllDigits(value)) secrets_.emplace(value, hashed);
    return hashed;
  }

  ordered_json Argv(const ordered_json& v) {
    if (v.is_null()) return v;
    std::vector<std::string> args;
    bool as_array = v.is_array();
    if (as_array) {
      for (const auto& a : v) {
        auto bytes = BytesFromJson(nlohmann::json(a));
        args.push_back(bytes ? *bytes : a.dump());
      }
    } else if (v.is_string()) {
      std::string s = v.get<std::string>();
      std::size_t begin = 0;
      while (begin <= s.size()) {
        std::size_t end = s.find(' ', begin);
        if (end == std::string::npos) end = s.size();
        if (end > begin) args.push_back(s.substr(begin, end - begin));
        begin = end + 1;
      }
    } else {
      return Hash(v.dump());
    }
    std::vector<std::string> out = RedactArguments(args, salt_);
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (i == 0) {
        if (out[0] != args[0]) Secret(args[0], 4);
        keep_.insert(out[0]);
      } else {
        Secret(args[i], 4);
      }
    }
    if (as_array) {
      ordered_json array = ordered_json::array();
      for (auto& a : out) array.push_back(ordered_json(BytesToJson(a)));
      return array;
    }
    std::string joined;
    for (const auto& a : out) joined += (joined.empty() ? "" : " ") + a;
    return joined;
  }

  std::string salt_;
  std::map<std::string, std::string> secrets_;  // value -> hash
  std::set<std::string> keep_;
  std::array<std::vector<const std::pair<const std::string, std::string>*>, 256> index_;
};

ordered_json ParseOrdered(std::string_view text) {
  return ordered_json::parse(text, nullptr, false);
}

std::string Dump(const ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace

Result<std::map<std::string, std::string>> RedactBundle(const OpenedBundle& bundle,
                                                        std::string_view salt) {
  Redactor redactor{std::string(salt)};
  Manifest manifest = bundle.manifest;
  manifest.hostname = redactor.Host(manifest.hostname);

  // Field by field first, which also learns the values to hunt everywhere else.
  std::map<std::string, std::string> files;
  std::map<std::string, ordered_json> json_files;  // single documents
  std::map<std::string, std::vector<ordered_json>> jsonl_files;
  for (const auto& [path, content] : bundle.files.files) {
    if (path == kManifestFile) continue;
    if (IsJsonFile(path) && path.ends_with(".jsonl")) {
      std::vector<ordered_json> lines;
      bool ok = true;
      for (const auto& line : Lines(content)) {
        if (line.empty()) continue;
        ordered_json j = ParseOrdered(line);
        if (j.is_discarded()) {
          ok = false;
          break;
        }
        redactor.Fields(j);
        lines.push_back(std::move(j));
      }
      if (ok) {
        jsonl_files.emplace(path, std::move(lines));
        continue;
      }
    } else if (IsJsonFile(path)) {
      ordered_json j = ParseOrdered(content);
      if (!j.is_discarded()) {
        redactor.Fields(j);
        json_files.emplace(path, std::move(j));
        continue;
      }
    }
    files.emplace(path, content);  // text: replaced below
  }
  redactor.Seal();

  for (auto& [path, content] : files) content = redactor.Text(content);
  for (auto& [path, j] : json_files) {
    redactor.Strings(j);
    files[path] = Dump(j, 2) + "\n";
  }
  for (auto& [path, lines] : jsonl_files) {
    std::string text;
    for (auto& j : lines) {
      redactor.Strings(j);
      text += Dump(j, -1) + "\n";
    }
    files[path] = std::move(text);
  }
  manifest.redacted = true;
  manifest.files = ListFiles(files);
  files[std::string(kManifestFile)] = ManifestToJson(manifest);
  return files;
}

}  // namespace rh::forensics::cli
