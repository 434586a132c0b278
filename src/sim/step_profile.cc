#include "tokenfab/sim/step_profile.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace tokenfab::sim {
namespace {

constexpr std::string_view kFormat = "tokenfab-step-profile";

StatusOr<double> Field(const boost::json::object& model, std::string_view key) {
  const boost::json::value* v = model.if_contains(key);
  if (v == nullptr || !v->is_number()) {
    return absl::InvalidArgumentError(fmt::format("step profile: model.{} must be a number", key));
  }
  return v->to_number<double>();
}

}  // namespace

std::string StepProfileJson(const engine::CalibrationResult& result, std::string_view source) {
  const engine::PerformanceModel& m = result.model;
  boost::json::array points;
  for (const engine::CalibrationPoint& p : result.points) {
    points.push_back(boost::json::object{{"prefill_tokens", p.prefill_tokens},
                                         {"decode_sequences", p.decode_sequences},
                                         {"kv_tokens", p.kv_tokens},
                                         {"micros", p.micros}});
  }
  const boost::json::object root{
      {"format", kFormat},
      {"version", 1},
      {"source", source},
      {"model", boost::json::object{{"base_us", m.base_us},
                                    {"per_prefill_token_us", m.per_prefill_token_us},
                                    {"per_decode_sequence_us", m.per_decode_sequence_us},
                                    {"per_kv_token_us", m.per_kv_token_us}}},
      {"max_relative_error", result.max_relative_error},
      {"points", std::move(points)}};
  return boost::json::serialize(root) + "\n";
}

Status WriteStepProfile(const std::string& path, const engine::CalibrationResult& result,
                        std::string_view source) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(fmt::format("cannot write step profile {}", path));
  out << StepProfileJson(result, source);
  out.close();
  if (!out) return absl::InternalError(fmt::format("cannot write step profile {}", path));
  return absl::OkStatus();
}

StatusOr<engine::PerformanceModel> ParseStepProfile(std::string_view json) {
  std::error_code ec;
  const boost::json::value root = boost::json::parse(json, ec);
  if (ec || !root.is_object()) {
    return absl::InvalidArgumentError("step profile: not a JSON object");
  }
  const boost::json::object& o = root.get_object();
  const boost::json::value* format = o.if_contains("format");
  if (format == nullptr || !format->is_string() || format->get_string() != kFormat) {
    return absl::InvalidArgumentError(
        fmt::format("step profile: \"format\" must be \"{}\"", kFormat));
  }
  const boost::json::value* model = o.if_contains("model");
  if (model == nullptr || !model->is_object()) {
    return absl::InvalidArgumentError("step profile: \"model\" must be an object");
  }
  engine::PerformanceModel m;
  TF_ASSIGN_OR_RETURN(m.base_us, Field(model->get_object(), "base_us"));
  TF_ASSIGN_OR_RETURN(m.per_prefill_token_us, Field(model->get_object(), "per_prefill_token_us"));
  TF_ASSIGN_OR_RETURN(m.per_decode_sequence_us,
                      Field(model->get_object(), "per_decode_sequence_us"));
  TF_ASSIGN_OR_RETURN(m.per_kv_token_us, Field(model->get_object(), "per_kv_token_us"));
  TF_RETURN_IF_ERROR(m.Validate());
  return m;
}

StatusOr<engine::PerformanceModel> LoadStepProfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot open step profile {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  auto model = ParseStepProfile(text.str());
  if (!model.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, model.status().message()));
  }
  return model;
}

}  // namespace tokenfab::sim
