#include "tokenfab/fleet/fleet_config_loader.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fleet/testing/minimal_fleet_toml.h"

namespace tokenfab::fleet {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A minimal valid fleet; the line numbers matter to the error tests below.
constexpr std::string_view kValid = testing::kMinimalFleetToml;

// A second upstream appended after line 27 (its header is line 28).
constexpr std::string_view kSecondUpstream = R"([[upstreams]]
name = "u2"
url = "http://127.0.0.1:9002"
kind = "vllm"
models = ["m", "*"]
site = "s1"
[upstreams.hardware]
kind = "gpu"
count = 2
peak_tflops = 100
mem_bandwidth_gbps = 1000
power_idle_w = 50
power_max_w = 300
)";

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(FleetConfigLoaderTest, ParsesMinimalFleetWithDefaults) {
  auto config = ParseFleetConfig(kValid, "fleet.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->source(), "fleet.toml");
  EXPECT_EQ(config->currency(), "CNY");
  ASSERT_EQ(config->regions().size(), 1u);
  EXPECT_EQ(config->regions()[0].residency, "r1");  // defaults to the name
  const Site& site = config->sites()[0];
  EXPECT_EQ(site.energy.currency, "CNY");
  EXPECT_EQ(site.energy.exchange_rate, 1.0);
  EXPECT_EQ(site.utc_offset_minutes, 0);
  EXPECT_EQ(site.energy.prices, PriceSchedule::Flat(0.4));
  EXPECT_TRUE(site.network.configured);
  EXPECT_EQ(site.network.rtt_ms, 2);
  const Upstream& up = config->upstreams()[0];
  EXPECT_EQ(up.url.ToString(), "http://127.0.0.1:9001");
  EXPECT_EQ(up.kind, UpstreamKind::kTokenfabNode);
  EXPECT_EQ(up.weight, 1.0);
  EXPECT_EQ(up.site_index, 0u);
  // No throughput given: the roofline estimate fills it, and energy per token follows.
  EXPECT_EQ(up.throughput, Throughput{});
  EXPECT_EQ(up.nominal, EstimateThroughput(up.hardware));
  EXPECT_GT(up.decode_wh_per_token, 0);
  EXPECT_NE(up.key, 0u);
}

// The [ledger] table sets the usage spool's bound; each key is optional and a count.
TEST(FleetConfigLoaderTest, ReadsTheLedgerTable) {
  auto plain = ParseFleetConfig(kValid, "fleet.toml");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->ledger().usage_spool_max_events.has_value());
  EXPECT_FALSE(plain->ledger().usage_spool_max_bytes.has_value());
  const std::string with_ledger =
      std::string(kValid) + "[ledger]\nusage_spool_max_events = 1234\nusage_spool_max_bytes = 0\n";
  auto config = ParseFleetConfig(with_ledger, "fleet.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ledger().usage_spool_max_events, 1234);
  EXPECT_EQ(config->ledger().usage_spool_max_bytes, 0);
  auto negative = ParseFleetConfig(std::string(kValid) + "[ledger]\nusage_spool_max_events = -1\n",
                                   "fleet.toml");
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.status().message(),
              HasSubstr("fleet.toml:29: ledger.usage_spool_max_events: must be >= 0"));
  auto unknown =
      ParseFleetConfig(std::string(kValid) + "[ledger]\nspool_bound = 3\n", "fleet.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("ledger.spool_bound"));
}

// A gateway with --registry gets its upstreams as nodes register: its fleet file may list none.
TEST(FleetConfigLoaderTest, NoUpstreamIsValidOnlyWhenMembersMayJoin) {
  const std::string text(kValid);
  const std::string bare =
      text.substr(0, text.find("[[upstreams]]")) + "[[network]]\nsite = \"s1\"\nrtt_ms = 2\n";
  StatusOr<FleetConfig> refused = ParseFleetConfig(bare, "fleet.toml");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("no upstreams"));
  StatusOr<FleetConfig> empty = ParseFleetConfig(bare, "fleet.toml", {.allow_no_upstreams = true});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->upstreams().empty());
  EXPECT_TRUE(empty->UpstreamsServing("m").empty());
}

TEST(FleetConfigLoaderTest, IndexesModelsIncludingWildcard) {
  auto config = ParseFleetConfig(std::string(kValid) + std::string(kSecondUpstream), "f.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->UpstreamsServing("m"), ::testing::ElementsAre(0u, 1u));
  EXPECT_THAT(config->UpstreamsServing("other"), ::testing::ElementsAre(1u));
  EXPECT_EQ(config->FindUpstream("u2"), 1u);
  EXPECT_EQ(config->FindUpstream("nope"), std::nullopt);
  EXPECT_EQ(config->upstreams()[1].kind, UpstreamKind::kVllm);
}

TEST(FleetConfigLoaderTest, ReadsAllThreePriceForms) {
  std::string hourly = "hourly_prices = [";
  for (int h = 0; h < 24; ++h) hourly += std::to_string(h) + (h < 23 ? ", " : "]");
  auto config = ParseFleetConfig(Replace(std::string(kValid), "price = 0.4", hourly), "f.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->sites()[0].energy.prices.AtHour(13), 13);

  auto ranges = ParseFleetConfig(Replace(std::string(kValid), "price = 0.4",
                                         "price_schedule = [{ from = 22, to = 6, price = 0.2 }, "
                                         "{ from = 6, to = 22, price = 0.5 }]"),
                                 "f.toml");
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  const PriceSchedule& prices = ranges->sites()[0].energy.prices;
  EXPECT_EQ(prices.AtHour(23), 0.2);
  EXPECT_EQ(prices.AtHour(0), 0.2);
  EXPECT_EQ(prices.AtHour(5), 0.2);
  EXPECT_EQ(prices.AtHour(6), 0.5);
  EXPECT_EQ(prices.AtHour(21), 0.5);
}

TEST(FleetConfigLoaderTest, ReadsOffsetsExchangeRatesAndThroughput) {
  std::string text =
      Replace(std::string(kValid), "region = \"r1\"", "region = \"r1\"\nutc_offset = \"-05:30\"");
  text = Replace(text, "price = 0.4", "currency = \"USD\"\nexchange_rate = 7.2\nprice = 0.1");
  text += "[upstreams.throughput]\nprefill_tokens_per_s = 5000\n";
  auto config = ParseFleetConfig(text, "f.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->sites()[0].utc_offset_minutes, -330);
  EXPECT_EQ(config->sites()[0].energy.currency, "USD");
  EXPECT_DOUBLE_EQ(PriceAt(config->sites()[0].energy, 0, 0), 0.72);
  EXPECT_EQ(config->upstreams()[0].nominal.prefill_tokens_per_s, 5000);
  // The decode rate was not given and is estimated.
  EXPECT_EQ(config->upstreams()[0].nominal.decode_tokens_per_s,
            EstimateThroughput(config->upstreams()[0].hardware).decode_tokens_per_s);
}

struct ErrorCase {
  std::string name;
  std::string from;  // text of kValid to replace ("" appends `to`)
  std::string to;
  std::string error;  // the expected message starts with this
};

class FleetConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(FleetConfigErrorTest, NamesFileLineAndField) {
  const ErrorCase& c = GetParam();
  std::string text(kValid);
  text = c.from.empty() ? text + c.to : Replace(text, c.from, c.to);
  auto config = ParseFleetConfig(text, "fleet.toml");
  ASSERT_FALSE(config.ok()) << "accepted:\n" << text;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), StartsWith(c.error));
}

const std::string kDuplicateName = Replace(std::string(kSecondUpstream), "\"u2\"", "\"u1\"");
const std::string kDuplicateUrl = Replace(std::string(kSecondUpstream), ":9002", ":9001");

INSTANTIATE_TEST_SUITE_P(
    EachMistake, FleetConfigErrorTest,
    ::testing::Values(
        ErrorCase{"Syntax", "pue = 1.2", "pue = = 1.2", "fleet.toml:9:7: TOML syntax error: "},
        ErrorCase{"MissingField", "name = \"u1\"", "",
                  "fleet.toml:12: upstreams[0].name: missing (required)"},
        ErrorCase{"WrongType", "pue = 1.2", "pue = \"high\"",
                  "fleet.toml:9: sites[0].energy.pue: must be a number, not a string"},
        ErrorCase{"UnknownField", "rtt_ms = 2", "rtt_ms = 2\nlatency_ms = 3",
                  "fleet.toml:28: network[0].latency_ms: unknown field"},
        ErrorCase{"BadUrl", "\"http://127.0.0.1:9001\"", "\"127.0.0.1:9001\"",
                  "fleet.toml:14: upstreams[0].url: \"127.0.0.1:9001\" is not an http URL: the "
                  "scheme must be http:// or https://"},
        ErrorCase{"BadPort", "127.0.0.1:9001", "127.0.0.1:99999",
                  "fleet.toml:14: upstreams[0].url: \"http://127.0.0.1:99999\" is not an http "
                  "URL: bad port \"99999\""},
        ErrorCase{"UnknownKind", "\"tokenfab-node\"", "\"triton\"",
                  "fleet.toml:15: upstreams[0].kind: unknown kind \"triton\" (one of: "
                  "tokenfab-node, tokenfab-gateway, vllm, sglang, llama.cpp, openai)"},
        ErrorCase{"EmptyModels", "models = [\"m\"]", "models = []",
                  "fleet.toml:16: upstreams[0].models: must list at least one model"},
        ErrorCase{"ModelNotString", "models = [\"m\"]", "models = [\"m\", 3]",
                  "fleet.toml:16: upstreams[0].models: element 1 must be a string"},
        ErrorCase{"UnknownSite", "site = \"s1\"\n[upstreams", "site = \"s2\"\n[upstreams",
                  "fleet.toml:17: upstreams[0].site: unknown site \"s2\""},
        ErrorCase{"UnknownRegion", "region = \"r1\"", "region = \"r2\"",
                  "fleet.toml:6: sites[0].region: unknown region \"r2\""},
        ErrorCase{"UnknownNetworkSite", "site = \"s1\"\nrtt", "site = \"s9\"\nrtt",
                  "fleet.toml:26: network[0].site: unknown site \"s9\""},
        ErrorCase{"PueBelowOne", "pue = 1.2", "pue = 0.9",
                  "fleet.toml:9: sites[0].energy.pue: must be >= 1, got 0.9"},
        ErrorCase{"GreenShareAboveOne", "green_share = 0.5", "green_share = 55",
                  "fleet.toml:10: sites[0].energy.green_share: must be in [0, 1], got 55"},
        ErrorCase{"NegativeCarbon", "carbon_g_per_kwh = 300", "carbon_g_per_kwh = -1",
                  "fleet.toml:11: sites[0].energy.carbon_g_per_kwh: must be >= 0, got -1"},
        ErrorCase{"NegativePrice", "price = 0.4", "price = -0.1",
                  "fleet.toml:8: sites[0].energy.prices: the price at hour 0 must be >= 0, got "
                  "-0.1"},
        ErrorCase{"HourlyCount", "price = 0.4", "hourly_prices = [0.3, 0.4]",
                  "fleet.toml:8: sites[0].energy.hourly_prices: needs 24 values (local hours "
                  "0..23), got 2"},
        ErrorCase{"ScheduleGap", "price = 0.4",
                  "price_schedule = [{ from = 0, to = 12, price = 0.3 }]",
                  "fleet.toml:8: sites[0].energy.price_schedule: hour 12 has no price"},
        ErrorCase{"ScheduleOverlap", "price = 0.4",
                  "price_schedule = [{ from = 0, to = 24, price = 0.3 }, "
                  "{ from = 22, to = 2, price = 0.2 }]",
                  "fleet.toml:8: sites[0].energy.price_schedule[1].from: hour 22 is already "
                  "priced by entry 0"},
        ErrorCase{"ScheduleHourRange", "price = 0.4",
                  "price_schedule = [{ from = 0, to = 25, price = 0.3 }]",
                  "fleet.toml:8: sites[0].energy.price_schedule[0].to: must be an hour in [0, "
                  "24], got 25"},
        ErrorCase{"TwoPriceForms", "price = 0.4",
                  "price = 0.4\nprice_schedule = [{ from = 0, to = 24, price = 0.4 }]",
                  "fleet.toml:9: sites[0].energy.price_schedule: give one of price, "
                  "hourly_prices, price_schedule (\"price\" is given too)"},
        ErrorCase{"NoPrice", "price = 0.4", "",
                  "fleet.toml:7: sites[0].energy.price: missing: give price, hourly_prices or "
                  "price_schedule"},
        ErrorCase{"ForeignCurrencyWithoutRate", "price = 0.4", "currency = \"USD\"\nprice = 0.4",
                  "fleet.toml:8: sites[0].energy.currency: prices in USD need an exchange_rate "
                  "(CNY per USD)"},
        ErrorCase{"BadCurrency", "currency = \"CNY\"", "currency = \"yuan\"",
                  "fleet.toml:1: currency: \"yuan\" is not a currency code"},
        ErrorCase{"BadUtcOffset", "region = \"r1\"", "region = \"r1\"\nutc_offset = \"8\"",
                  "fleet.toml:7: sites[0].utc_offset: \"8\" is not an offset like \"+08:00\""},
        ErrorCase{"UtcOffsetRange", "region = \"r1\"", "region = \"r1\"\nutc_offset = \"+15:00\"",
                  "fleet.toml:7: sites[0].utc_offset: 900 minutes is outside -14:00..+14:00"},
        ErrorCase{"UnknownDevice", "kind = \"gpu\"", "kind = \"tpu\"",
                  "fleet.toml:19: upstreams[0].hardware.kind: unknown device kind \"tpu\""},
        ErrorCase{"ZeroDevices", "count = 1", "count = 0",
                  "fleet.toml:20: upstreams[0].hardware.count: must be in [1, 1000000], got 0"},
        ErrorCase{"FractionalDevices", "count = 1", "count = 1.5",
                  "fleet.toml:20: upstreams[0].hardware.count: must be an integer, not a number"},
        ErrorCase{"MaxPowerBelowIdle", "power_max_w = 300", "power_max_w = 10",
                  "fleet.toml:24: upstreams[0].hardware.power_max_w: must be >= power_idle_w "
                  "(50), got 10"},
        ErrorCase{"ZeroWeight", "site = \"s1\"\n[upstreams",
                  "site = \"s1\"\nweight = 0\n[upstreams",
                  "fleet.toml:18: upstreams[0].weight: must be > 0, got 0"},
        ErrorCase{"LossAboveOne", "rtt_ms = 2", "rtt_ms = 2\nloss = 2",
                  "fleet.toml:28: network[0].loss: must be in [0, 1], got 2"},
        ErrorCase{"DuplicateNetwork", "", "[[network]]\nsite = \"s1\"\nrtt_ms = 3\n",
                  "fleet.toml:29: network[1].site: site \"s1\" already has a path (network[0])"},
        ErrorCase{"DuplicateUpstreamName", "", kDuplicateName,
                  "fleet.toml:29: upstreams[1].name: duplicate name \"u1\" (also upstreams[0])"},
        ErrorCase{"DuplicateUrl", "", kDuplicateUrl,
                  "fleet.toml:30: upstreams[1].url: same URL as upstreams[0]"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(FleetConfigLoaderTest, ReadsModelSourcesRelativeToTheFile) {
  const std::string text = std::string(kValid) +
                           "[[models]]\nname = \"m\"\nvocab = \"llama3\"\n"
                           "[[models]]\nname = \"big\"\ngguf = \"models/big.gguf\"\n"
                           "[[models]]\nname = \"abs\"\ngguf = \"/srv/abs.gguf\"\n";
  auto config = ParseFleetConfig(text, "conf/fleet.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->models().size(), 3u);
  EXPECT_EQ(config->models()[0], (ModelSource{"m", "llama3", ""}));
  EXPECT_EQ(config->models()[1], (ModelSource{"big", "", "conf/models/big.gguf"}));
  EXPECT_EQ(config->models()[2].gguf, "/srv/abs.gguf");
  ASSERT_NE(config->FindModel("big"), nullptr);
  EXPECT_EQ(config->FindModel("big")->name, "big");
  EXPECT_EQ(config->FindModel("none"), nullptr);
}

// A mixture of experts is costed by what it computes: on the same hardware, a 30B-A3B model's
// prefill (compute-bound) costs about a tenth of a dense 30B's per token; a full decode batch
// touches nearly every expert, so its decode reads (and costs) as much as the dense model's.
TEST(FleetConfigLoaderTest, ModelParametersSetTheRooflineAndAMoeCostsByActiveParameters) {
  std::string text = std::string(kValid) + std::string(kSecondUpstream);
  text = Replace(text, "models = [\"m\", \"*\"]", "models = [\"dense\"]");
  text = Replace(text, "count = 2", "count = 1");
  text +=
      "[[models]]\nname = \"m\"\nvocab = \"qwen3\"\nparams_b = 30.5\nactive_params_b = 3.3\n"
      "[[models]]\nname = \"dense\"\nvocab = \"qwen3\"\nparams_b = 30.5\n";
  auto config = ParseFleetConfig(text, "f.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  const Upstream& moe = config->upstreams()[0];
  const Upstream& dense = config->upstreams()[1];
  const double prefill = moe.prefill_wh_per_token / dense.prefill_wh_per_token;
  EXPECT_GT(prefill, 0.09);
  EXPECT_LT(prefill, 0.13);
  EXPECT_NEAR(moe.decode_wh_per_token / dense.decode_wh_per_token, 1.0, 1e-9);
  // Against the reference 8 B dense model the fleet assumes without parameters.
  EXPECT_NEAR(dense.nominal.prefill_tokens_per_s,
              EstimateThroughput(dense.hardware).prefill_tokens_per_s * 8 / 30.5, 1e-6);

  auto bad =
      ParseFleetConfig(Replace(text, "active_params_b = 3.3", "active_params_b = 31"), "f.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("models[0].active_params_b"));
}

TEST(FleetConfigLoaderTest, ModelSourceNeedsExactlyOneOfVocabAndGguf) {
  for (const char* fields : {"", "vocab = \"gpt2\"\ngguf = \"x.gguf\"\n"}) {
    const std::string text = std::string(kValid) + "[[models]]\nname = \"m\"\n" + fields;
    auto config = ParseFleetConfig(text, "fleet.toml");
    ASSERT_FALSE(config.ok()) << fields;
    EXPECT_THAT(std::string(config.status().message()),
                StartsWith("fleet.toml:28: models[0]: model \"m\" needs exactly one of vocab"));
  }
  auto twice = ParseFleetConfig(std::string(kValid) +
                                    "[[models]]\nname = \"m\"\nvocab = \"gpt2\"\n"
                                    "[[models]]\nname = \"m\"\nvocab = \"llama3\"\n",
                                "fleet.toml");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(std::string(twice.status().message()),
              StartsWith("fleet.toml:32: models[1].name: duplicate name \"m\""));
}

TEST(FleetConfigLoaderTest, ListElementsMustBeTables) {
  auto config = ParseFleetConfig("currency = \"CNY\"\nregions = [\"r1\"]\n", "f.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "f.toml:2: regions[0]: must be a table, not a string");
}

TEST(FleetConfigLoaderTest, EmptyFleetIsAnError) {
  auto config = ParseFleetConfig("currency = \"CNY\"\n", "empty.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "empty.toml:1: regions: the fleet has no regions");
}

TEST(FleetConfigLoaderTest, LoadNamesThePath) {
  auto missing = LoadFleetConfig(::testing::TempDir() + "/no-such-fleet.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("no-such-fleet.toml: cannot open"));

  const std::string path = ::testing::TempDir() + "/fleet-loader-test.toml";
  {
    std::ofstream out(path);
    out << Replace(std::string(kValid), "pue = 1.2", "pue = 0.5");
  }
  auto bad = LoadFleetConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), path + ":9: sites[0].energy.pue: must be >= 1, got 0.5");
  {
    std::ofstream out(path);
    out << kValid;
  }
  auto good = LoadFleetConfig(path);
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->source(), path);
  std::remove(path.c_str());
}

TEST(FleetConfigTest, CreateValidatesProgrammaticSpecs) {
  auto parsed = ParseFleetConfig(kValid, "f.toml");
  ASSERT_TRUE(parsed.ok());
  FleetSpec spec = parsed->spec();
  spec.upstreams[0].site = "elsewhere";
  auto config = FleetConfig::Create(spec);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "upstreams[0].site: unknown site \"elsewhere\"");
}

}  // namespace
}  // namespace tokenfab::fleet

namespace tokenfab::fleet {
namespace {

// An upstream's key is named by reference; the loader reads it.
TEST(FleetConfigLoaderTest, ReadsUpstreamKeysFromTheEnvironmentOrAFile) {
  const std::string site_line = "site = \"s1\"\n[upstreams.hardware]";
  ::setenv("TOKENFAB_FLEET_TEST_KEY", "sk-from-env\n", 1);
  auto from_env = ParseFleetConfig(
      Replace(std::string(kValid), site_line,
              "site = \"s1\"\napi_key_env = \"TOKENFAB_FLEET_TEST_KEY\"\n[upstreams.hardware]"),
      "fleet.toml");
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->upstreams()[0].api_key, "sk-from-env");

  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/upstream.key") << "sk-from-file\n";
  auto from_file = ParseFleetConfig(
      Replace(std::string(kValid), site_line,
              "site = \"s1\"\napi_key_file = \"upstream.key\"\n[upstreams.hardware]"),
      dir + "/fleet.toml");
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->upstreams()[0].api_key, "sk-from-file");

  ::unsetenv("TOKENFAB_FLEET_TEST_KEY");
  auto unset = ParseFleetConfig(
      Replace(std::string(kValid), site_line,
              "site = \"s1\"\napi_key_env = \"TOKENFAB_FLEET_TEST_KEY\"\n[upstreams.hardware]"),
      "fleet.toml");
  ASSERT_FALSE(unset.ok());
  EXPECT_THAT(unset.status().message(), HasSubstr("TOKENFAB_FLEET_TEST_KEY is not set"));
}

TEST(FleetConfigLoaderTest, AKeyWrittenInTheFileIsRefusedWithoutEchoingIt) {
  auto config = ParseFleetConfig(
      Replace(std::string(kValid), "site = \"s1\"\n[upstreams.hardware]",
              "site = \"s1\"\napi_key = \"sk-inline-secret\"\n[upstreams.hardware]"),
      "fleet.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("upstreams[0].api_key"));
  EXPECT_THAT(config.status().message(), HasSubstr("api_key_env"));
  EXPECT_THAT(config.status().message(), ::testing::Not(HasSubstr("sk-inline-secret")));
}

// Cached prompt tokens (billed cheaper) are taken on the word of our own kinds by default only.
TEST(FleetConfigLoaderTest, CachedTokensAreTrustedFromOurOwnKindsUnlessTheFileSays) {
  const std::string kind_line = "kind = \"tokenfab-node\"";
  auto ours = ParseFleetConfig(std::string(kValid), "fleet.toml");
  ASSERT_TRUE(ours.ok()) << ours.status();
  EXPECT_TRUE(ours->upstreams()[0].trust_cached_tokens);
  auto vllm =
      ParseFleetConfig(Replace(std::string(kValid), kind_line, "kind = \"vllm\""), "fleet.toml");
  ASSERT_TRUE(vllm.ok()) << vllm.status();
  EXPECT_FALSE(vllm->upstreams()[0].trust_cached_tokens);
  auto trusted = ParseFleetConfig(
      Replace(std::string(kValid), kind_line, "kind = \"vllm\"\ntrust_cached_tokens = true"),
      "fleet.toml");
  ASSERT_TRUE(trusted.ok()) << trusted.status();
  EXPECT_TRUE(trusted->upstreams()[0].trust_cached_tokens);
  auto distrusted = ParseFleetConfig(
      Replace(std::string(kValid), kind_line, kind_line + "\ntrust_cached_tokens = false"),
      "fleet.toml");
  ASSERT_TRUE(distrusted.ok()) << distrusted.status();
  EXPECT_FALSE(distrusted->upstreams()[0].trust_cached_tokens);
  auto bad = ParseFleetConfig(
      Replace(std::string(kValid), kind_line, kind_line + "\ntrust_cached_tokens = \"yes\""),
      "fleet.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("upstreams[0].trust_cached_tokens"));
  EXPECT_THAT(bad.status().message(), HasSubstr("must be true or false"));
}

}  // namespace
}  // namespace tokenfab::fleet
