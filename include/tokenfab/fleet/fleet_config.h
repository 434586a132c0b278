// FleetConfig: the fleet a gateway routes over, as a validated, indexed, immutable description:
// regions (what tenants name for data residency), sites (where machines are, their energy and the
// network path from this gateway), and upstreams (the servers requests go to).
//
// A FleetSpec is the plain data as written (by the TOML loader, a test or the simulator);
// FleetConfig::Create validates it, resolves names to indices and derives per-upstream energy
// figures. A FleetConfig is never changed after Create: share it as shared_ptr<const FleetConfig>
// and replace it whole on reload (see fleet_config_diff.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/base/status.h"
#include "tokenfab/fleet/energy.h"
#include "tokenfab/fleet/hardware.h"
#include "tokenfab/net/http_url.h"

namespace tokenfab::fleet {

// What speaks at an upstream's URL. All of them speak the OpenAI API; the kind says which extra
// endpoints (load, cached prefixes) the gateway may poll.
enum class UpstreamKind {
  kTokenfabNode,     // "tokenfab-node"
  kTokenfabGateway,  // "tokenfab-gateway": another gateway (hierarchy)
  kVllm,             // "vllm"
  kSglang,           // "sglang"
  kLlamaCpp,         // "llama.cpp": llama.cpp's llama-server
  kOpenAi,           // "openai": any other OpenAI-compatible server
};

std::string_view UpstreamKindName(UpstreamKind kind);
std::optional<UpstreamKind> ParseUpstreamKind(std::string_view name);
// "tokenfab-node, tokenfab-gateway, ..." for error messages.
std::string UpstreamKindNames();

// A region: a jurisdiction tenants can pin their data to. Plain data.
struct Region {
  std::string name;       // identifier sites refer to, e.g. "cn-west"
  std::string residency;  // tenant-facing name for data residency, e.g. "cn"; defaults to name
  std::string description;

  bool operator==(const Region&) const = default;
};

// The network path from this gateway to a site. Plain data.
struct NetworkPath {
  bool configured = false;  // false: nothing known; the figures are zero
  double rtt_ms = 0;        // round-trip time, ms
  double jitter_ms = 0;     // RTT deviation, ms
  double loss = 0;          // packet loss probability, [0, 1]

  bool operator==(const NetworkPath&) const = default;
};

// A site: a data centre (or room) in a region. Plain data.
struct Site {
  std::string name;
  std::string region;              // Region::name
  int32_t utc_offset_minutes = 0;  // local time zone, minutes east of UTC (prices are local)
  SiteEnergy energy;

  // Derived by FleetConfig::Create.
  uint32_t region_index = 0;
  NetworkPath network;  // from this gateway, copied from FleetSpec::network

  bool operator==(const Site&) const = default;
};

// One upstream server. Plain data.
struct Upstream {
  std::string name;
  net::HttpUrl url;
  UpstreamKind kind = UpstreamKind::kTokenfabNode;
  std::vector<std::string> models;  // model names served; "*" serves any model
  std::string site;                 // Site::name
  double weight = 1.0;              // relative capacity: load is divided by it, > 0
  Hardware hardware;
  // Full-load throughput as configured; zero fields are unknown.
  Throughput throughput;
  // Optional `profile = "path"`: a measured step-time profile (`tokenfab bench engine --profile`)
  // the fleet twin uses for this upstream instead of its roofline; a relative path is resolved
  // against the fleet file's directory by the loader. Production ignores it.
  std::string profile;
  // The key the upstream requires (`Authorization: Bearer`), for vLLM with --api-key or a hosted
  // OpenAI-compatible provider. The fleet file names where it is, never the key itself:
  // `api_key_env = "VAR"` (an environment variable of the gateway) or `api_key_file = "PATH"`
  // (relative to the fleet file); the loader reads it into `api_key`. "" for none.
  std::string api_key_env;
  std::string api_key_file;
  std::string api_key;
  // Registered nodes only (registry::MemberRecord::incarnation): new each time the node process
  // registers. Part of the gateway's identity of the upstream, so a node that comes back after a
  // crash starts with fresh live state (its circuit closed) instead of waiting out an open one.
  std::string incarnation;
  // Whether the ledger takes the cached prompt tokens the upstream reports (billed at the
  // cheaper cached price) on its word. `trust_cached_tokens` in the fleet file; by default true
  // for tokenfab nodes and gateways (and registered members), false for other kinds.
  bool trust_cached_tokens = true;

  // Derived by FleetConfig::Create.
  uint32_t site_index = 0;
  uint64_t key = 0;  // stable 64-bit id from the name (survives reloads)
  // `throughput` with unknown fields estimated from `hardware` (a roofline for
  // fleet::ReferenceModel): configure measured figures where they are known.
  Throughput nominal;
  double prefill_wh_per_token = 0;  // IT energy (before PUE) per token at full load, Wh
  double decode_wh_per_token = 0;   // IT energy (before PUE) per token at full load, Wh

  bool ServesModel(std::string_view model) const;

  bool operator==(const Upstream&) const = default;
};

// A model the fleet serves and where its vocabulary comes from: the gateway counts tokens with it
// when an upstream does not report usage, and `tokenfab serve` loads the GGUF file into its
// in-process nodes. Exactly one of `vocab` and `gguf` is set. Plain data.
struct ModelSource {
  std::string name;   // the model name upstreams list and requests ask for
  std::string vocab;  // a built-in vocabulary name (llama3, llama2, qwen3, gpt2)
  std::string gguf;   // a GGUF file (the loader makes a relative path relative to the fleet file)
  // Parameters, billions (0: unknown): the roofline of the upstreams serving the model (their
  // nominal throughput and energy per token where the fleet file gives no measured figures)
  // uses them instead of fleet::ReferenceModel's 8 B. A mixture of experts computes with
  // active_params_b per token (0: all).
  double params_b = 0;
  double active_params_b = 0;
  // Bytes a stored weight takes on average (0: fleet::ReferenceModel's 2, 16-bit weights); a
  // quantised model reads fewer per decode step.
  double bytes_per_weight = 0;

  bool operator==(const ModelSource&) const = default;
};

// The configured network path from this gateway to one site. Plain data.
struct NetworkLink {
  std::string site;  // Site::name
  NetworkPath path;

  bool operator==(const NetworkLink&) const = default;
};

// The fleet file's `[ledger]` table: the gateway's ledger settings. Unset: the gateway's flag or
// default. Plain data.
struct LedgerSettings {
  // The usage spool's bound: pending events and bytes at most (0: no bound). A gateway flag
  // (--usage-spool-max-events/-bytes) overrides each; a reload applies a new one.
  std::optional<int64_t> usage_spool_max_events;
  std::optional<int64_t> usage_spool_max_bytes;

  bool operator==(const LedgerSettings&) const = default;
};

// The plain description FleetConfig::Create takes.
struct FleetSpec {
  std::string source;    // where it came from, for messages (a file name)
  std::string currency;  // ISO 4217 code every cost is compared in, e.g. "CNY"
  std::string gateway;   // name of the gateway the network paths are measured from (optional)
  std::vector<Region> regions;
  std::vector<Site> sites;
  std::vector<Upstream> upstreams;
  std::vector<NetworkLink> network;  // at most one per site; a site without one is unknown
  std::vector<ModelSource> models;   // optional; a model without an entry has no vocabulary
  // Models served at no charge (`free_models = ["..."]`). Every other model an upstream lists
  // must have a price in the ledger's price book: a gateway refuses to start (or to reload)
  // with a served model that is neither priced nor listed here.
  std::vector<std::string> free_models;
  LedgerSettings ledger;  // `[ledger]`
  // Set by a gateway that also routes to the nodes of a membership registry (`--registry`):
  // its upstreams join as they register, so a fleet with no static upstream is valid.
  bool allow_no_upstreams = false;
};

// A validated fleet description. Immutable after Create; thread-safe to read.
class FleetConfig {
 public:
  // Validates `spec` and builds the indices. Errors are InvalidArgument and name the field:
  // "upstreams[1].site: unknown site \"hub\"".
  [[nodiscard]] static StatusOr<FleetConfig> Create(FleetSpec spec);

  const std::string& source() const { return spec_.source; }
  const std::string& currency() const { return spec_.currency; }
  const std::string& gateway() const { return spec_.gateway; }
  const LedgerSettings& ledger() const { return spec_.ledger; }
  std::span<const Region> regions() const { return spec_.regions; }
  std::span<const Site> sites() const { return spec_.sites; }
  std::span<const Upstream> upstreams() const { return spec_.upstreams; }
  std::span<const ModelSource> models() const { return spec_.models; }
  const FleetSpec& spec() const { return spec_; }

  const Site& SiteOf(const Upstream& upstream) const { return spec_.sites[upstream.site_index]; }
  const Region& RegionOf(const Site& site) const { return spec_.regions[site.region_index]; }

  std::optional<uint32_t> FindRegion(std::string_view name) const;
  std::optional<uint32_t> FindSite(std::string_view name) const;
  std::optional<uint32_t> FindUpstream(std::string_view name) const;
  // The [[models]] entry named `name`, or null.
  const ModelSource* FindModel(std::string_view name) const;
  // True when `model` is listed in free_models.
  bool IsFree(std::string_view model) const;

  // Indices (ascending) of the upstreams serving `model`, "*" upstreams included.
  std::span<const uint32_t> UpstreamsServing(std::string_view model) const;

  // Indices of the regions a tenant-facing name stands for: every region whose residency is
  // `name`, or the region called `name`. Empty when nothing matches.
  std::vector<uint32_t> RegionsForResidency(std::string_view name) const;

 private:
  explicit FleetConfig(FleetSpec spec) : spec_(std::move(spec)) {}
  void BuildIndices();
  ReferenceModel RooflineModel(const Upstream& up) const;

  FleetSpec spec_;
  absl::flat_hash_map<std::string, uint32_t> region_by_name_;
  absl::flat_hash_map<std::string, uint32_t> site_by_name_;
  absl::flat_hash_map<std::string, uint32_t> upstream_by_name_;
  // Model name -> serving upstreams, each list merged with the "*" upstreams.
  absl::flat_hash_map<std::string, std::vector<uint32_t>> upstreams_by_model_;
  std::vector<uint32_t> wildcard_upstreams_;
};

}  // namespace tokenfab::fleet
