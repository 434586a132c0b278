#include "tokenfab/model/gguf_vocab.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "tokenfab/base/logging.h"

namespace tokenfab::model {
namespace {

using tokenizer::TokenType;
using tokenizer::Vocab;
using tokenizer::VocabType;

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kPreKey = "tokenizer.ggml.pre";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kTokenTypeKey = "tokenizer.ggml.token_type";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";
constexpr std::string_view kAddBosKey = "tokenizer.ggml.add_bos_token";
constexpr std::string_view kAddEosKey = "tokenizer.ggml.add_eos_token";
constexpr std::string_view kAddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";
constexpr std::string_view kChatTemplateKey = "tokenizer.chat_template";

// The special-token id keys and the Vocab field each fills.
struct SpecialId {
  std::string_view key;
  int32_t Vocab::*field;
};
constexpr std::array<SpecialId, 5> kSpecialIds = {{
    {"tokenizer.ggml.bos_token_id", &Vocab::bos_id},
    {"tokenizer.ggml.eos_token_id", &Vocab::eos_id},
    {"tokenizer.ggml.eot_token_id", &Vocab::eot_id},
    {"tokenizer.ggml.unknown_token_id", &Vocab::unk_id},
    {"tokenizer.ggml.padding_token_id", &Vocab::pad_id},
}};

// Byte-level BPE pre-tokenizers for which llama.cpp adds a BOS token by default.
constexpr std::array<std::string_view, 11> kAddBosPreTokenizers = {
    "llama3",   "llama-v3", "llama-bpe",    "falcon3", "falcon-h1", "pixtral",
    "midm-2.0", "lfm2",     "jina-v5-nano", "tekken",  "chameleon"};

// Token texts llama.cpp takes for end-of-turn when the file names none, in the order tried.
constexpr std::array<std::string_view, 11> kEotTexts = {
    "<|eot_id|>",        "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>",   "<EOT>",      "_<EOT>",  "[EOT]",         "<｜end▁of▁sentence｜>",
    "<end_of_utterance>"};

// A getter's value, nullopt for a missing key, or its other error.
template <typename T>
StatusOr<std::optional<T>> Optional(StatusOr<T> value) {
  if (value.ok()) return std::optional<T>(std::move(*value));
  if (absl::IsNotFound(value.status())) return std::optional<T>();
  return value.status();
}

std::vector<std::string> ToStrings(const std::vector<std::string_view>& views) {
  return std::vector<std::string>(views.begin(), views.end());
}

// The defaults llama.cpp starts from for each tokenizer model.
void ApplyDefaults(Vocab& vocab) {
  const int32_t n = static_cast<int32_t>(vocab.tokens.size());
  if (vocab.type == VocabType::kSentencePieceBpe) {
    vocab.bos_id = 1;
    vocab.eos_id = 2;
    vocab.unk_id = 0;
    vocab.add_bos = true;
    vocab.add_space_prefix = true;
  } else {
    vocab.bos_id = 11;
    vocab.eos_id = 11;
    vocab.add_bos = std::find(kAddBosPreTokenizers.begin(), kAddBosPreTokenizers.end(),
                              vocab.pre) != kAddBosPreTokenizers.end();
    vocab.add_space_prefix = false;
  }
  for (const SpecialId& special : kSpecialIds) {
    if (vocab.*special.field >= n) vocab.*special.field = -1;
  }
}

Status ReadSpecialIds(const GgufFile& file, Vocab& vocab) {
  const int64_t n = static_cast<int64_t>(vocab.tokens.size());
  for (const SpecialId& special : kSpecialIds) {
    TF_ASSIGN_OR_RETURN(std::optional<int64_t> id, Optional(file.GetInt(special.key)));
    if (!id.has_value()) continue;
    if (*id < 0 || *id >= n) {
      TF_LOG_WARN("{} = {} is outside the {} tokens; using {}", special.key, *id, n,
                  vocab.*special.field);
      continue;
    }
    vocab.*special.field = static_cast<int32_t>(*id);
  }
  if (vocab.eot_id == -1) {
    for (std::string_view text : kEotTexts) {
      auto it = std::find(vocab.tokens.begin(), vocab.tokens.end(), text);
      if (it != vocab.tokens.end()) {
        vocab.eot_id = static_cast<int32_t>(it - vocab.tokens.begin());
        break;
      }
    }
  }
  return absl::OkStatus();
}

Status ReadFlags(const GgufFile& file, Vocab& vocab) {
  TF_ASSIGN_OR_RETURN(std::optional<bool> add_bos, Optional(file.GetBool(kAddBosKey)));
  TF_ASSIGN_OR_RETURN(std::optional<bool> add_eos, Optional(file.GetBool(kAddEosKey)));
  TF_ASSIGN_OR_RETURN(std::optional<bool> add_space_prefix,
                      Optional(file.GetBool(kAddSpacePrefixKey)));
  vocab.add_bos = add_bos.value_or(vocab.add_bos);
  vocab.add_eos = add_eos.value_or(vocab.add_eos);
  vocab.add_space_prefix = add_space_prefix.value_or(vocab.add_space_prefix);
  return absl::OkStatus();
}

StatusOr<std::vector<TokenType>> ReadTokenTypes(const GgufFile& file) {
  TF_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> raw,
                      Optional(file.GetIntArray(kTokenTypeKey)));
  std::vector<TokenType> types;
  if (!raw.has_value()) return types;
  types.reserve(raw->size());
  for (size_t i = 0; i < raw->size(); ++i) {
    const int64_t t = (*raw)[i];
    if (t < static_cast<int64_t>(TokenType::kUndefined) ||
        t > static_cast<int64_t>(TokenType::kByte)) {
      return absl::InvalidArgumentError(
          fmt::format("{}: token {} has unknown token type {}", kTokenTypeKey, i, t));
    }
    types.push_back(static_cast<TokenType>(t));
  }
  return types;
}

// tokenizer.ggml.model, .pre, .tokens, .scores, .token_type and .merges.
Status ReadTokens(const GgufFile& file, Vocab& vocab) {
  TF_ASSIGN_OR_RETURN(std::string_view model, file.GetString(kModelKey));
  if (model == "llama") {
    vocab.type = VocabType::kSentencePieceBpe;
  } else if (model == "gpt2") {
    vocab.type = VocabType::kByteLevelBpe;
  } else {
    return absl::UnimplementedError(
        fmt::format("{} \"{}\" is not supported (only \"gpt2\" and \"llama\")", kModelKey, model));
  }
  TF_ASSIGN_OR_RETURN(std::optional<std::string_view> pre, Optional(file.GetString(kPreKey)));
  vocab.pre = std::string(pre.value_or("default"));
  TF_ASSIGN_OR_RETURN(std::vector<std::string_view> tokens, file.GetStringArray(kTokensKey));
  vocab.tokens = ToStrings(tokens);
  TF_ASSIGN_OR_RETURN(std::optional<std::vector<float>> scores,
                      Optional(file.GetFloatArray(kScoresKey)));
  if (scores.has_value()) vocab.scores = std::move(*scores);
  TF_ASSIGN_OR_RETURN(vocab.token_types, ReadTokenTypes(file));
  if (vocab.type == VocabType::kByteLevelBpe) {
    StatusOr<std::vector<std::string_view>> merges = file.GetStringArray(kMergesKey);
    if (!merges.ok()) {
      return Status(merges.status().code(), fmt::format("{} (a gpt2 vocabulary needs its merges)",
                                                        merges.status().message()));
    }
    vocab.merges = ToStrings(*merges);
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<Vocab> ReadVocab(const GgufFile& file) {
  Vocab vocab;
  TF_RETURN_IF_ERROR(ReadTokens(file, vocab));
  ApplyDefaults(vocab);
  TF_RETURN_IF_ERROR(ReadSpecialIds(file, vocab));
  TF_RETURN_IF_ERROR(ReadFlags(file, vocab));
  TF_ASSIGN_OR_RETURN(std::optional<std::string_view> chat_template,
                      Optional(file.GetString(kChatTemplateKey)));
  vocab.chat_template = std::string(chat_template.value_or(""));
  TF_RETURN_IF_ERROR(vocab.Validate());
  return vocab;
}

Status WriteVocab(const Vocab& vocab, GgufWriter& writer) {
  TF_RETURN_IF_ERROR(vocab.Validate());
  writer.Set(kModelKey,
             GgufValue::String(vocab.type == VocabType::kByteLevelBpe ? "gpt2" : "llama"));
  if (!vocab.pre.empty()) writer.Set(kPreKey, GgufValue::String(vocab.pre));
  writer.Set(kTokensKey, GgufValue::StringArray(vocab.tokens));
  if (!vocab.scores.empty()) writer.Set(kScoresKey, GgufValue::Array(vocab.scores));
  if (!vocab.token_types.empty()) {
    std::vector<int32_t> types;
    types.reserve(vocab.token_types.size());
    for (TokenType t : vocab.token_types) types.push_back(static_cast<int32_t>(t));
    writer.Set(kTokenTypeKey, GgufValue::Array(types));
  }
  if (!vocab.merges.empty()) writer.Set(kMergesKey, GgufValue::StringArray(vocab.merges));
  for (const SpecialId& special : kSpecialIds) {
    const int32_t id = vocab.*special.field;
    if (id >= 0) writer.Set(special.key, GgufValue::Uint32(static_cast<uint32_t>(id)));
  }
  writer.Set(kAddBosKey, GgufValue::Bool(vocab.add_bos));
  writer.Set(kAddEosKey, GgufValue::Bool(vocab.add_eos));
  writer.Set(kAddSpacePrefixKey, GgufValue::Bool(vocab.add_space_prefix));
  if (!vocab.chat_template.empty()) {
    writer.Set(kChatTemplateKey, GgufValue::String(vocab.chat_template));
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::model
