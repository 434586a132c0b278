// The smallest valid fleet file (27 lines: one region, site, upstream serving model "m" and
// network path), for the fleet layer's tests to parse or extend. Test binaries only.
#pragma once

#include <string_view>

namespace tokenfab::fleet::testing {

inline constexpr std::string_view kMinimalFleetToml = R"(currency = "CNY"
[[regions]]
name = "r1"
[[sites]]
name = "s1"
region = "r1"
[sites.energy]
price = 0.4
pue = 1.2
green_share = 0.5
carbon_g_per_kwh = 300
[[upstreams]]
name = "u1"
url = "http://127.0.0.1:9001"
kind = "tokenfab-node"
models = ["m"]
site = "s1"
[upstreams.hardware]
kind = "gpu"
count = 1
peak_tflops = 100
mem_bandwidth_gbps = 1000
power_idle_w = 50
power_max_w = 300
[[network]]
site = "s1"
rtt_ms = 2
)";

}  // namespace tokenfab::fleet::testing
