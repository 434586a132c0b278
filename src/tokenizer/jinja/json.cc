#include "tokenizer/jinja/json.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "tokenizer/jinja/unicode.h"
#include "tokenizer/jinja/value_compare.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

void AppendHexEscape(unsigned code, std::string* out) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u%04x", code & 0xFFFF);
  out->append(buf);
}

void AppendJsonString(const std::string& s, bool ensure_ascii, std::string* out) {
  out->push_back('"');
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = DecodeUtf8(s, &pos);
    switch (cp) {
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '\b':
        out->append("\\b");
        continue;
      case '\f':
        out->append("\\f");
        continue;
      default:
        break;
    }
    if (cp < 0x20) {
      AppendHexEscape(static_cast<unsigned>(cp), out);
    } else if (cp < 0x80 || !ensure_ascii) {
      out->append(s, start, pos - start);
    } else if (cp < 0x10000) {
      AppendHexEscape(static_cast<unsigned>(cp), out);
    } else {
      const unsigned v = static_cast<unsigned>(cp) - 0x10000;
      AppendHexEscape(0xD800 + (v >> 10), out);
      AppendHexEscape(0xDC00 + (v & 0x3FF), out);
    }
  }
  out->push_back('"');
}

// Python's json.dumps turns str, int, float, bool and None keys into strings.
StatusOr<std::string> KeyString(const Value& key) {
  switch (key.kind()) {
    case Value::Kind::kString:
      return key.string();
    case Value::Kind::kInt:
      return std::to_string(key.int_value());
    case Value::Kind::kFloat:
      return FloatRepr(key.float_value());
    case Value::Kind::kBool:
      return std::string(key.bool_value() ? "true" : "false");
    case Value::Kind::kNone:
      return std::string("null");
    default:
      return absl::InvalidArgumentError(
          fmt::format("keys must be str, int, float, bool or None, not {}", key.TypeName()));
  }
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonOptions& options) : options_(options) {
    const bool indented = options.indent.has_value();
    item_separator_ = options.item_separator.value_or(indented ? "," : ", ");
    key_separator_ = options.key_separator.value_or(": ");
  }

  Status Write(const Value& value, int level, std::string* out) {
    if (out->size() > options_.max_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("JSON text would exceed the {} byte limit", options_.max_bytes));
    }
    switch (value.kind()) {
      case Value::Kind::kNone:
        out->append("null");
        return absl::OkStatus();
      case Value::Kind::kBool:
        out->append(value.bool_value() ? "true" : "false");
        return absl::OkStatus();
      case Value::Kind::kInt:
        out->append(std::to_string(value.int_value()));
        return absl::OkStatus();
      case Value::Kind::kFloat: {
        const double f = value.float_value();
        if (f != f) {
          out->append("NaN");
        } else if (f == std::numeric_limits<double>::infinity()) {
          out->append("Infinity");
        } else if (f == -std::numeric_limits<double>::infinity()) {
          out->append("-Infinity");
        } else {
          out->append(FloatRepr(f));
        }
        return absl::OkStatus();
      }
      case Value::Kind::kString:
        AppendJsonString(value.string(), options_.ensure_ascii, out);
        return absl::OkStatus();
      case Value::Kind::kArray:
        return WriteArray(value.array(), level, out);
      case Value::Kind::kObject:
        return WriteObject(value.object(), level, out);
      default:
        return absl::InvalidArgumentError(
            fmt::format("Object of type {} is not JSON serializable", value.TypeName()));
    }
  }

 private:
  void NewLine(int level, std::string* out) {
    if (!options_.indent) return;
    out->push_back('\n');
    for (int i = 0; i < level; ++i) out->append(*options_.indent);
  }

  Status WriteArray(const Array& array, int level, std::string* out) {
    if (array.items.empty()) {
      out->append("[]");
      return absl::OkStatus();
    }
    out->push_back('[');
    for (size_t i = 0; i < array.items.size(); ++i) {
      if (i > 0) out->append(item_separator_);
      NewLine(level + 1, out);
      TF_RETURN_IF_ERROR(Write(array.items[i], level + 1, out));
    }
    NewLine(level, out);
    out->push_back(']');
    return absl::OkStatus();
  }

  Status WriteObject(const Object& object, int level, std::string* out) {
    if (object.entries.empty()) {
      out->append("{}");
      return absl::OkStatus();
    }
    std::vector<const std::pair<Value, Value>*> entries;
    for (const auto& entry : object.entries) entries.push_back(&entry);
    if (options_.sort_keys) {
      Status error;
      std::stable_sort(entries.begin(), entries.end(), [&](const auto* a, const auto* b) {
        StatusOr<int> c = Compare(a->first, b->first, "<");
        if (!c.ok()) error = c.status();
        return c.ok() && *c < 0;
      });
      TF_RETURN_IF_ERROR(error);
    }
    out->push_back('{');
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out->append(item_separator_);
      NewLine(level + 1, out);
      TF_ASSIGN_OR_RETURN(std::string key, KeyString(entries[i]->first));
      AppendJsonString(key, options_.ensure_ascii, out);
      out->append(key_separator_);
      TF_RETURN_IF_ERROR(Write(entries[i]->second, level + 1, out));
    }
    NewLine(level, out);
    out->push_back('}');
    return absl::OkStatus();
  }

  const JsonOptions& options_;
  std::string item_separator_;
  std::string key_separator_;
};

Value FromBoost(const boost::json::value& json) {
  switch (json.kind()) {
    case boost::json::kind::null:
      return Value::None();
    case boost::json::kind::bool_:
      return Value::Bool(json.get_bool());
    case boost::json::kind::int64:
      return Value::Int(json.get_int64());
    case boost::json::kind::uint64: {
      const uint64_t u = json.get_uint64();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value::Int(static_cast<int64_t>(u));
      }
      return Value::Float(static_cast<double>(u));
    }
    case boost::json::kind::double_:
      return Value::Float(json.get_double());
    case boost::json::kind::string:
      return Value::String(std::string(json.get_string()));
    case boost::json::kind::array: {
      std::vector<Value> items;
      items.reserve(json.get_array().size());
      for (const auto& item : json.get_array()) items.push_back(FromBoost(item));
      return Value::List(std::move(items));
    }
    case boost::json::kind::object: {
      std::vector<std::pair<std::string, Value>> entries;
      for (const auto& entry : json.get_object()) {
        std::string key(entry.key());
        auto existing = std::find_if(entries.begin(), entries.end(),
                                     [&](const auto& e) { return e.first == key; });
        if (existing != entries.end()) {
          existing->second = FromBoost(entry.value());  // last duplicate wins, as in Python
        } else {
          entries.emplace_back(std::move(key), FromBoost(entry.value()));
        }
      }
      return Value::Dict(std::move(entries));
    }
  }
  return Value::None();
}

}  // namespace

StatusOr<std::string> ToJson(const Value& value, const JsonOptions& options) {
  std::string out;
  JsonWriter writer(options);
  TF_RETURN_IF_ERROR(writer.Write(value, 0, &out));
  if (out.size() > options.max_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("JSON text would exceed the {} byte limit", options.max_bytes));
  }
  return out;
}

StatusOr<Value> ParseJsonValue(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxValueNesting - 1;
  boost::system::error_code ec;
  boost::json::value json =
      boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec) return absl::InvalidArgumentError(fmt::format("not valid JSON: {}", ec.message()));
  return FromBoost(json);
}

}  // namespace tokenfab::tokenizer::jinja
