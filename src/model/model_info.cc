#include "tokenfab/model/model_info.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include "tokenfab/model/gguf_vocab.h"
#include "tokenfab/model/model_config.h"

namespace tokenfab::model {
namespace {

namespace json = boost::json;

constexpr size_t kMaxShownChars = 72;
constexpr uint64_t kMaxShownElements = 4;

std::string HumanBytes(uint64_t bytes) {
  constexpr std::array<const char*, 4> kUnits = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  for (value /= 1024; value >= 1024 && unit + 1 < kUnits.size(); value /= 1024) ++unit;
  return fmt::format("{:.2f} {}", value, kUnits[unit]);
}

std::string HumanCount(int64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f} B", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f} M", n / 1e6);
  if (n >= 1'000) return fmt::format("{:.2f} K", n / 1e3);
  return fmt::format("{}", n);
}

// A string made safe for one line of a terminal: control bytes escaped, at most `max` bytes.
std::string Escape(std::string_view s, size_t max = kMaxShownChars) {
  size_t cut = std::min(max, s.size());
  // Do not cut a UTF-8 sequence in two.
  while (cut > 0 && cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  std::string out;
  for (char c : s.substr(0, cut)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  if (cut < s.size()) out += "...";
  return out;
}

template <typename T>
std::optional<T> Maybe(StatusOr<T> value) {
  if (!value.ok()) return std::nullopt;
  return *std::move(value);
}

VocabSummary SummarizeVocab(const tokenizer::Vocab& vocab) {
  VocabSummary v;
  v.model = vocab.type == tokenizer::VocabType::kByteLevelBpe ? "gpt2" : "llama";
  v.pre = vocab.pre;
  v.tokens = static_cast<int64_t>(vocab.tokens.size());
  v.merges = static_cast<int64_t>(vocab.merges.size());
  auto text = [&vocab](int32_t id) { return id < 0 ? std::string() : vocab.tokens[id]; };
  v.bos_id = vocab.bos_id;
  v.eos_id = vocab.eos_id;
  v.eot_id = vocab.eot_id;
  v.unk_id = vocab.unk_id;
  v.pad_id = vocab.pad_id;
  v.bos = text(vocab.bos_id);
  v.eos = text(vocab.eos_id);
  v.eot = text(vocab.eot_id);
  v.unk = text(vocab.unk_id);
  v.pad = text(vocab.pad_id);
  v.add_bos = vocab.add_bos;
  v.add_eos = vocab.add_eos;
  v.add_space_prefix = vocab.add_space_prefix;
  v.chat_template = vocab.chat_template;
  return v;
}

void SummarizeTensors(const GgufFile& file, ModelSummary& s) {
  std::map<kernels::GgmlType, TensorTypeCount> by_type;
  for (const GgufTensorInfo& tensor : file.tensors()) {
    TensorTypeCount& count = by_type[tensor.type];
    count.type = tensor.type;
    ++count.tensors;
    count.elements += tensor.num_elements();
    count.bytes += tensor.size_bytes;
    s.parameters += tensor.num_elements();
    s.tensor_bytes += tensor.size_bytes;
  }
  s.tensors = static_cast<int64_t>(file.tensors().size());
  for (const auto& [type, count] : by_type) s.types.push_back(count);
  std::sort(s.types.begin(), s.types.end(),
            [](const TensorTypeCount& a, const TensorTypeCount& b) { return a.bytes > b.bytes; });
  s.tied_embeddings = file.FindTensor("token_embd.weight") != nullptr &&
                      file.FindTensor("output.weight") == nullptr;
}

std::string SpecialLine(const VocabSummary& v) {
  std::vector<std::string> parts;
  auto add = [&parts](std::string_view label, int32_t id, const std::string& text) {
    if (id >= 0) parts.push_back(fmt::format("{} {} '{}'", label, id, Escape(text, 32)));
  };
  add("bos", v.bos_id, v.bos);
  add("eos", v.eos_id, v.eos);
  add("eot", v.eot_id, v.eot);
  add("unk", v.unk_id, v.unk);
  add("pad", v.pad_id, v.pad);
  return parts.empty() ? "none" : fmt::format("{}", fmt::join(parts, ", "));
}

void AppendLine(std::string& out, std::string_view label, std::string_view value) {
  out += fmt::format("{:<14}{}\n", label, value);
}

void FormatShape(const ModelSummary& s, std::string& out) {
  auto num = [](const std::optional<int64_t>& v) { return v ? fmt::format("{}", *v) : "?"; };
  if (s.dim || s.layers || s.heads) {
    const std::string head_dim = num(s.head_dim);
    AppendLine(out, "shape",
               fmt::format("dim {}, {} layers, {} heads ({} kv, head_dim {}), ffn {}, context {}",
                           num(s.dim), num(s.layers), num(s.heads), num(s.kv_heads), head_dim,
                           num(s.ffn), num(s.context)));
  }
  if (s.rope_theta || s.rms_epsilon) {
    auto real = [](const std::optional<double>& v) { return v ? fmt::format("{:g}", *v) : "?"; };
    AppendLine(out, "rope",
               fmt::format("theta {}, rms epsilon {}{}", real(s.rope_theta), real(s.rms_epsilon),
                           s.rope_scaling.empty() ? "" : ", " + s.rope_scaling));
  }
}

void FormatVocab(const ModelSummary& s, std::string& out) {
  if (!s.vocab) {
    AppendLine(out, "vocabulary", s.vocab_error.empty() ? "none" : "error: " + s.vocab_error);
    return;
  }
  const VocabSummary& v = *s.vocab;
  std::string line = fmt::format("{} (pre {}), {} tokens", v.model, v.pre, v.tokens);
  if (v.merges > 0) line += fmt::format(", {} merges", v.merges);
  AppendLine(out, "vocabulary", line);
  AppendLine(out, "special", SpecialLine(v));
  AppendLine(out, "adds",
             fmt::format("bos {}, eos {}, space prefix {}", v.add_bos ? "yes" : "no",
                         v.add_eos ? "yes" : "no", v.add_space_prefix ? "yes" : "no"));
  AppendLine(out, "chat template",
             v.chat_template.empty()
                 ? "none"
                 : fmt::format("{} bytes: {}", v.chat_template.size(), Escape(v.chat_template)));
}

json::value Optional(const std::optional<int64_t>& v) { return v ? json::value(*v) : nullptr; }
json::value Optional(const std::optional<double>& v) { return v ? json::value(*v) : nullptr; }

json::object VocabJson(const VocabSummary& v) {
  json::object o;
  o["model"] = v.model;
  o["pre"] = v.pre;
  o["tokens"] = v.tokens;
  o["merges"] = v.merges;
  auto id = [](int32_t i) { return i < 0 ? json::value(nullptr) : json::value(i); };
  o["bos_token_id"] = id(v.bos_id);
  o["eos_token_id"] = id(v.eos_id);
  o["eot_token_id"] = id(v.eot_id);
  o["unknown_token_id"] = id(v.unk_id);
  o["padding_token_id"] = id(v.pad_id);
  o["add_bos_token"] = v.add_bos;
  o["add_eos_token"] = v.add_eos;
  o["add_space_prefix"] = v.add_space_prefix;
  o["chat_template"] =
      v.chat_template.empty() ? json::value(nullptr) : json::value(v.chat_template);
  return o;
}

// A short rendering of an array: its length and element type, and its first few elements.
std::string ArrayValue(const GgufFile& file, std::string_view key, const GgufArrayInfo& info) {
  std::string out = fmt::format("[{} x {}]", info.count, GgufValueTypeName(info.element_type));
  std::vector<std::string> shown;
  if (info.element_type == GgufValueType::kString) {
    if (auto v = Maybe(file.GetStringArray(key))) {
      for (size_t i = 0; i < std::min<size_t>(v->size(), kMaxShownElements); ++i) {
        shown.push_back(fmt::format("'{}'", Escape((*v)[i], 24)));
      }
    }
  } else if (IsGgufIntegerType(info.element_type)) {
    if (auto v = Maybe(file.GetIntArray(key))) {
      for (size_t i = 0; i < std::min<size_t>(v->size(), kMaxShownElements); ++i) {
        shown.push_back(fmt::format("{}", (*v)[i]));
      }
    }
  } else if (auto v = Maybe(file.GetFloatArray(key))) {
    for (size_t i = 0; i < std::min<size_t>(v->size(), kMaxShownElements); ++i) {
      shown.push_back(fmt::format("{:g}", (*v)[i]));
    }
  }
  if (!shown.empty()) {
    out += fmt::format(" {}{}", fmt::join(shown, ", "), info.count > shown.size() ? ", ..." : "");
  }
  return out;
}

std::string ValueText(const GgufFile& file, std::string_view key, GgufValueType type) {
  if (IsGgufIntegerType(type)) {
    if (auto v = Maybe(file.GetInt(key))) return fmt::format("{}", *v);
    if (auto v = Maybe(file.GetUint(key))) return fmt::format("{}", *v);
  } else if (type == GgufValueType::kFloat32 || type == GgufValueType::kFloat64) {
    if (auto v = Maybe(file.GetFloat(key))) return fmt::format("{:g}", *v);
  } else if (type == GgufValueType::kBool) {
    if (auto v = Maybe(file.GetBool(key))) return *v ? "true" : "false";
  } else if (type == GgufValueType::kString) {
    if (auto v = Maybe(file.GetString(key))) return fmt::format("'{}'", Escape(*v));
  } else if (auto info = Maybe(file.GetArrayInfo(key))) {
    return ArrayValue(file, key, *info);
  }
  return "?";
}

}  // namespace

std::string FileTypeName(uint32_t file_type) {
  static const std::map<uint32_t, std::string_view> kNames = {
      {0, "f32"},     {1, "f16"},     {2, "q4_0"},    {3, "q4_1"},    {7, "q8_0"},
      {8, "q5_0"},    {9, "q5_1"},    {10, "q2_K"},   {11, "q3_K_S"}, {12, "q3_K_M"},
      {13, "q3_K_L"}, {14, "q4_K_S"}, {15, "q4_K_M"}, {16, "q5_K_S"}, {17, "q5_K_M"},
      {18, "q6_K"},   {32, "bf16"}};
  auto it = kNames.find(file_type);
  if (it == kNames.end()) return fmt::format("unknown ({})", file_type);
  return std::string(it->second);
}

std::string WeightTypeLabel(const GgufFile& file) {
  if (auto ft = Maybe(file.GetUint("general.file_type")); ft && *ft <= UINT32_MAX) {
    return FileTypeName(static_cast<uint32_t>(*ft));
  }
  std::map<kernels::GgmlType, uint64_t> bytes;
  for (const GgufTensorInfo& tensor : file.tensors()) {
    if (tensor.name.starts_with("blk.")) bytes[tensor.type] += tensor.size_bytes;
  }
  if (bytes.empty()) return "unknown";
  auto most = std::max_element(bytes.begin(), bytes.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return std::string(kernels::GetGgmlTypeInfo(most->first).name);
}

// Active parameters and KV bytes per token, from the loadable configuration when there is one.
void SummarizeActive(const GgufFile& file, ModelSummary& s) {
  s.active_parameters = s.parameters;
  StatusOr<ModelConfig> config = ModelConfig::FromGguf(file);
  if (!config.ok()) return;
  const ModelConfig& c = *config;
  const RopeScaling& r = c.rope_scaling;
  if (r.type == RopeScaling::Type::kLinear) s.rope_scaling = fmt::format("linear x{:g}", r.factor);
  if (r.type == RopeScaling::Type::kYarn) {
    s.rope_scaling = fmt::format("yarn x{:g} from {} tokens", r.factor, r.original_context);
  }
  s.kv_bytes_per_token = c.n_layer * c.n_head_kv * (c.head_dim + c.kv_value_head_dim()) * 2;
  for (const GgufTensorInfo& tensor : file.tensors()) {
    int64_t block = -1;
    if (std::sscanf(tensor.name.c_str(), "blk.%" SCNd64 ".", &block) == 1 && block >= c.n_layer) {
      s.active_parameters -= tensor.num_elements();  // multi-token prediction, not run
    } else if (c.moe.enabled() && tensor.name.find("_exps.") != std::string::npos) {
      s.active_parameters -=
          tensor.num_elements() / c.moe.n_expert * (c.moe.n_expert - c.moe.n_expert_used);
    }
  }
}

ModelSummary SummarizeModel(const GgufFile& file) {
  ModelSummary s;
  s.version = file.version();
  s.alignment = file.alignment();
  s.file_size = file.file_size();
  s.keys = static_cast<int64_t>(file.Keys().size());
  s.architecture = std::string(Maybe(file.GetString("general.architecture")).value_or(""));
  s.name = std::string(Maybe(file.GetString("general.name")).value_or(""));
  if (auto ft = Maybe(file.GetUint("general.file_type")); ft && *ft <= UINT32_MAX) {
    s.file_type = static_cast<uint32_t>(*ft);
  }
  if (!s.architecture.empty()) {
    auto i = [&](std::string_view k) {
      return Maybe(file.GetInt(s.architecture + "." + std::string(k)));
    };
    auto f = [&](std::string_view k) {
      return Maybe(file.GetFloat(s.architecture + "." + std::string(k)));
    };
    s.dim = i("embedding_length");
    s.layers = i("block_count");
    s.heads = i("attention.head_count");
    s.kv_heads = i("attention.head_count_kv");
    s.ffn = i("feed_forward_length");
    s.context = i("context_length");
    s.rope_dimensions = i("rope.dimension_count");
    s.rope_theta = f("rope.freq_base");
    s.rms_epsilon = f("attention.layer_norm_rms_epsilon");
    s.head_dim = i("attention.key_length_mla");
    if (!s.head_dim) s.head_dim = i("attention.key_length");
    if (!s.head_dim && s.dim && s.heads && *s.heads > 0) s.head_dim = *s.dim / *s.heads;
    s.experts = i("expert_count");
    s.experts_used = i("expert_used_count");
    s.shared_experts = i("expert_shared_count");
  }
  SummarizeTensors(file, s);
  SummarizeActive(file, s);
  if (file.HasKey("tokenizer.ggml.model")) {
    StatusOr<tokenizer::Vocab> vocab = ReadVocab(file);
    if (vocab.ok()) {
      s.vocab = SummarizeVocab(*vocab);
    } else {
      s.vocab_error = std::string(vocab.status().message());
    }
  }
  return s;
}

std::string FormatModelSummary(const ModelSummary& s) {
  std::string out;
  AppendLine(
      out, "format",
      fmt::format("GGUF v{}, {} metadata keys, alignment {}", s.version, s.keys, s.alignment));
  AppendLine(out, "size", fmt::format("{} ({} bytes)", HumanBytes(s.file_size), s.file_size));
  AppendLine(out, "architecture", s.architecture.empty() ? "?" : s.architecture);
  if (!s.name.empty()) AppendLine(out, "name", Escape(s.name));
  if (s.file_type) AppendLine(out, "file type", FileTypeName(*s.file_type));
  FormatShape(s, out);
  AppendLine(out, "embeddings",
             s.tied_embeddings ? "tied (output reuses token_embd)" : "separate output");
  AppendLine(out, "parameters", fmt::format("{} ({})", HumanCount(s.parameters), s.parameters));
  if (s.experts) {
    AppendLine(out, "experts",
               fmt::format("{} routed, {} per token, {} shared", *s.experts,
                           s.experts_used.value_or(0), s.shared_experts.value_or(0)));
  }
  if (s.active_parameters != s.parameters) {
    AppendLine(
        out, "active",
        fmt::format("{} ({}) per token", HumanCount(s.active_parameters), s.active_parameters));
  }
  if (s.kv_bytes_per_token) {
    AppendLine(out, "kv cache",
               fmt::format("{} per token (f16)", HumanBytes(*s.kv_bytes_per_token)));
  }
  AppendLine(out, "tensors", fmt::format("{}, {}", s.tensors, HumanBytes(s.tensor_bytes)));
  for (const TensorTypeCount& t : s.types) {
    AppendLine(out, "",
               fmt::format("{:<8} {:>5} tensors {:>12} params {:>12}",
                           kernels::GetGgmlTypeInfo(t.type).name, t.tensors, HumanCount(t.elements),
                           HumanBytes(t.bytes)));
  }
  FormatVocab(s, out);
  return out;
}

std::string ModelSummaryToJson(const ModelSummary& s) {
  json::object o;
  o["version"] = s.version;
  o["alignment"] = s.alignment;
  o["file_size"] = s.file_size;
  o["metadata_keys"] = s.keys;
  o["architecture"] = s.architecture.empty() ? json::value(nullptr) : json::value(s.architecture);
  o["name"] = s.name.empty() ? json::value(nullptr) : json::value(s.name);
  o["file_type"] = s.file_type ? json::value(FileTypeName(*s.file_type)) : json::value(nullptr);
  json::object shape;
  shape["dim"] = Optional(s.dim);
  shape["layers"] = Optional(s.layers);
  shape["heads"] = Optional(s.heads);
  shape["kv_heads"] = Optional(s.kv_heads);
  shape["ffn"] = Optional(s.ffn);
  shape["context"] = Optional(s.context);
  shape["rope_dimensions"] = Optional(s.rope_dimensions);
  shape["rope_theta"] = Optional(s.rope_theta);
  shape["rms_epsilon"] = Optional(s.rms_epsilon);
  shape["rope_scaling"] =
      s.rope_scaling.empty() ? json::value(nullptr) : json::value(s.rope_scaling);
  shape["tied_embeddings"] = s.tied_embeddings;
  o["shape"] = std::move(shape);
  o["parameters"] = s.parameters;
  o["active_parameters"] = s.active_parameters;
  o["experts"] = Optional(s.experts);
  o["experts_used"] = Optional(s.experts_used);
  o["shared_experts"] = Optional(s.shared_experts);
  o["kv_bytes_per_token"] = Optional(s.kv_bytes_per_token);
  o["tensors"] = s.tensors;
  o["tensor_bytes"] = s.tensor_bytes;
  json::array types;
  for (const TensorTypeCount& t : s.types) {
    types.push_back(json::object{{"type", kernels::GetGgmlTypeInfo(t.type).name},
                                 {"tensors", t.tensors},
                                 {"parameters", t.elements},
                                 {"bytes", t.bytes}});
  }
  o["tensor_types"] = std::move(types);
  o["vocabulary"] = s.vocab ? json::value(VocabJson(*s.vocab)) : json::value(nullptr);
  if (!s.vocab_error.empty()) o["vocabulary_error"] = s.vocab_error;
  return json::serialize(o) + "\n";
}

std::string FormatMetadata(const GgufFile& file) {
  std::string out;
  for (std::string_view key : file.Keys()) {
    const GgufValueType type = file.KeyType(key).value_or(GgufValueType::kUint8);
    std::string type_name(GgufValueTypeName(type));
    out += fmt::format("{:<44} {:<8} {}\n", Escape(key, 44), type_name, ValueText(file, key, type));
  }
  return out;
}

std::string FormatTensors(const GgufFile& file) {
  std::string out;
  for (const GgufTensorInfo& t : file.tensors()) {
    out += fmt::format("{:<32} {:<6} [{}] {}\n", Escape(t.name, 32),
                       kernels::GetGgmlTypeInfo(t.type).name, fmt::join(t.dims, ", "),
                       HumanBytes(t.size_bytes));
  }
  return out;
}

}  // namespace tokenfab::model
