#include "tokenfab/routing/policy_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/policies/least_load/least_load.h"
#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PolicySpecTest, ParsesTermsAndWeights) {
  const std::pair<std::string, std::vector<PolicyTerm>> rows[] = {
      {"least-load", {{"least-load", 1}}},
      {"cost-slo+prefix-affinity:0.5", {{"cost-slo", 1}, {"prefix-affinity", 0.5}}},
      {" kv-aware : 2 + least-load ", {{"kv-aware", 2}, {"least-load", 1}}},
      {"a:1e-3", {{"a", 0.001}}},
  };
  for (const auto& [spec, terms] : rows) {
    auto parsed = ParsePolicySpec(spec);
    ASSERT_TRUE(parsed.ok()) << spec << ": " << parsed.status();
    EXPECT_EQ(*parsed, terms) << spec;
  }
  const PolicyTerm terms[] = {{"cost-slo", 1}, {"prefix-affinity", 0.5}};
  EXPECT_EQ(FormatPolicySpec(terms), "cost-slo+prefix-affinity:0.5");
}

TEST(PolicySpecTest, RejectsBadSpecsWithAReason) {
  const std::pair<std::string, std::string> rows[] = {
      {"", "empty policy name"},
      {"least-load+", "empty policy name"},
      {"+least-load", "empty policy name"},
      {"least-load:", "bad weight \"\" for least-load"},
      {"least-load:x", "bad weight \"x\" for least-load"},
      {"least-load:0", "the weight of least-load must be > 0"},
      {"least-load:-1", "the weight of least-load must be > 0"},
      {"least-load:inf", "the weight of least-load must be > 0"},
      {"Least_Load", "bad policy name \"Least_Load\""},
      {"least-load+least-load:2", "least-load is given twice"},
  };
  for (const auto& [spec, why] : rows) {
    auto parsed = ParsePolicySpec(spec);
    ASSERT_FALSE(parsed.ok()) << spec;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(why)) << spec;
  }
}

TEST(PolicyRegistryTest, DefaultHasEveryBuiltInWithADescription) {
  const PolicyRegistry& registry = PolicyRegistry::Default();
  EXPECT_THAT(registry.Names(),
              ElementsAre("cost-slo", "goodput-cost", "green-first", "kv-aware", "least-load",
                          "power-of-two", "prefix-affinity", "round-robin"));
  for (const std::string& name : registry.Names()) {
    EXPECT_FALSE(registry.Description(name).empty()) << name;
  }
  EXPECT_EQ(registry.Description("nope"), "");
}

TEST(PolicyRegistryTest, CreateNormalizesTheSpecAndRejectsUnknownNames) {
  base::Random random(1);
  auto policy = PolicyRegistry::Default().Create(" cost-slo + least-load:1 ", {}, random);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ((*policy)->spec(), "cost-slo+least-load");

  auto unknown = PolicyRegistry::Default().Create("least-load+fastest", {}, random);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "unknown routing policy \"fastest\" (known: cost-slo, goodput-cost, green-first, "
            "kv-aware, least-load, power-of-two, prefix-affinity, round-robin)");

  PolicyOptions no_ranks;
  no_ranks.max_ranked = 0;
  EXPECT_FALSE(PolicyRegistry::Default().Create("least-load", no_ranks, random).ok());
  PolicyOptions bad_threshold;
  bad_threshold.prefix_affinity.affinity.match_threshold = 2;
  EXPECT_FALSE(PolicyRegistry::Default().Create("prefix-affinity", bad_threshold, random).ok());
  PolicyOptions bad_headroom;
  bad_headroom.slo.slo_headroom = 0;
  auto no_headroom = PolicyRegistry::Default().Create("cost-slo", bad_headroom, random);
  ASSERT_FALSE(no_headroom.ok());
  EXPECT_EQ(no_headroom.status().message(), "cost-slo: slo_headroom must be > 0, got 0");
  EXPECT_FALSE(PolicyRegistry::Default().Create("green-first", bad_headroom, random).ok());
}

// A policy registered from outside the built-ins: prefers the upstream with the highest index.
class LastFirstScorer final : public Scorer {
 public:
  std::string_view name() const override { return "last-first"; }
  void Score(RankContext&, std::span<const Candidate> candidates,
             std::span<double> scores) override {
    for (size_t i = 0; i < candidates.size(); ++i) {
      scores[i] = static_cast<double>(i + 1) / candidates.size();
    }
  }
};

TEST(PolicyRegistryTest, RegistersNewPoliciesByName) {
  PolicyRegistry registry;
  auto factory = [](const PluginContext&) -> StatusOr<PolicyPlugin> {
    return PolicyPlugin{.scorer = std::make_unique<LastFirstScorer>(), .filters = {}};
  };
  ASSERT_TRUE(registry.Register("last-first", "highest index first", factory).ok());
  EXPECT_EQ(registry.Register("last-first", "again", factory).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(RegisterLeastLoad(registry).ok());
  EXPECT_THAT(registry.Names(), ElementsAre("last-first", "least-load"));

  base::Random random(1);
  PolicyOptions options;
  options.max_ranked = 8;
  auto policy = registry.Create("last-first", options, random);
  ASSERT_TRUE(policy.ok()) << policy.status();
  auto config = testing::ThreeSiteFleet();
  RoutingRequest request;
  request.model = "m";
  request.allowed_regions = {};
  EXPECT_THAT(
      testing::Ranking((*policy)->Rank(request, *testing::MakeSnapshot(config, {})), *config),
      ElementsAre("edge-1", "coast-1", "hub-1"));
}

// A composed policy asks for the prompt hashes any of its parts reads, and no more: the gateway
// tokenizes prompts only for a policy that matches token blocks.
TEST(PolicyRegistryTest, ComposedPolicyDeclaresTheInputsOfItsParts) {
  const PolicyInputs blocks{.block_hashes = true, .prefix_hashes = true};
  const PolicyInputs text{.block_hashes = false, .prefix_hashes = true};
  EXPECT_EQ(testing::MakePolicy("least-load+kv-aware:0.5")->inputs(), blocks);
  EXPECT_EQ(testing::MakePolicy("kv-aware")->inputs(), blocks);
  EXPECT_EQ(testing::MakePolicy(kDefaultPolicySpec)->inputs(), blocks);
  EXPECT_EQ(testing::MakePolicy("cost-slo+prefix-affinity:0.5")->inputs(), text);
  EXPECT_EQ(testing::MakePolicy("least-load+cost-slo+green-first")->inputs(), PolicyInputs{});
  EXPECT_EQ(testing::MakePolicy("round-robin")->inputs(), PolicyInputs{});
}

}  // namespace
}  // namespace tokenfab::routing
