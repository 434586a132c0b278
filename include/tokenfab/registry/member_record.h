// MemberRecord: what a node publishes about itself in the membership registry, and its wire form
// (the JSON value stored under MemberKey). The registry holds one record per live node; the
// record lives as long as the node's lease (see node_registration.h).
//
//   key    <prefix><site>/<name>            e.g. /tokenfab/nodes/hub-west/node-17
//   value  {"name":"node-17","site":"hub-west","url":"http://10.0.0.17:8080",
//           "kind":"tokenfab-node","models":["llama3-8b"],"weight":1,"draining":false,
//           "incarnation":"5f0c3e9a1b2d4c67",
//           "hardware":{"kind":"gpu","model":"H800","count":8,"peak_tflops":989,
//                       "mem_bandwidth_gbps":3350,"power_idle_w":100,"power_max_w":700},
//           "step_model":{"base_us":3000,"prefill_token_us":90,"decode_sequence_us":400,
//                         "kv_token_us":0.02}}
//
// Plain data and pure functions; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/api/load_report.h"
#include "tokenfab/base/status.h"
#include "tokenfab/fleet/hardware.h"

namespace tokenfab::registry {

// Where node records live unless told otherwise; always ends with '/'.
inline constexpr std::string_view kDefaultPrefix = "/tokenfab/nodes/";

struct MemberRecord {
  std::string name;                    // unique in the fleet; no '/'
  std::string site;                    // a site of the gateways' fleet files; no '/'
  std::string url;                     // where the node listens, "http://host:port"
  std::string kind = "tokenfab-node";  // a fleet::UpstreamKind name
  std::vector<std::string> models;     // served model names, at least one
  double weight = 1.0;                 // relative capacity, > 0
  std::optional<fleet::Hardware> hardware;
  std::optional<api::LoadStepModel> step_model;  // the node's step-time model, when it has one
  bool draining = false;  // withdrawn from routing: gateways send it nothing new
  // New each time the node process registers (StartRegistration): a node that comes back after
  // a crash is a changed record, and gateways start its live state (circuit, health) afresh.
  std::string incarnation;

  bool operator==(const MemberRecord&) const = default;
};

// "<prefix><site>/<name>". REQUIRES: prefix ends with '/'.
std::string MemberKey(std::string_view prefix, std::string_view site, std::string_view name);

// The JSON value. Optional parts absent when unset.
std::string EncodeMember(const MemberRecord& record);

// Parses and validates a value (what a registry returns is input from the network): InvalidArgument
// naming the field when a required one is missing or bad (name, site, url, models), a name or site
// holds '/', the kind is unknown or the weight is not > 0.
[[nodiscard]] StatusOr<MemberRecord> DecodeMember(std::string_view json);

// What a fleet file demands of an upstream's hardware: peak_tflops, mem_bandwidth_gbps and
// power_max_w > 0, power_max_w >= power_idle_w. InvalidArgument naming the field.
[[nodiscard]] Status CheckHardware(const fleet::Hardware& hardware);

// Parses the node's --hardware flag: "kind=gpu,model=H800,count=8,peak_tflops=989,
// mem_bandwidth_gbps=3350,power_idle_w=100,power_max_w=700" (any subset; kind defaults to gpu,
// count to 1). InvalidArgument on an unknown key, a bad number, or what CheckHardware refuses.
[[nodiscard]] StatusOr<fleet::Hardware> ParseHardwareSpec(std::string_view text);

}  // namespace tokenfab::registry
