#include "forensics/cli/redact.h"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

#include "forensics/json_read.h"
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
      j = *Text(s, std::numeric_limits<std::uint64_t>::max());
    } else if (j.is_structured()) {
      for (auto& e : j) Strings(e);
    }
  }

  // Replaces every remembered value in `text`, longest first at each position. A value is only
  // replaced where it is not part of a longer word ("vm" is a host name, not a part of "vmstat";
  // "root" is not a part of "chroot"), which keeps names and keys of the format intact.
  // nullopt once the result would be longer than `cap` bytes.
  std::optional<std::string> Text(std::string_view text, std::uint64_t cap) const {
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
      if (out.size() > cap) return std::nullopt;
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

// Thrown by BoundedOutput when a document would grow past its cap.
struct TooLarge {};

// Appends to a string and throws TooLarge past `cap` bytes, so that pretty-printing a document
// stops before it allocates the whole oversized text.
class BoundedOutput final : public nlohmann::detail::output_adapter_protocol<char> {
 public:
  BoundedOutput(std::string& out, std::uint64_t cap) : out_(out), cap_(cap) {}
  void write_character(char c) override { write_characters(&c, 1); }
  void write_characters(const char* s, std::size_t length) override {
    if (out_.size() + length > cap_) throw TooLarge{};
    out_.append(s, length);
  }

 private:
  std::string& out_;
  std::uint64_t cap_;
};

// Appends `j` as JSON (indented by `indent`, or on one line for -1) and a newline to `out`,
// unless `out` would then exceed `cap` bytes.
bool DumpBounded(const ordered_json& j, int indent, std::uint64_t cap, std::string& out) {
  try {
    nlohmann::detail::serializer<ordered_json> serializer(
        std::make_shared<BoundedOutput>(out, cap), ' ', ordered_json::error_handler_t::replace);
    serializer.dump(j, indent >= 0, false, static_cast<unsigned>(std::max(indent, 0)));
    if (out.size() + 1 > cap) return false;
    out += '\n';
    return true;
  } catch (const TooLarge&) {
    return false;
  }
}

Error Larger(const OpenedBundle& bundle, const std::string& path, std::uint64_t cap) {
  return Error{bundle.Where(path) + ": redacted, it would be larger than " + std::to_string(cap) +
               " bytes, more than rh-forensics reads back"};
}

}  // namespace

Result<std::map<std::string, std::string>> RedactBundle(const OpenedBundle& bundle,
                                                        std::string_view salt,
                                                        const ReadLimits& limits) {
  Redactor redactor{std::string(salt)};
  Manifest manifest = bundle.manifest;
  manifest.hostname = redactor.Host(manifest.hostname);

  // Field by field first, which also learns the values to hunt everywhere else. A JSON file that
  // cannot be read as JSON is refused: its fields could not be redacted.
  std::map<std::string, std::string> files;
  std::map<std::string, ordered_json> json_files;  // single documents
  std::map<std::string, std::vector<ordered_json>> jsonl_files;
  for (const auto& [path, content] : bundle.files.files) {
    if (path == kManifestFile) continue;
    const std::string where = bundle.Where(path);
    if (IsJsonFile(path) && path.ends_with(".jsonl")) {
      std::vector<ordered_json> lines;
      std::size_t number = 0;
      for (const auto& line : Lines(content)) {
        ++number;
        if (line.empty()) continue;
        auto j = ParseOrderedJson(line, where + ":" + std::to_string(number));
        if (!j) return Error{j.error().message + "; refusing to redact it"};
        redactor.Fields(*j);
        lines.push_back(std::move(j).value());
      }
      jsonl_files.emplace(path, std::move(lines));
    } else if (IsJsonFile(path)) {
      auto j = ParseOrderedJson(content, where);
      if (!j) return Error{j.error().message + "; refusing to redact it"};
      redactor.Fields(*j);
      json_files.emplace(path, std::move(j).value());
    } else {
      files.emplace(path, content);  // text: replaced below
    }
  }
  redactor.Seal();

  // Every file is kept within what the reader accepts: a hash is longer than what it replaces,
  // and indenting a deeply nested document multiplies its size.
  const std::uint64_t file_cap = limits.max_file_bytes;
  for (auto& [path, content] : files) {
    auto text = redactor.Text(content, file_cap);
    if (!text) return Larger(bundle, path, file_cap);
    content = std::move(*text);
  }
  for (auto& [path, j] : json_files) {
    redactor.Strings(j);
    std::string& text = files[path];
    if (!DumpBounded(j, 2, file_cap, text)) return Larger(bundle, path, file_cap);
  }
  for (auto& [path, lines] : jsonl_files) {
    std::string& text = files[path];
    for (auto& j : lines) {
      redactor.Strings(j);
      if (!DumpBounded(j, -1, file_cap, text)) return Larger(bundle, path, file_cap);
    }
  }
  std::uint64_t total = 0;
  for (const auto& [path, content] : files) total += content.size();
  if (total > limits.max_total_bytes) {
    return Error{bundle.files.origin + ": redacted, it would be larger than " +
                 std::to_string(limits.max_total_bytes) + " bytes in all"};
  }
  manifest.redacted = true;
  manifest.files = ListFiles(files);
  files[std::string(kManifestFile)] = ManifestToJson(manifest);
  return files;
}

}  // namespace rh::forensics::cli
