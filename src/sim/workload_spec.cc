#include <algorithm>

#include "tokenfab/sim/workload_spec.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "fleet/toml_reader.h"
#include "tokenfab/sim/step_profile.h"

namespace tokenfab::sim {
namespace {

using fleet::internal::ForEachTable;
using fleet::internal::SourceMap;
using fleet::internal::TableReader;

Status ReadLength(TableReader& reader, std::string_view key,
                  std::optional<bench::LengthDistribution>* out) {
  if (!reader.Has(key)) return absl::OkStatus();
  std::string text;
  TF_ASSIGN_OR_RETURN(text, reader.String(key));
  auto parsed = bench::LengthDistribution::Parse(text);
  if (!parsed.ok()) return reader.Error(key, std::string(parsed.status().message()));
  *out = *parsed;
  return absl::OkStatus();
}

Status ReadArrivals(const toml::table& table, SourceMap& map, SimWorkloadSpec& spec) {
  TableReader reader(table, "arrivals", map);
  std::string process;
  TF_ASSIGN_OR_RETURN(process, reader.String("process", "poisson"));
  auto kind = bench::ParseArrivalKind(process);
  if (!kind.ok()) return reader.Error("process", std::string(kind.status().message()));
  spec.arrivals.kind = *kind;
  TF_ASSIGN_OR_RETURN(spec.arrivals.rate, reader.Number("rate", spec.arrivals.rate));
  TF_ASSIGN_OR_RETURN(spec.arrivals.burstiness, reader.Number("burstiness", 1.0));
  TF_ASSIGN_OR_RETURN(spec.tokens_per_day, reader.Number("tokens_per_day", 0.0));
  if (!(spec.arrivals.rate > 0)) return reader.Error("rate", "must be positive");
  if (!(spec.arrivals.burstiness > 0)) return reader.Error("burstiness", "must be positive");
  return reader.Finish();
}

Status ReadTier(const toml::table& table, const std::string& path, SourceMap& map,
                SimWorkloadSpec& spec) {
  TableReader reader(table, path, map);
  TierMix mix;
  TF_ASSIGN_OR_RETURN(mix.tier.name, reader.String("name"));
  TF_ASSIGN_OR_RETURN(mix.share, reader.Number("share", 1.0));
  double lines = 0;
  TF_ASSIGN_OR_RETURN(lines, reader.Number("batch_lines", 0));
  mix.batch_lines = static_cast<int64_t>(lines);
  if (mix.batch_lines == 0 || reader.Has("ttft_slo_ms") || reader.Has("tpot_slo_ms")) {
    TF_ASSIGN_OR_RETURN(mix.tier.ttft_slo_ms, reader.Integer("ttft_slo_ms"));
    TF_ASSIGN_OR_RETURN(mix.tier.tpot_slo_ms, reader.Integer("tpot_slo_ms"));
  }
  double priority = 0, blocks = 0;
  TF_ASSIGN_OR_RETURN(priority, reader.Number("priority", 0));
  TF_ASSIGN_OR_RETURN(blocks, reader.Number("shared_prefix_blocks", 0));
  mix.tier.priority = static_cast<int32_t>(priority);
  mix.shared_prefix_blocks = static_cast<int32_t>(blocks);
  for (const char* key : {"rpm", "tpm", "max_concurrency"}) {
    if (!reader.Has(key)) continue;
    double value = 0;
    TF_ASSIGN_OR_RETURN(value, reader.Number(key));
    std::optional<int64_t>& limit = std::string_view(key) == "rpm" ? mix.tier.limits.rpm
                                    : std::string_view(key) == "tpm"
                                        ? mix.tier.limits.tpm
                                        : mix.tier.limits.max_concurrency;
    limit = static_cast<int64_t>(value);
  }
  if (reader.Has("regions")) {
    TF_ASSIGN_OR_RETURN(mix.regions, reader.StringArray("regions"));
  }
  if (Status s = ReadLength(reader, "input", &mix.input_tokens); !s.ok()) return s;
  if (Status s = ReadLength(reader, "output", &mix.output_tokens); !s.ok()) return s;
  TF_ASSIGN_OR_RETURN(mix.window_s, reader.Number("window_s", 86400));
  TF_ASSIGN_OR_RETURN(mix.submit_s, reader.Number("submit_s", 0));
  if (mix.batch_lines < 0) return reader.Error("batch_lines", "must not be negative");
  if (!(mix.window_s > 0)) return reader.Error("window_s", "must be positive");
  if (!(mix.submit_s >= 0)) return reader.Error("submit_s", "must not be negative");
  if (mix.batch_lines > 0) {
    // A batch backlog: released by the valley filler, not drawn by share; served as flex.
    mix.share = 0;
    mix.tier.priority = kBatchPriority;
    mix.tier.ttft_slo_ms = mix.tier.tpot_slo_ms = 0;
  } else if (!(mix.share > 0)) {
    return reader.Error("share", "must be positive");
  }
  if (Status s = ledger::ValidateName("tier", mix.tier.name); !s.ok()) {
    return reader.Error("name", std::string(s.message()));
  }
  spec.tiers.push_back(std::move(mix));
  return reader.Finish();
}

Status ReadNode(const toml::table& table, SourceMap& map, NodeSpec& node) {
  TableReader reader(table, "node", map);
  double block = 0, running = 0, batch = 0;
  TF_ASSIGN_OR_RETURN(node.memory_gib, reader.Number("memory_gib", node.memory_gib));
  TF_ASSIGN_OR_RETURN(node.memory_utilization,
                      reader.Number("memory_utilization", node.memory_utilization));
  TF_ASSIGN_OR_RETURN(block, reader.Number("block_size", node.block_size));
  TF_ASSIGN_OR_RETURN(running, reader.Number("max_running", node.max_running));
  TF_ASSIGN_OR_RETURN(batch, reader.Number("max_batch_tokens", node.max_batch_tokens));
  node.block_size = static_cast<int32_t>(block);
  node.max_running = static_cast<int32_t>(running);
  node.max_batch_tokens = static_cast<int32_t>(batch);
  if (!(node.memory_gib > 0) || !(node.memory_utilization > 0) || node.memory_utilization > 1) {
    return reader.Error("memory_gib", "memory_gib > 0 and memory_utilization in (0, 1]");
  }
  return reader.Finish();
}

Status ReadRoofline(const toml::table& table, SourceMap& map, RooflineOptions& roofline) {
  TableReader reader(table, "roofline", map);
  TF_ASSIGN_OR_RETURN(roofline.compute_efficiency,
                      reader.Number("compute_efficiency", roofline.compute_efficiency));
  TF_ASSIGN_OR_RETURN(roofline.bandwidth_efficiency,
                      reader.Number("bandwidth_efficiency", roofline.bandwidth_efficiency));
  TF_ASSIGN_OR_RETURN(
      roofline.attention_flops_per_kv_byte,
      reader.Number("attention_flops_per_kv_byte", roofline.attention_flops_per_kv_byte));
  TF_ASSIGN_OR_RETURN(roofline.overhead_us, reader.Number("overhead_us", roofline.overhead_us));
  return reader.Finish();
}

Status ReadShape(const toml::table& table, SourceMap& map, const std::string& model,
                 std::optional<ModelShape>& out) {
  TableReader reader(table, "model_shape", map);
  ModelShape shape;
  shape.name = model;
  double layers = 0, heads = 0, dim = 0, context = 0;
  TF_ASSIGN_OR_RETURN(shape.total_params_b, reader.Number("total_params_b"));
  TF_ASSIGN_OR_RETURN(shape.active_params_b,
                      reader.Number("active_params_b", shape.total_params_b));
  TF_ASSIGN_OR_RETURN(shape.bytes_per_weight, reader.Number("bytes_per_weight", 2));
  TF_ASSIGN_OR_RETURN(layers, reader.Number("layers"));
  TF_ASSIGN_OR_RETURN(heads, reader.Number("kv_heads"));
  TF_ASSIGN_OR_RETURN(dim, reader.Number("head_dim"));
  TF_ASSIGN_OR_RETURN(context, reader.Number("context", 8192));
  shape.kv = {static_cast<int32_t>(layers), static_cast<int32_t>(heads), static_cast<int32_t>(dim),
              static_cast<int32_t>(context), 2};
  out = shape;
  return reader.Finish();
}

// A profile is the PerformanceModel text, or the path of a step-profile JSON file
// (step_profile.h; relative to the spec's directory).
StatusOr<engine::PerformanceModel> ReadProfile(const std::string& text, const SourceMap& map) {
  if (!text.ends_with(".json")) return engine::PerformanceModel::Parse(text);
  std::filesystem::path path(text);
  if (path.is_relative()) path = std::filesystem::path(map.file()).parent_path() / path;
  return LoadStepProfile(path.string());
}

Status ReadProfiles(const toml::table& table, SourceMap& map, SimWorkloadSpec& spec) {
  for (const auto& [key, node] : table) {
    const auto* text = node.as_string();
    auto model = text ? ReadProfile(text->get(), map)
                      : StatusOr<engine::PerformanceModel>(absl::InvalidArgumentError(
                            "expected \"base=..,prefill=..,decode=..,kv=..\" or a .json profile"));
    if (!model.ok()) {
      return map.Error(fmt::format("profiles.{}", key.str()),
                       std::string(model.status().message()));
    }
    spec.profiles[std::string(key.str())] = *model;
  }
  return absl::OkStatus();
}

StatusOr<TimelineEvent::Action> ParseAction(const std::string& action) {
  if (action == "down") return TimelineEvent::Action::kDown;
  if (action == "up") return TimelineEvent::Action::kUp;
  if (action == "drain") return TimelineEvent::Action::kDrain;
  if (action == "price") return TimelineEvent::Action::kPrice;
  return absl::InvalidArgumentError("\"down\", \"up\", \"drain\" or \"price\"");
}

Status ReadEvent(const toml::table& table, const std::string& path, SourceMap& map,
                 SimWorkloadSpec& spec) {
  TableReader reader(table, path, map);
  TimelineEvent event;
  std::string action;
  TF_ASSIGN_OR_RETURN(event.at_s, reader.Number("at_s"));
  TF_ASSIGN_OR_RETURN(action, reader.String("action"));
  TF_ASSIGN_OR_RETURN(event.upstream, reader.String("upstream", ""));
  TF_ASSIGN_OR_RETURN(event.site, reader.String("site", ""));
  TF_ASSIGN_OR_RETURN(event.price, reader.Number("price", -1.0));
  TF_ASSIGN_OR_RETURN(event.price_factor, reader.Number("price_factor", -1.0));
  StatusOr<TimelineEvent::Action> parsed = ParseAction(action);
  if (!parsed.ok()) return reader.Error("action", std::string(parsed.status().message()));
  event.action = *parsed;
  if (event.upstream.empty() == event.site.empty()) {
    return reader.Error("action", "give exactly one of upstream and site");
  }
  if (!(event.at_s >= 0)) return reader.Error("at_s", "must be >= 0");
  if (event.action == TimelineEvent::Action::kPrice) {
    if (event.site.empty()) return reader.Error("action", "a price change names a site");
    if ((event.price >= 0) == (event.price_factor >= 0)) {
      return reader.Error("action", "a price change gives one of price and price_factor (>= 0)");
    }
  } else if (event.price >= 0 || event.price_factor >= 0) {
    return reader.Error("price", "only a \"price\" event takes a price");
  }
  spec.events.push_back(std::move(event));
  return reader.Finish();
}

Status ReadPlanGroup(const toml::table& table, const std::string& path, SourceMap& map,
                     PlanSpec& plan) {
  TableReader reader(table, path, map);
  PlanGroupBounds group;
  double min = 0, max = -1;
  TF_ASSIGN_OR_RETURN(group.site, reader.String("site"));
  TF_ASSIGN_OR_RETURN(group.hardware, reader.String("hardware", ""));
  TF_ASSIGN_OR_RETURN(min, reader.Number("min", 0));
  TF_ASSIGN_OR_RETURN(max, reader.Number("max", -1));
  TF_ASSIGN_OR_RETURN(group.node_cost_per_hour, reader.Number("node_cost_per_hour", -1));
  if (!(min >= 0)) return reader.Error("min", "must be >= 0");
  if (max >= 0 && max < min) return reader.Error("max", "must be >= min");
  group.min = static_cast<int32_t>(min);
  group.max = max < 0 ? -1 : static_cast<int32_t>(max);
  plan.groups.push_back(std::move(group));
  return reader.Finish();
}

Status ReadPlan(const toml::table& table, SourceMap& map, PlanSpec& plan) {
  TableReader reader(table, "plan", map);
  TF_ASSIGN_OR_RETURN(plan.node_cost_per_hour, reader.Number("node_cost_per_hour", 0));
  TF_ASSIGN_OR_RETURN(plan.max_factor, reader.Number("max_factor", plan.max_factor));
  if (!(plan.node_cost_per_hour >= 0)) return reader.Error("node_cost_per_hour", "must be >= 0");
  if (!(plan.max_factor > 0)) return reader.Error("max_factor", "must be positive");
  const toml::array* groups = nullptr;
  TF_ASSIGN_OR_RETURN(groups, reader.OptionalArray("groups"));
  TF_RETURN_IF_ERROR(
      ForEachTable(groups, "plan.groups", map, [&](const toml::table& t, const std::string& path) {
        return ReadPlanGroup(t, path, map, plan);
      }));
  return reader.Finish();
}

Status ReadSections(TableReader& root, SourceMap& map, SimWorkloadSpec& spec) {
  const toml::table* table = nullptr;
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("arrivals"));
  if (table) TF_RETURN_IF_ERROR(ReadArrivals(*table, map, spec));
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("diurnal"));
  if (table) {
    TableReader reader(*table, "diurnal", map);
    TF_ASSIGN_OR_RETURN(spec.diurnal, reader.NumberArray("hourly"));
    if (spec.diurnal.size() != 24) return reader.Error("hourly", "needs 24 factors");
    for (double f : spec.diurnal) {
      if (!(f >= 0)) return reader.Error("hourly", "factors must be >= 0");
    }
    TF_RETURN_IF_ERROR(reader.Finish());
  }
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("lengths"));
  if (table) {
    TableReader reader(*table, "lengths", map);
    std::optional<bench::LengthDistribution> in, out;
    TF_RETURN_IF_ERROR(ReadLength(reader, "input", &in));
    TF_RETURN_IF_ERROR(ReadLength(reader, "output", &out));
    if (in) spec.input_tokens = *in;
    if (out) spec.output_tokens = *out;
    TF_RETURN_IF_ERROR(reader.Finish());
  }
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("node"));
  if (table) TF_RETURN_IF_ERROR(ReadNode(*table, map, spec.node));
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("roofline"));
  if (table) TF_RETURN_IF_ERROR(ReadRoofline(*table, map, spec.roofline));
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("model_shape"));
  if (table) TF_RETURN_IF_ERROR(ReadShape(*table, map, spec.model, spec.model_shape));
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("profiles"));
  if (table) TF_RETURN_IF_ERROR(ReadProfiles(*table, map, spec));
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("plan"));
  if (table) TF_RETURN_IF_ERROR(ReadPlan(*table, map, spec.plan));
  TF_ASSIGN_OR_RETURN(table, root.OptionalTable("gateway"));
  if (table) {
    TableReader reader(*table, "gateway", map);
    double interval = 0;
    TF_ASSIGN_OR_RETURN(interval, reader.Number("poll_interval_ms", 200));
    if (!(interval > 0)) return reader.Error("poll_interval_ms", "must be positive");
    spec.poll_interval_ms = static_cast<int64_t>(interval);
    double in_flight = 0;
    TF_ASSIGN_OR_RETURN(in_flight, reader.Number("max_batch_in_flight", 64));
    if (!(in_flight >= 0)) return reader.Error("max_batch_in_flight", "must not be negative");
    spec.max_batch_in_flight = static_cast<int64_t>(in_flight);
    TF_RETURN_IF_ERROR(reader.Finish());
  }
  return absl::OkStatus();
}

}  // namespace

TierMix DefaultTier() {
  TierMix mix;
  mix.tier.name = "standard";
  mix.tier.ttft_slo_ms = 2000;
  mix.tier.tpot_slo_ms = 100;
  return mix;
}

StatusOr<ModelShape> SimWorkloadSpec::Shape() const {
  if (model_shape) return *model_shape;
  if (auto known = KnownModelShape(model)) return *known;
  return absl::NotFoundError(fmt::format(
      "no shape known for model \"{}\": give [model_shape] in the workload spec", model));
}

StatusOr<SimWorkloadSpec> ParseWorkloadSpec(std::string_view toml_text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string(source));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        fmt::format("{}:{}: {}", source, e.source().begin.line, e.description()));
  }
  SourceMap map{std::string(source)};
  TableReader reader(root, "", map);
  SimWorkloadSpec spec;
  double duration = 0, hour = 0;
  TF_ASSIGN_OR_RETURN(spec.model, reader.String("model", spec.model));
  TF_ASSIGN_OR_RETURN(duration, reader.Number("duration_s", spec.duration_s));
  TF_ASSIGN_OR_RETURN(hour, reader.Number("start_utc_hour", 0));
  spec.duration_s = duration;
  spec.start_utc_hour = static_cast<int32_t>(hour);
  if (!(duration > 0)) return reader.Error("duration_s", "must be positive");
  if (hour < 0 || hour >= 24) return reader.Error("start_utc_hour", "must be in [0, 24)");
  TF_RETURN_IF_ERROR(ReadSections(reader, map, spec));
  const toml::array* tiers = nullptr;
  TF_ASSIGN_OR_RETURN(tiers, reader.OptionalArray("tiers"));
  TF_RETURN_IF_ERROR(ForEachTable(
      tiers, "tiers", map,
      [&](const toml::table& t, const std::string& path) { return ReadTier(t, path, map, spec); }));
  if (std::none_of(spec.tiers.begin(), spec.tiers.end(),
                   [](const TierMix& t) { return t.batch_lines == 0; })) {
    spec.tiers.push_back(DefaultTier());
  }
  const toml::array* events = nullptr;
  TF_ASSIGN_OR_RETURN(events, reader.OptionalArray("events"));
  TF_RETURN_IF_ERROR(
      ForEachTable(events, "events", map, [&](const toml::table& t, const std::string& path) {
        return ReadEvent(t, path, map, spec);
      }));
  TF_RETURN_IF_ERROR(reader.Finish());
  return spec;
}

StatusOr<SimWorkloadSpec> LoadWorkloadSpec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot open workload spec {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseWorkloadSpec(text.str(), path);
}

}  // namespace tokenfab::sim
