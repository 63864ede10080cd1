#include "forensics/json_read.h"

#include <exception>
#include <new>
#include <vector>

namespace rh::forensics {
namespace {

// Thrown from the parser callback when the document nests too deeply.
struct TooDeep {};

// The field the parser is in, for messages: object keys, "[]" for array elements.
class FieldPath {
 public:
  void Open(int depth, bool array) {
    parts_.resize(static_cast<std::size_t>(depth));
    parts_.push_back(array ? "[]" : "");
  }
  void Key(int depth, const std::string& key) {
    parts_.resize(static_cast<std::size_t>(depth));
    if (depth > 0) parts_.back() = key;
  }
  void Close(int depth) { parts_.resize(static_cast<std::size_t>(depth)); }

  std::string Text() const {
    std::string out;
    for (const auto& part : parts_) {
      if (part.empty()) continue;
      if (part != "[]" && !out.empty()) out += '.';
      out += part;
    }
    return out;
  }

 private:
  std::vector<std::string> parts_;
};

// The library's message without its "[json.exception.parse_error.101] " prefix.
std::string Why(const std::exception& e) {
  std::string what = e.what();
  if (what.starts_with("[json.exception.")) {
    if (std::size_t end = what.find("] "); end != std::string::npos) what.erase(0, end + 2);
  }
  return what;
}

template <typename Json>
Result<Json> Parse(std::string_view text, const std::string& where) {
  FieldPath path;
  auto failed = [&](const std::string& why) {
    const std::string field = path.Text();
    return Error{where + ": not valid JSON" + (field.empty() ? "" : " at " + field) + ": " + why};
  };
  using Event = typename Json::parse_event_t;
  typename Json::parser_callback_t callback = [&path](int depth, Event event, Json& parsed) {
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (depth >= kMaxJsonDepth) throw TooDeep{};
        path.Open(depth, event == Event::array_start);
        break;
      case Event::key:
        path.Key(depth, parsed.template get_ref<const std::string&>());
        break;
      case Event::object_end:
      case Event::array_end:
        path.Close(depth);
        break;
      case Event::value:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text, callback);
  } catch (const TooDeep&) {
    return failed("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  } catch (const std::bad_alloc&) {
    return failed("out of memory");
  } catch (const std::exception& e) {  // parse_error, out_of_range (1e999), type_error...
    return failed(Why(e));
  }
}

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text, const std::string& where) {
  return Parse<nlohmann::json>(text, where);
}

Result<nlohmann::ordered_json> ParseOrderedJson(std::string_view text, const std::string& where) {
  return Parse<nlohmann::ordered_json>(text, where);
}

}  // namespace rh::forensics
