#include "prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace tokenfab::gateway {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

void SkipBlanks(std::string_view line, size_t& i) {
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
}

std::optional<double> ParseValue(std::string_view text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text.empty()) return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

// Parses `{a="x",b="y"}` at line[i] (i at '{'); leaves i after '}'.
Status ParseLabels(std::string_view line, size_t& i, PrometheusSample& sample) {
  ++i;  // '{'
  while (true) {
    SkipBlanks(line, i);
    if (i < line.size() && line[i] == '}') {
      ++i;
      return absl::OkStatus();
    }
    const size_t start = i;
    while (i < line.size() && IsNameChar(line[i])) ++i;
    if (i == start) return absl::InvalidArgumentError("bad label name");
    std::string name(line.substr(start, i - start));
    SkipBlanks(line, i);
    if (i >= line.size() || line[i] != '=') return absl::InvalidArgumentError("'=' expected");
    ++i;
    SkipBlanks(line, i);
    if (i >= line.size() || line[i] != '"') return absl::InvalidArgumentError("'\"' expected");
    ++i;
    std::string value;
    while (true) {
      if (i >= line.size()) return absl::InvalidArgumentError("unterminated label value");
      const char c = line[i++];
      if (c == '"') break;
      if (c == '\\') {
        if (i >= line.size()) return absl::InvalidArgumentError("bad escape");
        const char e = line[i++];
        value += e == 'n' ? '\n' : e;
        continue;
      }
      value += c;
    }
    sample.labels.emplace_back(std::move(name), std::move(value));
    SkipBlanks(line, i);
    if (i < line.size() && line[i] == ',') ++i;
  }
}

StatusOr<PrometheusSample> ParseLine(std::string_view line) {
  PrometheusSample sample;
  size_t i = 0;
  SkipBlanks(line, i);
  const size_t start = i;
  if (i >= line.size() || !IsNameStart(line[i])) {
    return absl::InvalidArgumentError("metric name expected");
  }
  while (i < line.size() && IsNameChar(line[i])) ++i;
  sample.name = std::string(line.substr(start, i - start));
  SkipBlanks(line, i);
  if (i < line.size() && line[i] == '{') TF_RETURN_IF_ERROR(ParseLabels(line, i, sample));
  SkipBlanks(line, i);
  const size_t value_start = i;
  while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
  std::optional<double> value = ParseValue(line.substr(value_start, i - value_start));
  if (!value) {
    return absl::InvalidArgumentError(
        fmt::format("bad value \"{}\"", line.substr(value_start, i - value_start)));
  }
  sample.value = *value;
  return sample;  // an optional timestamp may follow; it is not needed
}

}  // namespace

StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(std::string_view text) {
  std::vector<PrometheusSample> samples;
  int line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = 0;
    SkipBlanks(line, first);
    if (first == line.size() || line[first] == '#') continue;
    StatusOr<PrometheusSample> sample = ParseLine(line);
    if (!sample.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("metrics line {}: {}", line_number, sample.status().message()));
    }
    samples.push_back(*std::move(sample));
  }
  return samples;
}

bool PrometheusView::Has(std::string_view name) const {
  for (const PrometheusSample& s : samples_) {
    if (s.name == name) return true;
  }
  return false;
}

std::optional<double> PrometheusView::Sum(std::string_view name) const {
  std::optional<double> sum;
  for (const PrometheusSample& s : samples_) {
    if (s.name != name || std::isnan(s.value)) continue;
    sum = sum.value_or(0) + s.value;
  }
  return sum;
}

std::optional<double> PrometheusView::SumFirst(
    std::initializer_list<std::string_view> names) const {
  for (std::string_view name : names) {
    if (std::optional<double> value = Sum(name)) return value;
  }
  return std::nullopt;
}

}  // namespace tokenfab::gateway
