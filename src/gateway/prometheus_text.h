// A reader for the Prometheus text exposition format (version 0.0.4), as far as the gateway needs
// it to read the /metrics of vLLM, SGLang and llama.cpp servers: samples with their labels and
// values. Comments (# HELP, # TYPE) and timestamps are skipped; NaN and ±Inf are values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::gateway {

// One line `name{label="value",...} 1.5 [timestamp]`. Plain data.
struct PrometheusSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // unescaped values, in order
  double value = 0;
};

// The samples of `text`, in order. A malformed line is an error naming its line number.
[[nodiscard]] StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(std::string_view text);

// Lookups over a parsed exposition. Borrows the samples. Not thread-safe.
class PrometheusView {
 public:
  explicit PrometheusView(const std::vector<PrometheusSample>& samples) : samples_(samples) {}

  // Whether some sample is named `name`.
  bool Has(std::string_view name) const;
  // The sum over every sample named `name` (all label sets: e.g. one per served model), or
  // nullopt when there is none. NaN samples are skipped.
  std::optional<double> Sum(std::string_view name) const;
  // Sum() of the first of `names` present.
  std::optional<double> SumFirst(std::initializer_list<std::string_view> names) const;

 private:
  const std::vector<PrometheusSample>& samples_;
};

}  // namespace tokenfab::gateway
