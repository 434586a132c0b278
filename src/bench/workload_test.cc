#include "tokenfab/bench/workload.h"

#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "tokenfab/bench/arrival.h"
#include "tokenfab/bench/length_distribution.h"

namespace tokenfab::bench {
namespace {

struct GapStats {
  double mean_s;
  double cv;  // standard deviation / mean
};

GapStats Gaps(const std::vector<int64_t>& arrivals) {
  std::vector<double> gaps;
  int64_t previous = 0;
  for (int64_t at : arrivals) {
    gaps.push_back(static_cast<double>(at - previous) / 1e6);
    previous = at;
  }
  const double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / gaps.size();
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  var /= gaps.size();
  return {mean, std::sqrt(var) / mean};
}

TEST(ArrivalTest, PoissonHasTheMeanRateAndUnitVariation) {
  base::Random random(42);
  auto arrivals = GenerateArrivals({ArrivalKind::kPoisson, 10.0, 1.0}, 40000, 0, random);
  ASSERT_TRUE(arrivals.ok()) << arrivals.status();
  ASSERT_EQ(arrivals->size(), 40000u);
  EXPECT_TRUE(std::is_sorted(arrivals->begin(), arrivals->end()));
  const GapStats stats = Gaps(*arrivals);
  EXPECT_NEAR(stats.mean_s, 0.1, 0.1 * 0.02);  // 40,000 gaps: 2 % is over 4 standard errors
  EXPECT_NEAR(stats.cv, 1.0, 0.03);
}

TEST(ArrivalTest, GammaBurstinessSetsTheVariation) {
  for (double k : {0.25, 4.0}) {
    base::Random random(7);
    auto arrivals = GenerateArrivals({ArrivalKind::kGamma, 5.0, k}, 40000, 0, random);
    ASSERT_TRUE(arrivals.ok());
    const GapStats stats = Gaps(*arrivals);
    EXPECT_NEAR(stats.mean_s, 0.2, 0.2 * 0.04) << "k=" << k;
    EXPECT_NEAR(stats.cv, 1.0 / std::sqrt(k), 0.06 / std::sqrt(k)) << "k=" << k;
  }
}

TEST(ArrivalTest, SampleGammaMoments) {
  base::Random random(3);
  for (double shape : {0.5, 1.0, 2.5}) {
    double sum = 0, sum2 = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
      const double x = SampleGamma(random, shape, 2.0);
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / n;
    const double var = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, shape * 2.0, shape * 2.0 * 0.02) << shape;
    EXPECT_NEAR(var, shape * 4.0, shape * 4.0 * 0.05) << shape;
  }
}

TEST(ArrivalTest, LimitsSeedsAndErrors) {
  base::Random a(1), b(1);
  auto first = GenerateArrivals({ArrivalKind::kPoisson, 100.0, 1.0}, 0, 2'000'000, a);
  auto second = GenerateArrivals({ArrivalKind::kPoisson, 100.0, 1.0}, 0, 2'000'000, b);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, *second);  // same seed, same arrivals
  EXPECT_LT(first->back(), 2'000'000);
  EXPECT_NEAR(static_cast<double>(first->size()), 200, 60);
  base::Random c(1);
  auto burst = GenerateArrivals({ArrivalKind::kPoisson, INFINITY, 1.0}, 5, 0, c);
  ASSERT_TRUE(burst.ok());
  EXPECT_EQ(*burst, std::vector<int64_t>(5, 0));
  EXPECT_FALSE(GenerateArrivals({ArrivalKind::kPoisson, 0.0, 1.0}, 5, 0, c).ok());
  EXPECT_FALSE(GenerateArrivals({ArrivalKind::kGamma, 1.0, 0.0}, 5, 0, c).ok());
  EXPECT_FALSE(GenerateArrivals({ArrivalKind::kPoisson, 1.0, 1.0}, 0, 0, c).ok());
  EXPECT_FALSE(ParseArrivalKind("uniform").ok());
}

TEST(LengthDistributionTest, ParsesAndSamples) {
  base::Random random(5);
  auto fixed = LengthDistribution::Parse("512");
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->Sample(random), 512);
  auto uniform = LengthDistribution::Parse("uniform:10:20");
  ASSERT_TRUE(uniform.ok());
  int low = 100, high = 0;
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const int x = uniform->Sample(random);
    low = std::min(low, x);
    high = std::max(high, x);
    sum += x;
  }
  EXPECT_EQ(low, 10);
  EXPECT_EQ(high, 20);
  EXPECT_NEAR(sum / 10000, 15, 0.2);
  auto normal = LengthDistribution::Parse("normal:500:100");
  ASSERT_TRUE(normal.ok());
  sum = 0;
  for (int i = 0; i < 10000; ++i) sum += normal->Sample(random);
  EXPECT_NEAR(sum / 10000, 500, 5);
  auto lognormal = LengthDistribution::Parse("lognormal:300:0.5");
  ASSERT_TRUE(lognormal.ok());
  EXPECT_NEAR(lognormal->Mean(), 300 * std::exp(0.125), 1e-9);
  auto tight = LengthDistribution::Parse("normal:1:50");  // clamped at 1
  ASSERT_TRUE(tight.ok());
  for (int i = 0; i < 100; ++i) EXPECT_GE(tight->Sample(random), 1);
  for (const char* bad : {"", "0", "-5", "1.5", "uniform:5", "uniform:9:3", "normal:x:1",
                          "zipf:1:2", "normal:5:-1"}) {
    EXPECT_FALSE(LengthDistribution::Parse(bad).ok()) << bad;
  }
}

std::vector<TraceRequest> Steps() {
  // Three requests at 0 ms, one at 3 s, two at 6 s (Mooncake-like steps).
  std::vector<TraceRequest> trace;
  for (int64_t at : {0, 0, 0, 3'000'000, 6'000'000, 6'000'000}) {
    TraceRequest r;
    r.arrival_us = at;
    r.input_tokens = 1100;
    r.output_tokens = 50;
    r.hash_ids = {1, 2, 3};
    trace.push_back(r);
  }
  return trace;
}

std::vector<int64_t> Arrivals(const std::vector<PlannedRequest>& plan) {
  std::vector<int64_t> out;
  for (const auto& r : plan) out.push_back(r.arrival_us);
  return out;
}

TEST(WorkloadTest, BurstKeepsTimestampsAndRateScaleCompressesThem) {
  TraceWorkloadOptions options;
  auto plan = PlanFromTrace(Steps(), options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(Arrivals(*plan), (std::vector<int64_t>{0, 0, 0, 3'000'000, 6'000'000, 6'000'000}));
  options.rate_scale = 4;
  plan = PlanFromTrace(Steps(), options);
  EXPECT_EQ(Arrivals(*plan), (std::vector<int64_t>{0, 0, 0, 750'000, 1'500'000, 1'500'000}));
}

TEST(WorkloadTest, SpreadSharesTheGapToTheNextTimestamp) {
  TraceWorkloadOptions options;
  options.same_time = SameTimeArrivals::kSpread;
  auto plan = PlanFromTrace(Steps(), options);
  ASSERT_TRUE(plan.ok());
  // 3 requests over [0, 3 s): 0, 1, 2 s; the last group (2 requests) uses the previous gap, 3 s.
  EXPECT_EQ(Arrivals(*plan),
            (std::vector<int64_t>{0, 1'000'000, 2'000'000, 3'000'000, 6'000'000, 7'500'000}));
}

TEST(WorkloadTest, LimitsAndClamps) {
  TraceWorkloadOptions options;
  options.max_requests = 4;
  auto plan = PlanFromTrace(Steps(), options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->size(), 4u);
  options.max_requests = 0;
  options.max_duration_us = 3'000'000;  // arrivals strictly before 3 s
  plan = PlanFromTrace(Steps(), options);
  EXPECT_EQ(plan->size(), 3u);
  options.max_duration_us = 0;
  options.max_input_tokens = 600;
  options.max_output_tokens = 10;
  plan = PlanFromTrace(Steps(), options);
  ASSERT_EQ(plan->size(), 6u);
  EXPECT_EQ((*plan)[0].input_tokens, 600);
  EXPECT_EQ((*plan)[0].output_tokens, 10);
  EXPECT_EQ((*plan)[0].hash_ids, (std::vector<uint64_t>{1, 2}));  // 600 tokens: two blocks
  options.rate_scale = 0;
  EXPECT_FALSE(PlanFromTrace(Steps(), options).ok());
}

TEST(WorkloadTest, SyntheticPlanIsSeeded) {
  SyntheticWorkloadOptions options;
  options.arrivals = {ArrivalKind::kGamma, 20.0, 0.5};
  options.input_tokens = *LengthDistribution::Parse("uniform:100:200");
  options.output_tokens = *LengthDistribution::Parse("64");
  options.max_requests = 50;
  base::Random a(9), b(9);
  auto first = PlanSynthetic(options, a);
  auto second = PlanSynthetic(options, b);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ((*first)[i].arrival_us, (*second)[i].arrival_us);
    EXPECT_EQ((*first)[i].input_tokens, (*second)[i].input_tokens);
    EXPECT_GE((*first)[i].input_tokens, 100);
    EXPECT_LE((*first)[i].input_tokens, 200);
    EXPECT_EQ((*first)[i].output_tokens, 64);
    EXPECT_TRUE((*first)[i].hash_ids.empty());
  }
}

}  // namespace
}  // namespace tokenfab::bench
