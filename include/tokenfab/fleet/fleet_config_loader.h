// Reading a fleet file (TOML). The format, field by field, is documented in examples/README.md
// with examples/fleet-three-regions.toml as the worked example.
//
// Every mistake is an InvalidArgument error naming the file, the line and the field:
//   fleet.toml:12: upstreams[1].url: "127.0.0.1:8101" is not an http URL: ...
//   fleet.toml:30: upstreams[2].site: unknown site "hub"
//   fleet.toml:4:18: TOML syntax error: ...
// Unknown fields are errors too, so a misspelt key never passes silently.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"

namespace tokenfab::fleet {

struct FleetLoadOptions {
  // FleetSpec::allow_no_upstreams: a gateway with --registry may start with no static upstream.
  bool allow_no_upstreams = false;
};

// Parses the text of a fleet file; `file_name` is what error messages call it.
[[nodiscard]] StatusOr<FleetConfig> ParseFleetConfig(std::string_view toml_text,
                                                     std::string_view file_name,
                                                     FleetLoadOptions options = {});

// Reads and parses the file at `path` (NotFound when it cannot be read).
[[nodiscard]] StatusOr<FleetConfig> LoadFleetConfig(const std::string& path,
                                                    FleetLoadOptions options = {});

}  // namespace tokenfab::fleet
