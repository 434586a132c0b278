#include "tokenfab/registry/member_record.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/net/http_url.h"

namespace tokenfab::registry {
namespace {

namespace json = boost::json;

std::string_view DeviceKindName(fleet::DeviceKind kind) {
  switch (kind) {
    case fleet::DeviceKind::kGpu:
      return "gpu";
    case fleet::DeviceKind::kNpu:
      return "npu";
    case fleet::DeviceKind::kCpu:
      return "cpu";
  }
  return "gpu";
}

Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("member record: {}: {}", field, why));
}

// A finite number >= 0 (integers or decimals), or `fallback` when absent.
StatusOr<double> Number(const json::object& o, std::string_view field, double fallback) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr) return fallback;
  if (!v->is_number()) return Bad(field, "not a number");
  const double d = v->to_number<double>();
  if (!std::isfinite(d) || d < 0) return Bad(field, "must be a finite number >= 0");
  return d;
}

StatusOr<std::string> String(const json::object& o, std::string_view field) {
  const json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return Bad(field, "missing or not a string");
  return std::string(v->get_string());
}

StatusOr<fleet::Hardware> ReadHardware(const json::object& o) {
  fleet::Hardware hw;
  if (const json::value* kind = o.if_contains("kind")) {
    if (!kind->is_string()) return Bad("hardware.kind", "not a string");
    auto parsed = fleet::ParseDeviceKind(kind->get_string());
    if (!parsed) return Bad("hardware.kind", "not gpu, npu or cpu");
    hw.kind = *parsed;
  }
  if (const json::value* model = o.if_contains("model"); model && model->is_string()) {
    hw.model = std::string(model->get_string());
  }
  TF_ASSIGN_OR_RETURN(double count, Number(o, "count", 1));
  if (count < 1 || count > 1'000'000 || count != std::floor(count)) {
    return Bad("hardware.count", "must be an integer in [1, 1000000]");
  }
  hw.count = static_cast<int32_t>(count);
  TF_ASSIGN_OR_RETURN(hw.peak_tflops, Number(o, "peak_tflops", 0));
  TF_ASSIGN_OR_RETURN(hw.mem_bandwidth_gbps, Number(o, "mem_bandwidth_gbps", 0));
  TF_ASSIGN_OR_RETURN(hw.power_idle_w, Number(o, "power_idle_w", 0));
  TF_ASSIGN_OR_RETURN(hw.power_max_w, Number(o, "power_max_w", 0));
  return hw;
}

StatusOr<api::LoadStepModel> ReadStepModel(const json::object& o) {
  api::LoadStepModel m;
  for (const api::LoadStepModelField& field : api::kLoadStepModelFields) {
    TF_ASSIGN_OR_RETURN(m.*field.member, Number(o, field.name, 0));
  }
  return m;
}

Status CheckName(std::string_view field, std::string_view name) {
  if (name.empty()) return Bad(field, "empty");
  if (name.find('/') != std::string_view::npos) return Bad(field, "must not hold '/'");
  return absl::OkStatus();
}

StatusOr<std::vector<std::string>> ReadModels(const json::object& o) {
  const json::value* v = o.if_contains("models");
  if (v == nullptr || !v->is_array() || v->get_array().empty()) {
    return Bad("models", "missing or not a non-empty array");
  }
  std::vector<std::string> models;
  for (const json::value& m : v->get_array()) {
    if (!m.is_string() || m.get_string().empty()) return Bad("models", "not a list of names");
    models.emplace_back(m.get_string());
  }
  return models;
}

}  // namespace

std::string MemberKey(std::string_view prefix, std::string_view site, std::string_view name) {
  return fmt::format("{}{}/{}", prefix, site, name);
}

std::string EncodeMember(const MemberRecord& r) {
  json::object o;
  o["name"] = r.name;
  o["site"] = r.site;
  o["url"] = r.url;
  o["kind"] = r.kind;
  json::array models;
  for (const std::string& m : r.models) models.emplace_back(m);
  o["models"] = std::move(models);
  o["weight"] = r.weight;
  o["draining"] = r.draining;
  if (!r.incarnation.empty()) o["incarnation"] = r.incarnation;
  if (r.hardware) {
    const fleet::Hardware& hw = *r.hardware;
    o["hardware"] = json::object{{"kind", DeviceKindName(hw.kind)},
                                 {"model", hw.model},
                                 {"count", hw.count},
                                 {"peak_tflops", hw.peak_tflops},
                                 {"mem_bandwidth_gbps", hw.mem_bandwidth_gbps},
                                 {"power_idle_w", hw.power_idle_w},
                                 {"power_max_w", hw.power_max_w}};
  }
  if (r.step_model) {
    json::object model;
    for (const api::LoadStepModelField& field : api::kLoadStepModelFields) {
      model[field.name] = (*r.step_model).*field.member;
    }
    o["step_model"] = std::move(model);
  }
  return json::serialize(o);
}

StatusOr<MemberRecord> DecodeMember(std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return Bad("value", "not a JSON object");
  const json::object& o = parsed.get_object();
  MemberRecord r;
  TF_ASSIGN_OR_RETURN(r.name, String(o, "name"));
  TF_RETURN_IF_ERROR(CheckName("name", r.name));
  TF_ASSIGN_OR_RETURN(r.site, String(o, "site"));
  TF_RETURN_IF_ERROR(CheckName("site", r.site));
  TF_ASSIGN_OR_RETURN(r.url, String(o, "url"));
  if (StatusOr<net::HttpUrl> url = net::ParseHttpUrl(r.url); !url.ok()) {
    return Bad("url", std::string(url.status().message()));
  }
  if (const json::value* kind = o.if_contains("kind")) {
    if (!kind->is_string() || !fleet::ParseUpstreamKind(kind->get_string())) {
      return Bad("kind", fmt::format("not one of {}", fleet::UpstreamKindNames()));
    }
    r.kind = std::string(kind->get_string());
  }
  TF_ASSIGN_OR_RETURN(r.models, ReadModels(o));
  TF_ASSIGN_OR_RETURN(r.weight, Number(o, "weight", 1.0));
  if (!(r.weight > 0)) return Bad("weight", "must be > 0");
  if (const json::value* d = o.if_contains("draining"); d && d->is_bool())
    r.draining = d->get_bool();
  if (const json::value* i = o.if_contains("incarnation"); i && i->is_string())
    r.incarnation = std::string(i->get_string());
  if (const json::value* hw = o.if_contains("hardware"); hw && hw->is_object()) {
    TF_ASSIGN_OR_RETURN(r.hardware, ReadHardware(hw->get_object()));
  }
  if (const json::value* m = o.if_contains("step_model"); m && m->is_object()) {
    TF_ASSIGN_OR_RETURN(r.step_model, ReadStepModel(m->get_object()));
  }
  return r;
}

Status CheckHardware(const fleet::Hardware& hw) {
  if (!(hw.peak_tflops > 0)) return Bad("hardware.peak_tflops", "must be > 0");
  if (!(hw.mem_bandwidth_gbps > 0)) return Bad("hardware.mem_bandwidth_gbps", "must be > 0");
  if (!(hw.power_max_w > 0)) return Bad("hardware.power_max_w", "must be > 0");
  if (hw.power_max_w < hw.power_idle_w) {
    return Bad("hardware.power_max_w", "must be >= power_idle_w");
  }
  return absl::OkStatus();
}

StatusOr<fleet::Hardware> ParseHardwareSpec(std::string_view text) {
  json::object o;
  std::vector<std::string_view> parts;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  for (std::string_view part : parts) {
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format("--hardware: \"{}\" is not key=value", part));
    }
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    if (key == "kind" || key == "model") {
      o[key] = value;
      continue;
    }
    if (key != "count" && key != "peak_tflops" && key != "mem_bandwidth_gbps" &&
        key != "power_idle_w" && key != "power_max_w") {
      return absl::InvalidArgumentError(fmt::format("--hardware: unknown key \"{}\"", key));
    }
    double number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return absl::InvalidArgumentError(
          fmt::format("--hardware: {}: \"{}\" is not a number", key, value));
    }
    o[key] = number;
  }
  StatusOr<fleet::Hardware> hw = ReadHardware(o);
  if (hw.ok()) {
    if (Status s = CheckHardware(*hw); !s.ok()) hw = s;
  }
  if (!hw.ok())
    return absl::InvalidArgumentError(fmt::format("--hardware: {}", hw.status().message()));
  return hw;
}

}  // namespace tokenfab::registry
