#include "tokenfab/model/shape_info.h"

#include <fmt/format.h>
#include <boost/json.hpp>

#include "tokenfab/kernels/ggml_type.h"
#include "tokenfab/model/model_creator.h"

namespace tokenfab::model {
namespace {

namespace json = boost::json;

int64_t Elements(const PlannedTensor& t) {
  int64_t n = 1;
  for (int64_t d : t.dims) n *= d;
  return n;
}

uint64_t DataBytes(const std::vector<PlannedTensor>& tensors) {
  uint64_t bytes = 0;
  for (const PlannedTensor& t : tensors) {
    const int64_t rows = Elements(t) / t.dims[0];
    bytes += static_cast<uint64_t>(kernels::GgmlRowBytes(t.type, t.dims[0]) * rows);
  }
  return bytes;
}

int64_t KvBytesPerToken(const ModelShape& s) {
  const int64_t f16 = 2;
  if (s.mla.kv_lora_rank > 0) return s.layers * (s.mla.kv_lora_rank + s.mla.qk_rope) * f16;
  return s.layers * s.kv_heads * s.head_dim() * 2 * f16;  // keys and values
}

std::string Billions(int64_t n) {
  if (n >= 1'000'000'000'000) return fmt::format("{:.3f} T", n / 1e12);
  if (n >= 1'000'000'000) return fmt::format("{:.2f} B", n / 1e9);
  return fmt::format("{:.2f} M", n / 1e6);
}

std::string GiB(uint64_t bytes) { return fmt::format("{:.2f} GiB", bytes / 1073741824.0); }

}  // namespace

StatusOr<ShapeSummary> SummarizeShape(const NamedShape& named, int64_t vocab_size) {
  ShapeSummary s;
  s.named = named;
  s.vocab_size = vocab_size;
  ModelSpec spec;
  spec.arch = named.arch;
  spec.shape = named.shape;
  spec.weights = WeightScheme::kF16;
  TF_RETURN_IF_ERROR(spec.Validate());
  const MoeShape& moe = named.shape.moe;
  for (const PlannedTensor& t : PlanModelTensors(spec, vocab_size)) {
    const int64_t n = Elements(t);
    s.parameters += n;
    s.active_parameters += n;
    if (moe.experts > 0 && t.name.find("_exps.") != std::string::npos) {
      s.active_parameters -= n / moe.experts * (moe.experts - moe.experts_used);
    }
  }
  s.kv_bytes_per_token = KvBytesPerToken(named.shape);
  for (std::string_view name : AvailableWeightSchemeNames()) {
    TF_ASSIGN_OR_RETURN(spec.weights, ParseWeightScheme(name));
    s.file_sizes.push_back({spec.weights, DataBytes(PlanModelTensors(spec, vocab_size))});
  }
  return s;
}

std::string FormatShapeSummary(const ShapeSummary& s) {
  const ModelShape& m = s.named.shape;
  std::string out;
  auto line = [&out](std::string_view label, const std::string& value) {
    out += fmt::format("{:<14}{}\n", label, value);
  };
  line("shape", fmt::format("{} ({})", s.named.name, s.named.description));
  line("architecture", std::string(ArchitectureName(s.named.arch)));
  line("dimensions",
       fmt::format("dim {}, {} layers, {} heads ({} kv, head_dim {}), ffn {}, context {}", m.dim,
                   m.layers, m.heads, m.kv_heads, m.head_dim(), m.ffn, m.context));
  if (m.yarn.factor > 0) {
    line("rope", fmt::format("theta {:g}, yarn x{:g} from {} tokens", m.rope_theta, m.yarn.factor,
                             m.yarn.original_context));
  } else {
    line("rope", fmt::format("theta {:g}", m.rope_theta));
  }
  line("vocabulary", fmt::format("{} tokens", s.vocab_size));
  line("parameters", fmt::format("{} ({})", Billions(s.parameters), s.parameters));
  if (m.moe.experts > 0) {
    line("experts",
         fmt::format("{} routed, {} per token, {} shared, {} leading dense blocks", m.moe.experts,
                     m.moe.experts_used, m.moe.shared_experts, m.moe.dense_layers));
    line("active",
         fmt::format("{} ({}) per token", Billions(s.active_parameters), s.active_parameters));
  }
  line("kv cache", fmt::format("{} bytes per token (f16{})", s.kv_bytes_per_token,
                               m.mla.kv_lora_rank > 0 ? ", latent" : ""));
  for (const ShapeFileSize& f : s.file_sizes) {
    line(f.scheme == s.file_sizes.front().scheme ? "file size" : "",
         fmt::format("{:<8} {}", WeightSchemeName(f.scheme), GiB(f.bytes)));
  }
  return out;
}

std::string ShapeSummaryToJson(const ShapeSummary& s) {
  const ModelShape& m = s.named.shape;
  json::object o;
  o["shape"] = s.named.name;
  o["architecture"] = ArchitectureName(s.named.arch);
  o["vocab_size"] = s.vocab_size;
  o["parameters"] = s.parameters;
  o["active_parameters"] = s.active_parameters;
  o["experts"] = m.moe.experts;
  o["experts_used"] = m.moe.experts_used;
  o["shared_experts"] = m.moe.shared_experts;
  o["kv_bytes_per_token"] = s.kv_bytes_per_token;
  json::object sizes;
  for (const ShapeFileSize& f : s.file_sizes) sizes[WeightSchemeName(f.scheme)] = f.bytes;
  o["file_bytes"] = std::move(sizes);
  return json::serialize(o) + "\n";
}

}  // namespace tokenfab::model
