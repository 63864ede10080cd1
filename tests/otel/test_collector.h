#pragma once

// The test suite's OTLP collector (tests/otel/collector/collector.js, Node.js) as a child process:
// started on a loopback port, stopped by PID. It validates every payload against the OTLP
// protobuf schema and answers as scripted (see collector.js).

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace rh::test {

class TestCollector {
 public:
  /// Starts the collector on `port` (0: one the kernel picks) and waits until it listens. Check
  /// ok() before using it.
  explicit TestCollector(int port = 0);
  ~TestCollector();
  TestCollector(const TestCollector&) = delete;
  TestCollector& operator=(const TestCollector&) = delete;

  bool ok() const { return port_ > 0; }
  /// Why it did not start (its stderr), when !ok().
  std::string failure() const;
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string logs_url() const { return url("/v1/logs"); }

  /// The next requests get `responses` in order, then `fallback` (null: keep the current one,
  /// 200 with "{}" at first). A response is {"status", "headers", "body", "hang"}.
  void Script(const nlohmann::json& responses, const nlohmann::json& fallback = nlohmann::json());
  /// Every request received: {receivedAtMs, method, path, headers, valid, errors, payload}.
  nlohmann::json Requests() const;
  /// The log records of every request, each with "resource" (its resource attributes as a
  /// name -> value object) added.
  std::vector<nlohmann::json> Records() const;
  /// Waits until a record with `event_name` arrived; returns it.
  std::optional<nlohmann::json> WaitForRecord(const std::string& event_name,
                                              std::chrono::milliseconds timeout) const;

  /// Stops the collector (SIGTERM, then SIGKILL); the port is free afterwards.
  void Stop();

 private:
  std::optional<Subprocess> process_;
  int port_ = 0;
};

/// The attribute `key` of a log record, or of a resource's attribute list, as its JSON AnyValue
/// ({"stringValue": ...}); null if absent.
nlohmann::json Attribute(const nlohmann::json& attributes, const std::string& key);
/// The string form of an AnyValue (stringValue, intValue, or the number of doubleValue/boolValue).
std::string AttributeText(const nlohmann::json& attributes, const std::string& key);

}  // namespace rh::test
