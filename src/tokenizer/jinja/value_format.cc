#include "tokenizer/jinja/value_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/unicode.h"

namespace tokenfab::tokenizer::jinja {
namespace {

void AppendStringRepr(const std::string& s, std::string* out) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out->push_back(quote);
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = DecodeUtf8(s, &pos);
    char buf[16];
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out->append("\\n");
    } else if (cp == '\r') {
      out->append("\\r");
    } else if (cp == '\t') {
      out->append("\\t");
    } else if (IsPrintable(cp)) {
      out->append(s, start, pos - start);
    } else if (cp >= 0xDC80 && cp <= 0xDCFF && pos - start == 1) {
      std::snprintf(buf, sizeof(buf), "\\udc%02x", static_cast<unsigned>(cp & 0xFF));
      out->append(buf);
    } else if (cp < 0x100) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
      out->append(buf);
    } else if (cp < 0x10000) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      out->append(buf);
    } else {
      std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
      out->append(buf);
    }
  }
  out->push_back(quote);
}

// Appenders stop early once `out` passes `max` bytes (the caller checks the size).
void AppendRepr(const Value& value, size_t max, std::string* out);

void AppendItems(const Array& array, size_t max, std::string* out) {
  for (size_t i = 0; i < array.items.size() && out->size() <= max; ++i) {
    if (i > 0) out->append(", ");
    AppendRepr(array.items[i], max, out);
  }
}

void AppendObject(const Object& object, size_t max, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < object.entries.size() && out->size() <= max; ++i) {
    if (i > 0) out->append(", ");
    AppendRepr(object.entries[i].first, max, out);
    out->append(": ");
    AppendRepr(object.entries[i].second, max, out);
  }
  out->push_back('}');
}

void AppendRepr(const Value& value, size_t max, std::string* out) {
  if (out->size() > max) return;
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      out->append("Undefined");
      return;
    case Value::Kind::kString:
      AppendStringRepr(value.string(), out);
      return;
    case Value::Kind::kArray: {
      const Array& array = value.array();
      out->push_back(array.is_tuple ? '(' : '[');
      AppendItems(array, max, out);
      if (array.is_tuple && array.items.size() == 1) out->push_back(',');
      out->push_back(array.is_tuple ? ')' : ']');
      return;
    }
    case Value::Kind::kObject:
      AppendObject(value.object(), max, out);
      return;
    case Value::Kind::kNamespace:
      out->append("<Namespace ");
      AppendObject(value.ns()->attributes(), max, out);
      out->push_back('>');
      return;
    case Value::Kind::kCallable:
      out->append("<function ");
      out->append(value.callable().name());
      out->push_back('>');
      return;
    default:
      out->append(ToStr(value));
      return;
  }
}

}  // namespace

std::string FloatRepr(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  if (f == 0) return std::signbit(f) ? "-0.0" : "0.0";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  // sci is "[-]d[.ddd]e[+-]XX": split into sign, digits and decimal exponent.
  std::string sign;
  size_t i = 0;
  if (sci[0] == '-') sign = "-", i = 1;
  size_t e = sci.find('e');
  std::string digits;
  for (size_t k = i; k < e; ++k) {
    if (sci[k] != '.') digits.push_back(sci[k]);
  }
  const int exponent = std::stoi(sci.substr(e + 1));
  const int decpt = exponent + 1;  // value = 0.digits * 10^decpt
  std::string out = sign;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out += digits;
      out.append(static_cast<size_t>(decpt) - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, decpt);
      out += '.';
      out += digits.substr(decpt);
    }
    return out;
  }
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+',
                exponent < 0 ? -exponent : exponent);
  out += exp_buf;
  return out;
}

std::string ToStr(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return std::string();
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return value.bool_value() ? "True" : "False";
    case Value::Kind::kInt:
      return std::to_string(value.int_value());
    case Value::Kind::kFloat:
      return FloatRepr(value.float_value());
    case Value::Kind::kString:
      return value.string();
    default: {
      std::string out;
      AppendRepr(value, SIZE_MAX, &out);
      return out;
    }
  }
}

std::string ToRepr(const Value& value) {
  std::string out;
  AppendRepr(value, SIZE_MAX, &out);
  return out;
}

StatusOr<std::string> ToStrBounded(const Value& value, size_t max_bytes) {
  std::string out;
  if (value.is_array() || value.is_object() || value.is_namespace()) {
    AppendRepr(value, max_bytes, &out);
  } else {
    out = ToStr(value);
  }
  if (out.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("string would exceed the {} byte limit", max_bytes));
  }
  return out;
}

}  // namespace tokenfab::tokenizer::jinja
