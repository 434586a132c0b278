// Fleet files for the gateway's tests: N upstreams, one per region and site, on given URLs, with
// prices that rise with the index (site i costs (i + 1) * 0.1 per kWh), configured RTTs, and
// residency names "res0", "res1", ... Regions are "r0", "r1", ...; sites "s0", ...; upstreams
// "u0", ... unless named. Pure.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>

namespace tokenfab::gateway::testing {

struct TestUpstream {
  std::string url;
  std::string kind = "tokenfab-node";
  std::string models = "\"m\"";  // TOML array contents
  double rtt_ms = 1;
  std::string name = "";    // "" for "u<index>"
  std::string fields = "";  // more TOML lines of the upstream's table (e.g. api_key_env)
};

inline std::string TestFleetToml(const std::vector<TestUpstream>& upstreams,
                                 const std::string& extra = "") {
  std::string toml = "currency = \"CNY\"\ngateway = \"gw-test\"\n";
  for (size_t i = 0; i < upstreams.size(); ++i) {
    toml += fmt::format("[[regions]]\nname = \"r{0}\"\nresidency = \"res{0}\"\n", i);
  }
  for (size_t i = 0; i < upstreams.size(); ++i) {
    toml += fmt::format(
        "[[sites]]\nname = \"s{0}\"\nregion = \"r{0}\"\n[sites.energy]\nprice = {1}\npue = 1.2\n"
        "green_share = 0.5\ncarbon_g_per_kwh = 300\n",
        i, 0.1 * static_cast<double>(i + 1));
  }
  for (size_t i = 0; i < upstreams.size(); ++i) {
    toml += fmt::format(
        "[[upstreams]]\nname = \"{4}\"\nurl = \"{1}\"\nkind = \"{2}\"\nmodels = [{3}]\n"
        "site = \"s{0}\"\n{5}[upstreams.hardware]\nkind = \"gpu\"\ncount = 1\npeak_tflops = 100\n"
        "mem_bandwidth_gbps = 1000\npower_idle_w = 50\npower_max_w = 300\n",
        i, upstreams[i].url, upstreams[i].kind, upstreams[i].models,
        upstreams[i].name.empty() ? fmt::format("u{}", i) : upstreams[i].name, upstreams[i].fields);
  }
  for (size_t i = 0; i < upstreams.size(); ++i) {
    toml += fmt::format("[[network]]\nsite = \"s{}\"\nrtt_ms = {}\n", i, upstreams[i].rtt_ms);
  }
  return toml + extra;
}

}  // namespace tokenfab::gateway::testing
