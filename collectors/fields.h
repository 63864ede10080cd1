#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>
#include <variant>

namespace rh::collectors {

// One description per field of a sample struct. The bundle JSON (forensics/sample_json.cc), the
// /metrics families (exporter/metrics.cc) and the SQLite sample columns (forensics/store.cc) all
// follow these descriptions, and the table-driven parsers find their keys in them: a new counter
// of an existing file is one member and one description line in system_sample.h.

/// How a described field appears on /metrics.
enum class MetricType : std::uint8_t { kNone, kGauge, kCounter };

/// A pointer to one numeric member of the sample struct S.
template <typename S>
using FieldMember =
    std::variant<double S::*, std::uint64_t S::*, std::int64_t S::*, std::uint32_t S::*, bool S::*>;

/// One field of the sample struct S. Declare them with designated initializers, in this order.
template <typename S>
struct Field {
  std::string_view name;  ///< Key in the bundle JSON; the C++ member's name.
  FieldMember<S> member;
  std::string_view unit;  ///< Of the raw value: "bytes", "seconds", "pages", "KiB", "" (count).
  std::string_view help;  ///< One sentence: the metric's HELP.
  std::string_view source = {};  ///< The kernel's name for it, where a parser looks it up.
  std::string_view metric = {};  ///< Metric name; empty: not exported.
  MetricType type = MetricType::kNone;
  /// With label_value: this field is one series of a family that several consecutive fields with
  /// the same `metric` share, e.g. {mode="user"} of rogue_hunter_cpu_seconds_total.
  std::string_view label_name = {};
  std::string_view label_value = {};
  double scale = 1;  ///< Raw value × scale is the metric's base unit (KiB → bytes 1024).
  std::string_view column = {};  ///< Column of the history's samples table; empty: not stored.
  /// Bundles written before this field existed lack it; reading one, it stays 0. False for the
  /// fields of bundle format 1, whose absence is an error.
  bool absent_in_old_bundles = false;
};

/// A description table as a span.
template <typename S, std::size_t N>
constexpr std::span<const Field<S>> Fields(const Field<S> (&table)[N]) {
  return table;
}

/// The value of `field` in `part`, as a double (counters above 2^53 lose precision).
template <typename S>
double NumberOf(const Field<S>& field, const S& part) {
  return std::visit([&](auto member) { return static_cast<double>(part.*member); }, field.member);
}

/// Whether the field holds an integer (it is stored as an SQLite INTEGER, written to JSON exactly).
template <typename S>
bool IsInteger(const Field<S>& field) {
  return !std::holds_alternative<double S::*>(field.member);
}

/// The field's member if it has type T, else null.
template <typename T, typename S>
T S::*MemberOfType(const Field<S>& field) {
  auto* member = std::get_if<T S::*>(&field.member);
  return member == nullptr ? nullptr : *member;
}

/// The field whose `source` is `key`, or null.
template <typename S>
const Field<S>* FieldBySource(std::span<const Field<S>> fields, std::string_view key) {
  for (const Field<S>& f : fields) {
    if (!f.source.empty() && f.source == key) return &f;
  }
  return nullptr;
}

}  // namespace rh::collectors
