#include "tokenfab/fleet/fleet_config_loader.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "fleet_spec_validation.h"
#include "price_schedule_reader.h"
#include "tokenfab/base/secret_file.h"
#include "toml_reader.h"
#include "tokenfab/fleet/model_parameters.h"

namespace tokenfab::fleet {
namespace {

using internal::ForEachTable;
using internal::SourceMap;
using internal::TableReader;

// "+08:00", "-05:30" -> minutes east of UTC.
StatusOr<int32_t> ParseUtcOffset(TableReader& reader) {
  TF_ASSIGN_OR_RETURN(std::string text, reader.String("utc_offset", "+00:00"));
  const bool ok = text.size() == 6 && (text[0] == '+' || text[0] == '-') && text[3] == ':' &&
                  std::isdigit(text[1]) && std::isdigit(text[2]) && std::isdigit(text[4]) &&
                  std::isdigit(text[5]);
  const int hours = ok ? (text[1] - '0') * 10 + (text[2] - '0') : 0;
  const int minutes = ok ? (text[4] - '0') * 10 + (text[5] - '0') : 0;
  if (!ok || minutes >= 60) {
    return reader.Error("utc_offset", fmt::format("\"{}\" is not an offset like \"+08:00\"", text));
  }
  return (text[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

StatusOr<Region> ReadRegion(const toml::table& table, const std::string& path, SourceMap& map) {
  TableReader reader(table, path, map);
  Region region;
  TF_ASSIGN_OR_RETURN(region.name, reader.String("name"));
  TF_ASSIGN_OR_RETURN(region.residency, reader.String("residency", ""));
  TF_ASSIGN_OR_RETURN(region.description, reader.String("description", ""));
  TF_RETURN_IF_ERROR(reader.Finish());
  return region;
}

StatusOr<SiteEnergy> ReadEnergy(const toml::table& table, const std::string& path,
                                const std::string& fleet_currency, SourceMap& map) {
  TableReader reader(table, path, map);
  SiteEnergy energy;
  TF_ASSIGN_OR_RETURN(energy.currency, reader.String("currency", fleet_currency));
  if (energy.currency != fleet_currency && !reader.Has("exchange_rate")) {
    return reader.Error("currency", fmt::format("prices in {} need an exchange_rate ({} per {})",
                                                energy.currency, fleet_currency, energy.currency));
  }
  TF_ASSIGN_OR_RETURN(energy.exchange_rate, reader.Number("exchange_rate", 1.0));
  TF_ASSIGN_OR_RETURN(energy.prices, internal::ReadPrices(reader));
  TF_ASSIGN_OR_RETURN(energy.pue, reader.Number("pue"));
  TF_ASSIGN_OR_RETURN(energy.green_share, reader.Number("green_share"));
  TF_ASSIGN_OR_RETURN(energy.carbon_g_per_kwh, reader.Number("carbon_g_per_kwh"));
  TF_RETURN_IF_ERROR(reader.Finish());
  return energy;
}

StatusOr<Site> ReadSite(const toml::table& table, const std::string& path,
                        const std::string& fleet_currency, SourceMap& map) {
  TableReader reader(table, path, map);
  Site site;
  TF_ASSIGN_OR_RETURN(site.name, reader.String("name"));
  TF_ASSIGN_OR_RETURN(site.region, reader.String("region"));
  TF_ASSIGN_OR_RETURN(site.utc_offset_minutes, ParseUtcOffset(reader));
  TF_ASSIGN_OR_RETURN(const toml::table* energy, reader.Table("energy"));
  TF_ASSIGN_OR_RETURN(site.energy,
                      ReadEnergy(*energy, reader.FieldPath("energy"), fleet_currency, map));
  TF_RETURN_IF_ERROR(reader.Finish());
  return site;
}

StatusOr<Hardware> ReadHardware(const toml::table& table, const std::string& path, SourceMap& map) {
  TableReader reader(table, path, map);
  Hardware hw;
  TF_ASSIGN_OR_RETURN(std::string kind, reader.String("kind"));
  auto device = ParseDeviceKind(kind);
  if (!device) {
    return reader.Error("kind", fmt::format("unknown device kind \"{}\" (gpu, npu or cpu)", kind));
  }
  hw.kind = *device;
  TF_ASSIGN_OR_RETURN(hw.model, reader.String("model", ""));
  TF_ASSIGN_OR_RETURN(int64_t count, reader.Integer("count"));
  if (count < 1 || count > 1'000'000) {
    return reader.Error("count", fmt::format("must be in [1, 1000000], got {}", count));
  }
  hw.count = static_cast<int32_t>(count);
  TF_ASSIGN_OR_RETURN(hw.peak_tflops, reader.Number("peak_tflops"));
  TF_ASSIGN_OR_RETURN(hw.mem_bandwidth_gbps, reader.Number("mem_bandwidth_gbps"));
  TF_ASSIGN_OR_RETURN(hw.power_idle_w, reader.Number("power_idle_w"));
  TF_ASSIGN_OR_RETURN(hw.power_max_w, reader.Number("power_max_w"));
  TF_RETURN_IF_ERROR(reader.Finish());
  return hw;
}

StatusOr<Throughput> ReadThroughput(const toml::table* table, const std::string& path,
                                    SourceMap& map) {
  Throughput throughput;
  if (table == nullptr) return throughput;
  TableReader reader(*table, path, map);
  TF_ASSIGN_OR_RETURN(throughput.prefill_tokens_per_s, reader.Number("prefill_tokens_per_s", 0));
  TF_ASSIGN_OR_RETURN(throughput.decode_tokens_per_s, reader.Number("decode_tokens_per_s", 0));
  TF_RETURN_IF_ERROR(reader.Finish());
  return throughput;
}

// The upstream's key, by reference: `api_key_env` or `api_key_file`, read now; a key written in
// the file is refused (fleet files are shared, versioned and printed in logs).
Status ReadApiKey(TableReader& reader, Upstream& up) {
  if (reader.Has("api_key")) {
    (void)reader.String("api_key");  // marks it read; its value is never echoed
    return reader.Error("api_key",
                        "a key written in the fleet file would be shared with everyone who reads "
                        "the file: name it with api_key_env = \"VAR\" or api_key_file = \"PATH\"");
  }
  TF_ASSIGN_OR_RETURN(up.api_key_env, reader.String("api_key_env", ""));
  TF_ASSIGN_OR_RETURN(up.api_key_file, reader.String("api_key_file", ""));
  if (!up.api_key_env.empty() && !up.api_key_file.empty()) {
    return reader.Error("api_key_file", "give api_key_env or api_key_file, not both");
  }
  if (!up.api_key_env.empty()) {
    StatusOr<std::string> key = base::ReadSecretEnv(up.api_key_env);
    if (!key.ok()) return reader.Error("api_key_env", std::string(key.status().message()));
    up.api_key = *std::move(key);
  } else if (!up.api_key_file.empty()) {
    if (std::filesystem::path(up.api_key_file).is_relative()) {
      up.api_key_file =
          (std::filesystem::path(reader.map().file()).parent_path() / up.api_key_file).string();
    }
    StatusOr<std::string> key = base::ReadSecretFile(up.api_key_file);
    if (!key.ok()) return reader.Error("api_key_file", std::string(key.status().message()));
    up.api_key = *std::move(key);
  }
  return absl::OkStatus();
}

StatusOr<Upstream> ReadUpstream(const toml::table& table, const std::string& path, SourceMap& map) {
  TableReader reader(table, path, map);
  Upstream up;
  TF_ASSIGN_OR_RETURN(up.name, reader.String("name"));
  TF_ASSIGN_OR_RETURN(std::string url, reader.String("url"));
  auto parsed = net::ParseBaseUrl(url);
  if (!parsed.ok()) return reader.Error("url", std::string(parsed.status().message()));
  up.url = *std::move(parsed);
  TF_ASSIGN_OR_RETURN(std::string kind, reader.String("kind"));
  auto upstream_kind = ParseUpstreamKind(kind);
  if (!upstream_kind) {
    return reader.Error("kind",
                        fmt::format("unknown kind \"{}\" (one of: {})", kind, UpstreamKindNames()));
  }
  up.kind = *upstream_kind;
  TF_ASSIGN_OR_RETURN(up.models, reader.StringArray("models"));
  TF_ASSIGN_OR_RETURN(up.site, reader.String("site"));
  TF_ASSIGN_OR_RETURN(up.weight, reader.Number("weight", 1.0));
  TF_ASSIGN_OR_RETURN(const toml::table* hardware, reader.Table("hardware"));
  TF_ASSIGN_OR_RETURN(up.hardware, ReadHardware(*hardware, reader.FieldPath("hardware"), map));
  TF_ASSIGN_OR_RETURN(const toml::table* throughput, reader.OptionalTable("throughput"));
  TF_ASSIGN_OR_RETURN(up.throughput,
                      ReadThroughput(throughput, reader.FieldPath("throughput"), map));
  TF_ASSIGN_OR_RETURN(up.profile, reader.String("profile", ""));
  if (!up.profile.empty() && std::filesystem::path(up.profile).is_relative()) {
    up.profile = (std::filesystem::path(map.file()).parent_path() / up.profile).string();
  }
  TF_RETURN_IF_ERROR(ReadApiKey(reader, up));
  const bool ours =
      up.kind == UpstreamKind::kTokenfabNode || up.kind == UpstreamKind::kTokenfabGateway;
  TF_ASSIGN_OR_RETURN(up.trust_cached_tokens, reader.Bool("trust_cached_tokens", ours));
  TF_RETURN_IF_ERROR(reader.Finish());
  return up;
}

StatusOr<NetworkLink> ReadNetworkLink(const toml::table& table, const std::string& path,
                                      SourceMap& map) {
  TableReader reader(table, path, map);
  NetworkLink link;
  TF_ASSIGN_OR_RETURN(link.site, reader.String("site"));
  link.path.configured = true;
  TF_ASSIGN_OR_RETURN(link.path.rtt_ms, reader.Number("rtt_ms"));
  TF_ASSIGN_OR_RETURN(link.path.jitter_ms, reader.Number("jitter_ms", 0));
  TF_ASSIGN_OR_RETURN(link.path.loss, reader.Number("loss", 0));
  TF_RETURN_IF_ERROR(reader.Finish());
  return link;
}

// A [[models]] entry; a relative gguf path is made relative to the fleet file's folder.
StatusOr<ModelSource> ReadModelSource(const toml::table& table, const std::string& path,
                                      SourceMap& map) {
  TableReader reader(table, path, map);
  ModelSource model;
  TF_ASSIGN_OR_RETURN(model.name, reader.String("name"));
  TF_ASSIGN_OR_RETURN(model.vocab, reader.String("vocab", ""));
  TF_ASSIGN_OR_RETURN(model.gguf, reader.String("gguf", ""));
  TF_ASSIGN_OR_RETURN(model.params_b, reader.Number("params_b", 0));
  TF_ASSIGN_OR_RETURN(model.active_params_b, reader.Number("active_params_b", 0));
  TF_ASSIGN_OR_RETURN(model.bytes_per_weight, reader.Number("bytes_per_weight", 0));
  if (!model.gguf.empty() && std::filesystem::path(model.gguf).is_relative()) {
    const std::filesystem::path folder = std::filesystem::path(map.file()).parent_path();
    model.gguf = (folder / model.gguf).lexically_normal().string();
  }
  TF_RETURN_IF_ERROR(reader.Finish());
  if (StatusOr<bool> filled = FillModelParametersFromGguf(model); !filled.ok()) {
    return reader.Error("gguf", std::string(filled.status().message()));
  }
  return model;
}

// Appends one T per table of the array `key`, read by `read(table, path)`.
template <typename T, typename ReadFn>
Status ReadList(TableReader& root, std::string_view key, SourceMap& map, std::vector<T>& out,
                ReadFn read) {
  TF_ASSIGN_OR_RETURN(const toml::array* array, root.OptionalArray(key));
  return ForEachTable(array, key, map, [&](const toml::table& table, const std::string& path) {
    TF_ASSIGN_OR_RETURN(T item, read(table, path));
    out.push_back(std::move(item));
    return absl::OkStatus();
  });
}

// The `[ledger]` table: each key optional, a count (>= 0).
StatusOr<LedgerSettings> ReadLedger(const toml::table& table, SourceMap& map) {
  TableReader reader(table, "ledger", map);
  LedgerSettings ledger;
  for (auto [key, field] : {std::pair{"usage_spool_max_events", &ledger.usage_spool_max_events},
                            std::pair{"usage_spool_max_bytes", &ledger.usage_spool_max_bytes}}) {
    if (!reader.Has(key)) continue;
    TF_ASSIGN_OR_RETURN(int64_t value, reader.Integer(key));
    if (value < 0) return reader.Error(key, "must be >= 0 (0: no bound)");
    *field = value;
  }
  TF_RETURN_IF_ERROR(reader.Finish());
  return ledger;
}

StatusOr<FleetSpec> ReadSpec(const toml::table& root_table, SourceMap& map) {
  TableReader root(root_table, "", map);
  FleetSpec spec;
  spec.source = map.file();
  TF_ASSIGN_OR_RETURN(spec.currency, root.String("currency"));
  TF_ASSIGN_OR_RETURN(spec.gateway, root.String("gateway", ""));
  auto with_map = [&map](auto read) {
    return [&map, read](const toml::table& t, const std::string& p) { return read(t, p, map); };
  };
  TF_RETURN_IF_ERROR(ReadList(root, "regions", map, spec.regions, with_map(ReadRegion)));
  TF_RETURN_IF_ERROR(
      ReadList(root, "sites", map, spec.sites, [&](const toml::table& t, const std::string& p) {
        return ReadSite(t, p, spec.currency, map);
      }));
  TF_RETURN_IF_ERROR(ReadList(root, "upstreams", map, spec.upstreams, with_map(ReadUpstream)));
  TF_RETURN_IF_ERROR(ReadList(root, "network", map, spec.network, with_map(ReadNetworkLink)));
  TF_RETURN_IF_ERROR(ReadList(root, "models", map, spec.models, with_map(ReadModelSource)));
  if (root.Has("free_models")) {
    TF_ASSIGN_OR_RETURN(spec.free_models, root.StringArray("free_models"));
  }
  TF_ASSIGN_OR_RETURN(const toml::table* ledger, root.OptionalTable("ledger"));
  if (ledger != nullptr) {
    TF_ASSIGN_OR_RETURN(spec.ledger, ReadLedger(*ledger, map));
  }
  TF_RETURN_IF_ERROR(root.Finish());
  return spec;
}

}  // namespace

StatusOr<FleetConfig> ParseFleetConfig(std::string_view toml_text, std::string_view file_name,
                                       FleetLoadOptions options) {
  toml::table root;
  try {
    root = toml::parse(toml_text, file_name);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(fmt::format("{}:{}:{}: TOML syntax error: {}", file_name,
                                                  e.source().begin.line, e.source().begin.column,
                                                  e.description()));
  }
  SourceMap map{std::string(file_name)};
  TF_ASSIGN_OR_RETURN(FleetSpec spec, ReadSpec(root, map));
  internal::ApplyDefaults(spec);
  spec.allow_no_upstreams = options.allow_no_upstreams;
  if (auto error = internal::ValidateFleetSpec(spec)) {
    return map.Error(error->field, error->message);
  }
  return FleetConfig::Create(std::move(spec));
}

StatusOr<FleetConfig> LoadFleetConfig(const std::string& path, FleetLoadOptions options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(fmt::format("{}: read failed: {}", path, std::strerror(errno)));
  }
  return ParseFleetConfig(text.str(), path, options);
}

}  // namespace tokenfab::fleet
