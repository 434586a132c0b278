#include "tokenfab/base/metrics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"

namespace tokenfab::base {
namespace {

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                       (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// Escapes per the text format: label values escape \ " and newline; help escapes \ and newline.
std::string Escape(std::string_view text, bool escape_quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderLabels(const MetricLabels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    TF_CHECK(IsValidName(name, /*allow_colon=*/false) && !name.starts_with("__"))
        << "bad label name '" << name << "'";
    if (!out.empty()) out += ',';
    out += name;
    out += "=\"";
    out += Escape(value, /*escape_quotes=*/true);
    out += '"';
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// `name{labels}` or `name{labels,extra}`, or plain `name` when both are empty.
std::string Series(std::string_view name, const std::string& labels, const std::string& extra) {
  std::string joined = labels;
  if (!extra.empty()) {
    if (!joined.empty()) joined += ',';
    joined += extra;
  }
  if (joined.empty()) return std::string(name);
  return fmt::format("{}{{{}}}", name, joined);
}

void AtomicAdd(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Counter::Increment(double amount) {
  TF_CHECK(amount >= 0) << "counters only go up: " << amount;
  AtomicAdd(value_, amount);
}

void Gauge::Add(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    TF_CHECK(std::isfinite(bounds_[i])) << "bucket bound " << bounds_[i];
    TF_CHECK(i == 0 || bounds_[i - 1] < bounds_[i]) << "bucket bounds must increase";
  }
}

void Histogram::Observe(double value) {
  const size_t bucket =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  TF_CHECK(start > 0 && factor > 1 && count >= 1);
  std::vector<double> bounds;
  bounds.reserve(count);
  for (double b = start; static_cast<int>(bounds.size()) < count; b *= factor) bounds.push_back(b);
  return bounds;
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    Type type, const std::vector<double>& bounds) {
  TF_CHECK(IsValidName(name, /*allow_colon=*/true)) << "bad metric name '" << name << "'";
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{type, std::string(help), bounds, {}, {}, {}})
             .first;
  }
  Family& family = it->second;
  TF_CHECK(family.type == type) << "metric '" << name << "' registered with another type";
  TF_CHECK(family.help == help) << "metric '" << name << "' registered with another help text";
  TF_CHECK(family.bounds == bounds) << "histogram '" << name << "' registered with other bounds";
  return family;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  absl::MutexLock lock(&mu_);
  auto& slot = FamilyFor(name, help, Type::kCounter, {}).counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const MetricLabels& labels) {
  absl::MutexLock lock(&mu_);
  auto& slot = FamilyFor(name, help, Type::kGauge, {}).gauges[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& bounds,
                                         const MetricLabels& labels) {
  absl::MutexLock lock(&mu_);
  auto& slot = FamilyFor(name, help, Type::kHistogram, bounds).histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

std::string MetricsRegistry::WritePrometheusText() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
    out += fmt::format("# HELP {} {}\n", name, Escape(family.help, /*escape_quotes=*/false));
    out += fmt::format("# TYPE {} {}\n", name, kTypeNames[static_cast<int>(family.type)]);
    for (const auto& [labels, counter] : family.counters) {
      out += fmt::format("{} {}\n", Series(name, labels, ""), FormatValue(counter->Value()));
    }
    for (const auto& [labels, gauge] : family.gauges) {
      out += fmt::format("{} {}\n", Series(name, labels, ""), FormatValue(gauge->Value()));
    }
    for (const auto& [labels, histogram] : family.histograms) {
      // Read the buckets first and derive the count from them, so a scrape racing with
      // Observe() still shows a cumulative series that ends at _count.
      uint64_t cumulative = 0;
      const std::string bucket_name = name + "_bucket";
      for (size_t i = 0; i <= family.bounds.size(); ++i) {
        cumulative += histogram->BucketCount(i);
        const std::string le =
            i < family.bounds.size() ? FormatValue(family.bounds[i]) : std::string("+Inf");
        out += fmt::format("{} {}\n", Series(bucket_name, labels, fmt::format("le=\"{}\"", le)),
                           cumulative);
      }
      out += fmt::format("{} {}\n", Series(name + "_sum", labels, ""),
                         FormatValue(histogram->Sum()));
      out += fmt::format("{} {}\n", Series(name + "_count", labels, ""), cumulative);
    }
  }
  return out;
}

}  // namespace tokenfab::base
