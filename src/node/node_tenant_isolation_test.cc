// One tenant cannot learn whether another's prompt is in the prefix cache: not from its own
// usage (cached_tokens), not from the timing of its own requests, not from /load's published
// block hashes. The node is driven as a gateway drives it: the tenant comes in
// x-tokenfab-tenant, which the gateway sets from the caller's authenticated key.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "node/node_server_fixture.h"
#include "node/node_test_util.h"
#include "tokenfab/api/prefix_key.h"
#include "tokenfab/engine/block_hash.h"
#include "tokenfab/engine/performance_model.h"

namespace tokenfab::node {
namespace {

namespace json = boost::json;

// The synthetic engine's step-time model (µs): a prompt's first token costs one prefill step,
// so a request's time grows by `prefill` per uncached prompt token, and a prefix-cache hit on a
// long prompt is tens of milliseconds faster than a miss, far above the HTTP path's jitter.
constexpr char kStepModel[] = "base=1000,prefill=100,decode=1000,kv=0";
constexpr int kPromptTokens = 512;  // 32 blocks of 16
constexpr int kBlock = 16;
constexpr int kRounds = 3;

struct Timed {
  int64_t cached_tokens = -1;
  double micros = 0;
};

class TenantIsolationTest : public NodeServerTest {
 protected:
  void SetUp() override {
    ModelHostOptions host = testing::FastSyntheticHost();
    host.synthetic_performance = kStepModel;
    NodeOptions options;
    options.prefix_key = key_;
    Start(options, host);
    // A first request opens the client's connection and wakes the engine.
    Send(Prompt(1), "warm-up");
  }

  // kPromptTokens distinct token ids starting at `first`.
  static std::vector<int32_t> Prompt(int32_t first) {
    std::vector<int32_t> tokens(kPromptTokens);
    for (int i = 0; i < kPromptTokens; ++i) tokens[i] = first + i;
    return tokens;
  }

  // One token of completion for `prompt` as `tenant`: its time is the prompt's prefill step.
  Timed Send(const std::vector<int32_t>& prompt, const std::string& tenant) {
    const std::string body = fmt::format(
        R"({{"prompt": [{}], "max_tokens": 1, "ignore_eos": true}})", fmt::join(prompt, ","));
    const auto start = std::chrono::steady_clock::now();
    testing::Answer answer =
        client_->Post("/v1/completions", body, {{"x-tokenfab-tenant", tenant}});
    const auto end = std::chrono::steady_clock::now();
    EXPECT_EQ(answer.status, 200) << answer.body;
    Timed timed;
    timed.micros = std::chrono::duration<double, std::micro>(end - start).count();
    if (answer.status == 200) {
      timed.cached_tokens =
          answer.json.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64();
    }
    return timed;
  }

  // The keyed hashes /load publishes for `prompt`'s full blocks cached under `salt`.
  std::set<std::string> Published(const std::vector<int32_t>& prompt, uint64_t salt) const {
    std::set<std::string> out;
    for (engine::BlockHash h : engine::HashFullBlocks(prompt, kBlock, salt)) {
      out.insert(fmt::format("{:016x}", key_.Publish(h)));
    }
    return out;
  }

  const api::PrefixKey key_ = api::PrefixKey::FromSecret("isolation-test-secret");
};

TEST_F(TenantIsolationTest, AnotherTenantsCachedPromptLooksUncached) {
  StatusOr<engine::PerformanceModel> model = engine::PerformanceModel::Parse(kStepModel);
  ASSERT_TRUE(model.ok()) << model.status();

  // Each round: acme sends P twice (its second is a hit), then globex sends P and a fresh Q of
  // the same length. Latencies only grow under noise, so each kind's fastest round counts.
  std::vector<double> acme_hit, globex_p, globex_q;
  int64_t acme_cached = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::vector<int32_t> p = Prompt(10000 + 2000 * round);
    const std::vector<int32_t> q = Prompt(11000 + 2000 * round);
    EXPECT_EQ(Send(p, "acme").cached_tokens, 0);
    const Timed hit = Send(p, "acme");
    EXPECT_GT(hit.cached_tokens, 0) << "acme's own repeat must hit its cache";
    acme_cached = hit.cached_tokens;
    acme_hit.push_back(hit.micros);
    const Timed other = Send(p, "globex");
    EXPECT_EQ(other.cached_tokens, 0) << "round " << round << ": acme's prefix served to globex";
    globex_p.push_back(other.micros);
    const Timed fresh = Send(q, "globex");
    EXPECT_EQ(fresh.cached_tokens, 0);
    globex_q.push_back(fresh.micros);
  }

  // What a hit saves, by the step model that paces the engine: the cached tokens' prefill.
  const double saving =
      model->StepMicros(kPromptTokens, 0, 0) - model->StepMicros(kPromptTokens - acme_cached, 0, 0);
  ASSERT_GT(saving, 20000) << "the model must make a hit stand out from the HTTP path's jitter";
  const double margin = saving / 2;
  const double best_hit = *std::min_element(acme_hit.begin(), acme_hit.end());
  const double best_p = *std::min_element(globex_p.begin(), globex_p.end());
  const double best_q = *std::min_element(globex_q.begin(), globex_q.end());
  // The measurement sees a hit: acme's repeat is faster than a miss by more than the margin...
  EXPECT_LT(best_hit + margin, best_q) << "hit " << best_hit << " µs, miss " << best_q << " µs";
  // ...and globex's P, cached for acme, takes as long as its fresh Q.
  EXPECT_LT(std::abs(best_p - best_q), margin)
      << "globex: acme's prompt " << best_p << " µs, a fresh one " << best_q << " µs (margin "
      << margin << " µs)";

  // /load (an operator route) publishes each tenant's blocks of P apart, keyed with the
  // deployment's secret: globex's P added blocks of its own, and nothing globex can compute from
  // P (under its own salt, under acme's public salt, unsalted) matches any published hash.
  const std::vector<int32_t> p0 = Prompt(10000);
  const std::set<std::string> acme_keyed = Published(p0, engine::TenantSalt("acme"));
  const std::set<std::string> globex_keyed = Published(p0, engine::TenantSalt("globex"));
  auto shows_all = [](const json::object& l, const std::set<std::string>& want) {
    std::set<std::string> seen;
    for (const json::value& h : l.at("prefix_cache").at("block_hashes").as_array()) {
      if (want.contains(std::string(h.as_string()))) seen.insert(std::string(h.as_string()));
    }
    return seen == want;
  };
  // Wait for a report that postdates round 0: one holding at least the blocks of the distinct
  // prompts sent (the warm-up, each round's P and Q), however the cache keys them.
  const size_t sent_blocks = (1 + 2 * kRounds) * (kPromptTokens / kBlock);
  json::object load = WaitForLoad([&](const json::object& l) {
    if (l.at("prefix_cache").at("block_hashes").as_array().size() >= sent_blocks) return true;
    Send(Prompt(1), "warm-up");  // keeps the engine stepping, which refreshes the report
    return false;
  });
  EXPECT_TRUE(shows_all(load, acme_keyed));
  EXPECT_TRUE(shows_all(load, globex_keyed)) << "globex's P must fill blocks of its own";
  std::set<std::string> computable;
  for (uint64_t salt : {engine::TenantSalt("globex"), engine::TenantSalt("acme"), uint64_t{0}}) {
    for (engine::BlockHash h : engine::HashFullBlocks(p0, kBlock, salt)) {
      computable.insert(fmt::format("{:016x}", h));
    }
  }
  for (const json::value& h : load.at("prefix_cache").at("block_hashes").as_array()) {
    EXPECT_FALSE(computable.contains(std::string(h.as_string()))) << h;
  }
}

}  // namespace
}  // namespace tokenfab::node
