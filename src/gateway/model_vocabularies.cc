#include "model_vocabularies.h"

#include <fmt/format.h>

#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_vocab.h"
#include "tokenfab/tokenizer/chat_prompt.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::gateway {
namespace {

StatusOr<tokenizer::Vocab> LoadVocab(const fleet::ModelSource& source) {
  if (!source.vocab.empty()) {
    TF_ASSIGN_OR_RETURN(std::string path, tokenizer::FindVocabFile(source.vocab));
    return tokenizer::LoadVocabJson(path);
  }
  TF_ASSIGN_OR_RETURN(model::GgufFile file, model::GgufFile::Open(source.gguf));
  return model::ReadVocab(file);
}

// The built-in template closest to a vocabulary without one of its own.
std::string_view FallbackTemplate(const tokenizer::Tokenizer& tokenizer) {
  if (tokenizer.FindToken("<|start_header_id|>") >= 0) return "llama3";
  if (tokenizer.FindToken("<|im_start|>") >= 0) return "chatml";
  if (tokenizer.vocab().type == tokenizer::VocabType::kSentencePieceBpe) return "llama2";
  return "";
}

StatusOr<std::shared_ptr<const ModelVocabularies::Entry>> LoadEntry(
    const fleet::ModelSource& source) {
  auto entry = std::make_shared<ModelVocabularies::Entry>();
  entry->source = source;
  StatusOr<tokenizer::Vocab> vocab = LoadVocab(source);
  if (!vocab.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("model \"{}\": vocabulary {}: {}", source.name,
                    source.vocab.empty() ? source.gguf : source.vocab, vocab.status().message()));
  }
  std::string own_template = vocab->chat_template;
  TF_ASSIGN_OR_RETURN(std::unique_ptr<tokenizer::Tokenizer> tok,
                      tokenizer::Tokenizer::Create(*std::move(vocab)));
  entry->tokenizer = std::move(tok);
  StatusOr<tokenizer::ChatTemplate> chat = tokenizer::ResolveChatTemplate(own_template, "auto");
  if (!chat.ok()) {
    const std::string_view builtin = FallbackTemplate(*entry->tokenizer);
    if (!builtin.empty()) chat = tokenizer::ResolveChatTemplate("", builtin);
  }
  if (chat.ok()) entry->chat_template = *std::move(chat);
  return std::shared_ptr<const ModelVocabularies::Entry>(std::move(entry));
}

}  // namespace

StatusOr<std::shared_ptr<const ModelVocabularies>> ModelVocabularies::Load(
    const fleet::FleetConfig& config, const ModelVocabularies* previous) {
  auto out = std::shared_ptr<ModelVocabularies>(new ModelVocabularies());
  for (const fleet::ModelSource& source : config.models()) {
    if (previous != nullptr) {
      if (const Entry* old = previous->FindEntry(source.name); old && old->source == source) {
        out->entries_[source.name] = previous->entries_.at(source.name);
        continue;
      }
    }
    TF_ASSIGN_OR_RETURN(out->entries_[source.name], LoadEntry(source));
  }
  return std::shared_ptr<const ModelVocabularies>(std::move(out));
}

const ModelVocabularies::Entry* ModelVocabularies::FindEntry(std::string_view model) const {
  auto it = entries_.find(std::string(model));
  return it == entries_.end() ? nullptr : it->second.get();
}

const tokenizer::Tokenizer* ModelVocabularies::Find(std::string_view model) const {
  const Entry* entry = FindEntry(model);
  return entry == nullptr ? nullptr : entry->tokenizer.get();
}

std::optional<std::vector<int32_t>> ModelVocabularies::EncodePrompt(
    const InferenceRequest& request) const {
  const Entry* entry = FindEntry(request.model);
  if (entry == nullptr) return std::nullopt;
  const tokenizer::Tokenizer& tok = *entry->tokenizer;
  if (!request.prompt_ids.empty()) return request.prompt_ids;
  if (request.endpoint == api::Endpoint::kCompletions) {
    std::vector<int32_t> ids;
    for (const std::string& prompt : request.prompts) {
      std::vector<int32_t> part = tok.Encode(prompt, /*add_special=*/true, /*parse_special=*/false);
      ids.insert(ids.end(), part.begin(), part.end());
    }
    return ids;
  }
  if (entry->chat_template) {
    StatusOr<std::vector<int32_t>> ids =
        tokenizer::EncodeChat(tok, *entry->chat_template, request.messages, {});
    if (ids.ok()) return *std::move(ids);
  }
  // No usable template: the contents, one after another.
  std::vector<int32_t> ids;
  for (const tokenizer::ChatMessage& m : request.messages) {
    if (!m.content) continue;
    std::vector<int32_t> part = tok.Encode(*m.content, /*add_special=*/false, false);
    ids.insert(ids.end(), part.begin(), part.end());
  }
  return ids;
}

int64_t ModelVocabularies::CountPrompt(const InferenceRequest& request) const {
  if (std::optional<std::vector<int32_t>> ids = EncodePrompt(request)) {
    return static_cast<int64_t>(ids->size());
  }
  if (!request.prompt_ids.empty()) return static_cast<int64_t>(request.prompt_ids.size());
  return EstimateTokens(request.prompt_bytes);
}

int64_t ModelVocabularies::CountText(std::string_view model, std::string_view text) const {
  if (text.empty()) return 0;
  if (const tokenizer::Tokenizer* tok = Find(model)) {
    return static_cast<int64_t>(tok->Encode(text, /*add_special=*/false, false).size());
  }
  return EstimateTokens(text.size());
}

}  // namespace tokenfab::gateway
