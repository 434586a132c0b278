// Helpers for reading a TOML document field by field with errors that name the file, line and
// field ("fleet.toml:12: upstreams[1].url: ..."). Internal to the fleet layer; toml++ types do
// not leave it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "tokenfab/base/status.h"

namespace tokenfab::fleet::internal {

// Where each field of one parsed file sits: field path ("upstreams[1].url") -> line. Not
// thread-safe; lives for one load.
class SourceMap {
 public:
  explicit SourceMap(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  void Record(const std::string& field, int line) { lines_.try_emplace(field, line); }
  // The line of `field`, else of the nearest enclosing field recorded ("a[1].b" -> "a[1]" -> "a"),
  // else 1.
  int LineOf(std::string_view field) const;
  // InvalidArgument "file:line: field: message", the line being LineOf(field).
  Status Error(std::string_view field, std::string_view message) const;

 private:
  std::string file_;
  absl::flat_hash_map<std::string, int> lines_;
};

// Reads the fields of one TOML table under path `path` ("sites[0].energy"), records their lines in
// the SourceMap, and with Finish() rejects every key nobody read (a misspelt field is an error,
// not a silently ignored line). Not thread-safe; borrows the table and the map.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, SourceMap& map);

  std::string FieldPath(std::string_view key) const;
  const std::string& path() const { return path_; }
  SourceMap& map() const { return map_; }
  // Records the line of `key` (present) also under the field `alias`, for errors that the
  // validator reports under a name the file does not use ("energy.prices" for "hourly_prices").
  void RecordAs(std::string_view key, std::string_view alias);
  Status Error(std::string_view key, std::string_view message) const;

  bool Has(std::string_view key) const { return table_.contains(key); }

  // Required fields: a missing key is an error at the table's line.
  [[nodiscard]] StatusOr<std::string> String(std::string_view key);
  [[nodiscard]] StatusOr<double> Number(std::string_view key);
  [[nodiscard]] StatusOr<int64_t> Integer(std::string_view key);
  [[nodiscard]] StatusOr<std::vector<std::string>> StringArray(std::string_view key);
  [[nodiscard]] StatusOr<std::vector<double>> NumberArray(std::string_view key);
  [[nodiscard]] StatusOr<const toml::table*> Table(std::string_view key);

  // Optional fields: the fallback (or nullptr) when the key is absent.
  [[nodiscard]] StatusOr<std::string> String(std::string_view key, std::string fallback);
  [[nodiscard]] StatusOr<double> Number(std::string_view key, double fallback);
  [[nodiscard]] StatusOr<bool> Bool(std::string_view key, bool fallback);
  [[nodiscard]] StatusOr<const toml::table*> OptionalTable(std::string_view key);
  [[nodiscard]] StatusOr<const toml::array*> OptionalArray(std::string_view key);

  // Error for the first key present in the table that no getter asked for.
  [[nodiscard]] Status Finish() const;

 private:
  // Marks `key` read and records its line; nullptr when absent.
  const toml::node* Get(std::string_view key);
  StatusOr<const toml::node*> Required(std::string_view key);

  const toml::table& table_;
  std::string path_;
  SourceMap& map_;
  absl::flat_hash_set<std::string> read_;
};

// Calls `fn(table, "name[i]")` for each element of an array of tables, stopping at the first
// error. An element that is not a table is an error. A null array is empty.
[[nodiscard]] Status ForEachTable(
    const toml::array* array, std::string_view name, SourceMap& map,
    const std::function<Status(const toml::table&, const std::string& path)>& fn);

}  // namespace tokenfab::fleet::internal
