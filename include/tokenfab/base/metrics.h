// MetricsRegistry: counters, gauges and histograms, with labels, written in the Prometheus text
// exposition format (version 0.0.4) for `GET /metrics`.
//
// Ownership: the registry owns every metric; the references it returns stay valid for the
// registry's lifetime, so hot paths look a metric up once and keep the reference.
// Thread-safety: registration and WritePrometheusText() take a mutex; updating a metric is a
// lock-free atomic operation, safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace tokenfab::base {

// Label name/value pairs, e.g. {{"model", "demo"}, {"region", "west"}}.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing value.
class Counter {
 public:
  // REQUIRES: amount >= 0.
  void Increment(double amount = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets (upper bounds, inclusive), plus their sum and count.
class Histogram {
 public:
  // REQUIRES: bounds strictly increasing and finite; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i; i == bounds().size() is the +Inf bucket.
  uint64_t BucketCount(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bucket bounds `start, start*factor, ...` (count of them). REQUIRES: start > 0, factor > 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Each returns the metric for (name, labels), creating it on first use. A name is one type
  // with one help text (and, for histograms, one set of bounds): asking for it as another type,
  // or with a malformed name or label name, is a programming error (TF_CHECK).
  Counter& GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels = {})
      ABSL_LOCKS_EXCLUDED(mu_);
  Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {})
      ABSL_LOCKS_EXCLUDED(mu_);
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& bounds, const MetricLabels& labels = {})
      ABSL_LOCKS_EXCLUDED(mu_);

  // Every metric, families sorted by name, in the Prometheus text format.
  std::string WritePrometheusText() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> bounds;  // histograms only
    // Keyed by the rendered label set, e.g. `model="demo",region="west"`.
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };

  Family& FamilyFor(std::string_view name, std::string_view help, Type type,
                    const std::vector<double>& bounds) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokenfab::base
