#include "tokenfab/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include <fmt/format.h>

#include "engine/fast_math.h"
#include "tokenfab/base/check.h"

namespace tokenfab::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

bool Sampler::Better(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.token < b.token);
}

bool Sampler::BelowMinP(const Candidate& c, float threshold) {
  return c.logit < threshold || c.logit == kNegInf;
}

struct Sampler::Workspace {
  std::vector<Candidate> candidates;
  std::vector<Candidate> tail;      // top-p: the bucket where the mass crosses the target
  std::vector<uint16_t> keys;       // [V] top-p: bucket of each token
  std::vector<double> bucket_mass;  // top-p: mass per bucket
  absl::flat_hash_map<Token, float> raw_logits;  // penalised tokens' logits before penalties
  absl::flat_hash_map<Token, int32_t> counts;
  std::vector<float> weights;  // [V], plain temperature sampling
};

Sampler::Workspace& Sampler::ThreadWorkspace() {
  thread_local Workspace workspace;
  return workspace;
}

Sampler::Sampler(const SamplingParams& params, uint64_t seed) : params_(params), rng_(seed) {
  const Status valid = params_.Validate();
  TF_CHECK(valid.ok()) << "invalid sampling parameters: " << std::string(valid.message());
}

StatusOr<SampleResult> Sampler::Sample(std::span<float> logits, std::span<const Token> tokens,
                                       int32_t num_prompt_tokens) {
  const int32_t n = static_cast<int32_t>(logits.size());
  if (n == 0) return absl::DataLossError("empty logits row");
  ws_ = &ThreadWorkspace();
  bool bad = false;
  const float raw_max = MaxAndCheck(logits.data(), logits.size(), &bad);
  if (bad) {
    const auto it = std::find_if(logits.begin(), logits.end(), [](float l) {
      return std::isnan(l) || l == std::numeric_limits<float>::infinity();
    });
    return absl::DataLossError(fmt::format("logit of token {} is {}", it - logits.begin(), *it));
  }
  if (raw_max == kNegInf) return absl::DataLossError("no token has a finite logit");

  SampleResult result;
  double raw_log_z = 0;
  if (params_.logprobs) {
    raw_log_z = raw_max + std::log(SumExp(logits.data(), logits.size(), raw_max, 1.0f, nullptr));
    if (params_.top_logprobs > 0) {
      SelectTop(logits, std::min(params_.top_logprobs, n));
      for (const Candidate& c : ws_->candidates) {
        result.top_logprobs.push_back({c.token, static_cast<float>(c.logit - raw_log_z)});
      }
    }
  }

  ws_->raw_logits.clear();
  ApplyPenalties(logits, tokens, num_prompt_tokens);
  const float max_logit = MaxAndCheck(logits.data(), logits.size(), &bad);
  if (params_.IsGreedy()) {
    // The first index holding the maximum: the lowest id wins a tie.
    result.token =
        static_cast<Token>(std::find(logits.begin(), logits.end(), max_logit) - logits.begin());
  } else if ((params_.top_k > 0 && params_.top_k < n) || params_.top_p < 1.0f ||
             params_.min_p > 0.0f) {
    Truncate(logits, max_logit);
    result.token = DrawFromCandidates(max_logit);
  } else {
    result.token = DrawFromAll(logits, max_logit);
  }
  if (params_.logprobs) {
    result.logprob = static_cast<float>(RawLogit(logits, result.token) - raw_log_z);
  }
  return result;
}

void Sampler::SetLogit(std::span<float> logits, Token token, float value) {
  if (params_.logprobs) ws_->raw_logits.try_emplace(token, logits[token]);
  logits[token] = value;
}

float Sampler::RawLogit(std::span<const float> logits, Token token) const {
  const auto it = ws_->raw_logits.find(token);
  return it == ws_->raw_logits.end() ? logits[token] : it->second;
}

void Sampler::ApplyPenalties(std::span<float> logits, std::span<const Token> tokens,
                             int32_t num_prompt_tokens) {
  const auto n = static_cast<Token>(logits.size());
  const float rp = params_.repetition_penalty;
  if (rp != 1.0f && params_.repetition_last_n != 0) {
    const size_t window = params_.repetition_last_n < 0
                              ? tokens.size()
                              : std::min(tokens.size(), size_t(params_.repetition_last_n));
    ws_->counts.clear();
    for (Token t : tokens.subspan(tokens.size() - window)) {
      if (t < 0 || t >= n || !ws_->counts.try_emplace(t, 1).second) continue;
      const float l = logits[t];
      SetLogit(logits, t, l > 0 ? l / rp : l * rp);
    }
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    ws_->counts.clear();
    const size_t prompt = std::min(tokens.size(), size_t(std::max(num_prompt_tokens, 0)));
    for (Token t : tokens.subspan(prompt)) {
      if (t >= 0 && t < n) ++ws_->counts[t];
    }
    for (const auto& [t, count] : ws_->counts) {
      SetLogit(logits, t,
               logits[t] - params_.frequency_penalty * static_cast<float>(count) -
                   params_.presence_penalty);
    }
  }
}

void Sampler::SelectTop(std::span<const float> logits, int32_t k) {
  const auto better = Better;
  const int32_t n = static_cast<int32_t>(logits.size());
  k = std::min(k, n);
  auto& c = ws_->candidates;
  c.clear();
  if (k >= n / 4) {
    // A large head: select in linear time, then sort only the head.
    c.reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) c.push_back({logits[i], i});
    if (k < n) std::nth_element(c.begin(), c.begin() + k, c.end(), better);
    c.resize(static_cast<size_t>(k));
    std::sort(c.begin(), c.end(), better);
    return;
  }
  // A heap of the k best so far whose front is the worst of them. Most tokens lose against it,
  // so the scan checks blocks of 16 by their maximum first (a vectorised reduction) and looks
  // inside a block only when something in it can enter.
  c.reserve(static_cast<size_t>(k));
  for (int32_t i = 0; i < k; ++i) c.push_back({logits[i], i});
  std::make_heap(c.begin(), c.end(), better);
  const auto consider = [&](int32_t i) {
    if (logits[i] <= c.front().logit) return;  // on a tie the lower id is already in
    std::pop_heap(c.begin(), c.end(), better);
    c.back() = {logits[i], i};
    std::push_heap(c.begin(), c.end(), better);
  };
  constexpr int32_t kBlock = 16;
  int32_t i = k;
  for (; i < n && i % kBlock != 0; ++i) consider(i);
  for (; i + kBlock <= n; i += kBlock) {
    if (Max16(logits.data() + i) <= c.front().logit) continue;
    for (int32_t j = i; j < i + kBlock; ++j) consider(j);
  }
  for (; i < n; ++i) consider(i);
  std::sort_heap(c.begin(), c.end(), better);
}

void Sampler::Truncate(std::span<float> logits, float max_logit) {
  const int32_t n = static_cast<int32_t>(logits.size());
  const int32_t k = params_.top_k > 0 && params_.top_k < n ? params_.top_k : n;
  const float threshold = params_.min_p > 0.0f ? max_logit + std::log(params_.min_p) : kNegInf;
  const auto below = [threshold](const Candidate& c) { return BelowMinP(c, threshold); };

  if (params_.top_p >= 1.0f) {
    if (k < n) {
      SelectTop(logits, k);  // best first: the min-p cut is a suffix
      ws_->candidates.erase(std::find_if(ws_->candidates.begin(), ws_->candidates.end(), below),
                            ws_->candidates.end());
    } else {
      ws_->candidates.clear();
      for (int32_t i = 0; i < n; ++i) {
        if (!below({logits[i], i})) ws_->candidates.push_back({logits[i], i});
      }
    }
    TF_CHECK(!ws_->candidates.empty());
    return;
  }

  // Top-p: the mass is that of the top-k survivors (all of V without top-k), at temperature 1.
  if (k < n) {
    SelectTop(logits, k);
    double mass = 0;
    for (const Candidate& c : ws_->candidates) mass += FastExp(c.logit - max_logit);
    KeepMassPrefix(params_.top_p * mass, max_logit, threshold, /*complete=*/true);
    return;
  }
  std::vector<float>& w = ws_->weights;
  w.resize(static_cast<size_t>(n));
  const double target =
      params_.top_p * SumExp(logits.data(), logits.size(), max_logit, 1.0f, w.data());
  // Most distributions put the mass in a few tokens: the 64 best usually hold it.
  SelectTop(logits, std::min(n, 64));
  if (KeepMassPrefix(target, max_logit, threshold, /*complete=*/n <= 64)) return;
  TopPByBuckets(logits, max_logit, target, threshold);
}

bool Sampler::KeepMassPrefix(double target, float max_logit, float threshold, bool complete) {
  std::vector<Candidate>& c = ws_->candidates;
  double cumulative = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (BelowMinP(c[i], threshold)) {  // min-p: the rest is below the threshold too
      c.resize(i);
      TF_CHECK(!c.empty());
      return true;
    }
    cumulative += FastExp(c[i].logit - max_logit);
    if (cumulative >= target) {
      c.resize(i + 1);
      return true;
    }
  }
  return complete;
}

void Sampler::TopPByBuckets(std::span<const float> logits, float max_logit, double target,
                            float threshold) {
  // Bucket the tokens by logit, 1/16 wide below the maximum (monotone: a lower bucket holds
  // only higher logits), with each bucket's mass from the weights SumExp stored. The buckets
  // above the one where the cumulative mass crosses the target are wholly in; only the crossing
  // bucket is sorted, to find the exact cut.
  constexpr int kPerLogit = 16;
  constexpr int kBuckets = 2048;
  const size_t n = logits.size();
  const std::vector<float>& w = ws_->weights;
  std::vector<uint16_t>& keys = ws_->keys;
  keys.resize(n);
  std::vector<double>& mass = ws_->bucket_mass;
  mass.assign(kBuckets, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const float d = (max_logit - logits[i]) * kPerLogit;  // >= 0; +inf for a masked token
    const int key = d < kBuckets - 1 ? static_cast<int>(d) : kBuckets - 1;
    keys[i] = static_cast<uint16_t>(key);
    mass[key] += w[i];
  }
  int crossing = kBuckets - 1;
  double before = 0;  // mass of the buckets above the crossing one
  for (int b = 0; b < kBuckets; ++b) {
    if (before + mass[b] >= target) {
      crossing = b;
      break;
    }
    before += mass[b];
  }
  std::vector<Candidate>& c = ws_->candidates;
  std::vector<Candidate>& tail = ws_->tail;
  c.clear();
  tail.clear();
  for (size_t i = 0; i < n; ++i) {
    const Candidate cand{logits[i], static_cast<Token>(i)};
    if (keys[i] < crossing) {
      if (!BelowMinP(cand, threshold)) c.push_back(cand);
    } else if (keys[i] == crossing) {
      tail.push_back(cand);
    }
  }
  std::sort(tail.begin(), tail.end(), Better);
  double cumulative = before;
  for (const Candidate& cand : tail) {
    if (BelowMinP(cand, threshold)) break;
    c.push_back(cand);
    cumulative += w[cand.token];
    if (cumulative >= target) break;
  }
  TF_CHECK(!c.empty());
}

Token Sampler::DrawFromCandidates(float max_logit) {
  const float inv_t = 1.0f / params_.temperature;
  double total = 0;
  for (const Candidate& c : ws_->candidates) total += FastExp((c.logit - max_logit) * inv_t);
  const double target = rng_.Uniform() * total;
  double cumulative = 0;
  Token last_positive = ws_->candidates.front().token;
  for (const Candidate& c : ws_->candidates) {
    const float w = FastExp((c.logit - max_logit) * inv_t);
    if (w <= 0) continue;
    cumulative += w;
    last_positive = c.token;
    if (cumulative > target) return c.token;
  }
  return last_positive;  // rounding left the target at the very end
}

Token Sampler::DrawFromAll(std::span<float> logits, float max_logit) {
  // The weights go to the thread's workspace, so the logits stay intact for the chosen token's
  // log-probability. The second pass skips whole blocks by their sums.
  const size_t n = logits.size();
  std::vector<float>& w = ws_->weights;
  w.resize(n);
  const double total = SumExp(logits.data(), n, max_logit, 1.0f / params_.temperature, w.data());
  const double target = rng_.Uniform() * total;
  constexpr size_t kBlock = 256;
  double cumulative = 0;
  for (size_t begin = 0; begin < n; begin += kBlock) {
    const size_t end = std::min(n, begin + kBlock);
    const double block = Sum(w.data() + begin, end - begin);
    if (cumulative + block <= target) {
      cumulative += block;
      continue;
    }
    for (size_t i = begin; i < end; ++i) {
      cumulative += w[i];
      if (w[i] > 0 && cumulative > target) return static_cast<Token>(i);
    }
  }
  // Rounding left the target at the very end: the last token of positive weight (there is one:
  // the maximum has weight 1).
  size_t last = n - 1;
  while (last > 0 && w[last] <= 0) --last;
  return static_cast<Token>(last);
}

}  // namespace tokenfab::engine
