#include "tests/otel/test_collector.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/http.h"

namespace rh::test {

using nlohmann::json;

namespace {

const std::filesystem::path kCollectorDir =
    std::filesystem::path(RH_SOURCE_DIR) / "tests/otel/collector";

json ParseOrNull(const std::string& text) { return json::parse(text, nullptr, false); }

}  // namespace

TestCollector::TestCollector(int port) {
  if (!std::filesystem::exists(kCollectorDir / "node_modules")) {
    ADD_FAILURE() << kCollectorDir << "/node_modules is missing: run `make test` (or "
                  << "scripts/install-node-deps.sh tests/otel/collector)";
    return;
  }
  Subprocess::Options options;
  options.cwd = kCollectorDir;
  process_.emplace(Subprocess::Start(
      {"node", (kCollectorDir / "collector.js").string(), "--port", std::to_string(port)},
      options));
  WaitUntil(
      [&] {
        json line = ParseOrNull(process_->Stdout());
        if (line.is_object() && line.contains("port")) port_ = line["port"].get<int>();
        return port_ > 0 || !process_->Running();
      },
      std::chrono::seconds(20), std::chrono::milliseconds(20));
}

TestCollector::~TestCollector() { Stop(); }

std::string TestCollector::failure() const {
  return process_ ? process_->Stderr() : "node_modules missing";
}

void TestCollector::Stop() {
  if (process_ && process_->Running()) process_->Stop(std::chrono::seconds(5));
}

void TestCollector::Script(const json& responses, const json& fallback) {
  json body = {{"responses", responses}};
  if (!fallback.is_null()) body["default"] = fallback;
  HttpResponse r =
      HttpRequest("POST", url("/control/script"), {"Content-Type: application/json"}, body.dump());
  EXPECT_EQ(r.status, 200) << r.error;
}

json TestCollector::Requests() const {
  if (!ok()) return json::array();
  json parsed = ParseOrNull(HttpGet(url("/control/requests")).body);
  return parsed.is_array() ? parsed : json::array();
}

std::vector<json> TestCollector::Records() const {
  std::vector<json> out;
  for (const json& request : Requests()) {
    const json& payload = request["payload"];
    if (!payload.is_object()) continue;
    for (const json& rl : payload.value("resourceLogs", json::array())) {
      json resource = json::object();
      for (const json& kv :
           rl.value("resource", json::object()).value("attributes", json::array())) {
        resource[kv.value("key", "")] = kv["value"];
      }
      for (const json& sl : rl.value("scopeLogs", json::array())) {
        for (json record : sl.value("logRecords", json::array())) {
          record["resource"] = resource;
          record["requestValid"] = request["valid"];
          record["requestErrors"] = request["errors"];
          out.push_back(std::move(record));
        }
      }
    }
  }
  return out;
}

std::optional<json> TestCollector::WaitForRecord(const std::string& event_name,
                                                 std::chrono::milliseconds timeout) const {
  std::optional<json> found;
  WaitUntil(
      [&] {
        for (const json& r : Records()) {
          if (r.value("eventName", "") == event_name) {
            found = r;
            return true;
          }
        }
        return false;
      },
      timeout, std::chrono::milliseconds(20));
  return found;
}

json Attribute(const json& attributes, const std::string& key) {
  if (!attributes.is_array()) return nullptr;
  for (const json& kv : attributes) {
    if (kv.value("key", "") == key) return kv["value"];
  }
  return nullptr;
}

std::string AttributeText(const json& attributes, const std::string& key) {
  json value = Attribute(attributes, key);
  if (!value.is_object()) return "";
  if (value.contains("stringValue")) return value["stringValue"].get<std::string>();
  if (value.contains("intValue")) return value["intValue"].get<std::string>();
  if (value.contains("doubleValue")) return value["doubleValue"].dump();
  if (value.contains("boolValue")) return value["boolValue"].dump();
  return value.dump();
}

}  // namespace rh::test
