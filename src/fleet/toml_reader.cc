#include "toml_reader.h"

#include <fmt/format.h>

namespace tokenfab::fleet::internal {
namespace {

int LineOfNode(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

int SourceMap::LineOf(std::string_view field) const {
  while (!field.empty()) {
    auto it = lines_.find(Key(field));
    if (it != lines_.end()) return it->second;
    const size_t cut = field.find_last_of(".[");
    if (cut == std::string_view::npos) break;
    field = field.substr(0, cut);
  }
  return 1;
}

Status SourceMap::Error(std::string_view field, std::string_view message) const {
  return absl::InvalidArgumentError(
      fmt::format("{}:{}: {}: {}", file_, LineOf(field), field, message));
}

TableReader::TableReader(const toml::table& table, std::string path, SourceMap& map)
    : table_(table), path_(std::move(path)), map_(map) {
  map_.Record(path_, LineOfNode(table_));
}

std::string TableReader::FieldPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

Status TableReader::Error(std::string_view key, std::string_view message) const {
  // A key that is present is blamed at its own line, read or not.
  if (const toml::node* node = table_.get(key)) map_.Record(FieldPath(key), LineOfNode(*node));
  return map_.Error(FieldPath(key), message);
}

void TableReader::RecordAs(std::string_view key, std::string_view alias) {
  if (const toml::node* node = table_.get(key)) map_.Record(FieldPath(alias), LineOfNode(*node));
}

const toml::node* TableReader::Get(std::string_view key) {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return nullptr;
  read_.emplace(key);
  map_.Record(FieldPath(key), LineOfNode(*node));
  return node;
}

StatusOr<const toml::node*> TableReader::Required(std::string_view key) {
  const toml::node* node = Get(key);
  if (node == nullptr) return Error(key, "missing (required)");
  return node;
}

StatusOr<std::string> TableReader::String(std::string_view key) {
  TF_ASSIGN_OR_RETURN(const toml::node* node, Required(key));
  if (!node->is_string())
    return Error(key, fmt::format("must be a string, not {}", TypeName(*node)));
  return std::string(node->as_string()->get());
}

StatusOr<std::string> TableReader::String(std::string_view key, std::string fallback) {
  if (!Has(key)) return fallback;
  return String(key);
}

StatusOr<double> TableReader::Number(std::string_view key) {
  TF_ASSIGN_OR_RETURN(const toml::node* node, Required(key));
  if (!node->is_number())
    return Error(key, fmt::format("must be a number, not {}", TypeName(*node)));
  return *node->value<double>();
}

StatusOr<double> TableReader::Number(std::string_view key, double fallback) {
  if (!Has(key)) return fallback;
  return Number(key);
}

StatusOr<bool> TableReader::Bool(std::string_view key, bool fallback) {
  if (!Has(key)) return fallback;
  const toml::node* node = Get(key);
  if (!node->is_boolean()) {
    return Error(key, fmt::format("must be true or false, not {}", TypeName(*node)));
  }
  return node->as_boolean()->get();
}

StatusOr<int64_t> TableReader::Integer(std::string_view key) {
  TF_ASSIGN_OR_RETURN(const toml::node* node, Required(key));
  if (!node->is_integer()) {
    return Error(key, fmt::format("must be an integer, not {}", TypeName(*node)));
  }
  return node->as_integer()->get();
}

StatusOr<std::vector<std::string>> TableReader::StringArray(std::string_view key) {
  TF_ASSIGN_OR_RETURN(const toml::node* node, Required(key));
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return Error(key, fmt::format("must be an array of strings, not {}", TypeName(*node)));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (!element.is_string()) {
      return Error(key, fmt::format("element {} must be a string, not {}", i, TypeName(element)));
    }
    out.emplace_back(element.as_string()->get());
  }
  return out;
}

StatusOr<std::vector<double>> TableReader::NumberArray(std::string_view key) {
  TF_ASSIGN_OR_RETURN(const toml::node* node, Required(key));
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return Error(key, fmt::format("must be an array of numbers, not {}", TypeName(*node)));
  }
  std::vector<double> out;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (!element.is_number()) {
      return Error(key, fmt::format("element {} must be a number, not {}", i, TypeName(element)));
    }
    out.push_back(*element.value<double>());
  }
  return out;
}

StatusOr<const toml::table*> TableReader::Table(std::string_view key) {
  TF_ASSIGN_OR_RETURN(const toml::node* node, Required(key));
  if (!node->is_table()) return Error(key, fmt::format("must be a table, not {}", TypeName(*node)));
  return node->as_table();
}

StatusOr<const toml::table*> TableReader::OptionalTable(std::string_view key) {
  if (!Has(key)) return nullptr;
  return Table(key);
}

StatusOr<const toml::array*> TableReader::OptionalArray(std::string_view key) {
  const toml::node* node = Get(key);
  if (node == nullptr) return nullptr;
  if (!node->is_array())
    return Error(key, fmt::format("must be an array, not {}", TypeName(*node)));
  return node->as_array();
}

Status TableReader::Finish() const {
  for (auto&& [key, node] : table_) {
    if (read_.contains(Key(key.str()))) continue;
    const std::string field = FieldPath(key.str());
    return absl::InvalidArgumentError(
        fmt::format("{}:{}: {}: unknown field", map_.file(), key.source().begin.line, field));
  }
  return absl::OkStatus();
}

Status ForEachTable(const toml::array* array, std::string_view name, SourceMap& map,
                    const std::function<Status(const toml::table&, const std::string&)>& fn) {
  if (array == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string path = fmt::format("{}[{}]", name, i);
    map.Record(path, LineOfNode(element));
    if (!element.is_table()) {
      return map.Error(path, fmt::format("must be a table, not {}", TypeName(element)));
    }
    TF_RETURN_IF_ERROR(fn(*element.as_table(), path));
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::fleet::internal
