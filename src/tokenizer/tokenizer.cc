#include "tokenfab/tokenizer/tokenizer.h"

#include <fmt/format.h>

#include <optional>

#include "absl/container/flat_hash_map.h"
#include "tokenizer/bpe_encoder.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/special_token_matcher.h"
#include "tokenizer/spm_encoder.h"

namespace tokenfab::tokenizer {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kSpmSpace = "\xE2\x96\x81";              // U+2581 "▁"

// Control tokens that end a turn, by text (llama.cpp keeps the same list), besides EOS and EOT.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>",    "<|eom_id|>", "<|end_of_text|>", "<|im_end|>",
    "<|endoftext|>", "<|end|>",    "<end_of_turn>",   "<EOT>",
};

TokenType TypeOf(const Vocab& vocab, int32_t id) {
  return vocab.token_types.empty() ? TokenType::kNormal : vocab.token_types[id];
}

bool IsTextType(TokenType type) {
  return type == TokenType::kNormal || type == TokenType::kUndefined || type == TokenType::kUnused;
}

// "<0xNN>" -> the byte, or -1.
int ByteTokenValue(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    const int digit = (c >= '0' && c <= '9')   ? c - '0'
                      : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                      : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                               : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// The bytes a token stands for.
std::string PieceOf(const Vocab& vocab, int32_t id) {
  const std::string& text = vocab.tokens[id];
  const TokenType type = TypeOf(vocab, id);
  if (type == TokenType::kByte) {
    const int value = ByteTokenValue(text);
    if (value >= 0) return std::string(1, static_cast<char>(value));
    return text;
  }
  if (!IsTextType(type)) return text;  // control, unknown, user-defined: their text as is
  if (vocab.type == VocabType::kSentencePieceBpe) {
    std::string piece;
    for (size_t pos = 0; pos < text.size();) {
      if (text.compare(pos, kSpmSpace.size(), kSpmSpace) == 0) {
        piece.push_back(' ');
        pos += kSpmSpace.size();
      } else {
        piece.push_back(text[pos++]);
      }
    }
    return piece;
  }
  std::string piece;
  if (!ByteLevelDecode(text, &piece)) return text;  // not byte-level spelled: keep the text
  return piece;
}

}  // namespace

struct Tokenizer::Impl {
  std::vector<std::string> pieces;  // bytes per token
  std::vector<bool> control;        // control or unknown: skipped by SpecialTokens::kSkip
  std::vector<bool> end_of_generation;
  absl::flat_hash_map<std::string, int32_t> by_text;
  std::optional<PreTokenizer> pre;
  std::optional<BpeEncoder> bpe;
  std::optional<SpmEncoder> spm;
  SpecialTokenMatcher user_defined;  // always recognised
  SpecialTokenMatcher special;       // with parse_special: control, unknown and user-defined
  bool add_space_prefix = false;     // SentencePiece: "▁" before the text
  bool strip_prefix_space = false;   // Decode drops it again

  // Appends the tokens of `text`, a stretch between special tokens; `after_special`: it starts
  // the text or follows a special token.
  void EncodeFragment(std::string_view text, bool after_special, std::vector<int32_t>* out) const;
};

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)), impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Create(Vocab vocab) {
  TF_RETURN_IF_ERROR(vocab.Validate());
  if (vocab.add_bos && vocab.bos_id < 0) {
    return absl::InvalidArgumentError(
        "vocabulary: tokenizer.ggml.add_bos_token is set but there is no bos_token_id");
  }
  if (vocab.add_eos && vocab.eos_id < 0) {
    return absl::InvalidArgumentError(
        "vocabulary: tokenizer.ggml.add_eos_token is set but there is no eos_token_id");
  }
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer(std::move(vocab)));
  const Vocab& v = tokenizer->vocab_;
  Impl& impl = *tokenizer->impl_;
  const int32_t n = static_cast<int32_t>(v.tokens.size());

  impl.pieces.reserve(n);
  impl.control.assign(n, false);
  impl.end_of_generation.assign(n, false);
  impl.by_text.reserve(n);
  std::vector<bool> mergeable(n, false);
  for (int32_t id = 0; id < n; ++id) {
    const TokenType type = TypeOf(v, id);
    impl.pieces.push_back(PieceOf(v, id));
    impl.by_text.try_emplace(v.tokens[id], id);
    mergeable[id] = IsTextType(type);
    if (type == TokenType::kControl || type == TokenType::kUnknown) {
      impl.control[id] = true;
      impl.special.Add(v.tokens[id], id);
    } else if (type == TokenType::kUserDefined) {
      impl.user_defined.Add(v.tokens[id], id);
      impl.special.Add(v.tokens[id], id);
    }
    for (std::string_view text : kEndOfGenerationTexts) {
      if (v.tokens[id] == text) impl.end_of_generation[id] = true;
    }
  }
  if (v.eos_id >= 0) impl.end_of_generation[v.eos_id] = true;
  if (v.eot_id >= 0) impl.end_of_generation[v.eot_id] = true;

  if (v.type == VocabType::kByteLevelBpe) {
    TF_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::ForName(v.pre));
    // Llama 3 is a tiktoken vocabulary: a piece that is a token is taken as is, without merging
    // (588 of its tokens are not what merging their own bytes gives). GPT-2 and Qwen merge every
    // piece, as Hugging Face tokenizers do (for them the lookup would change nothing).
    const bool whole_piece_lookup = pre.pattern() == PrePattern::kLlama3;
    TF_ASSIGN_OR_RETURN(BpeEncoder bpe,
                        BpeEncoder::Create(v, impl.pieces, mergeable, whole_piece_lookup));
    impl.pre.emplace(pre);
    impl.bpe.emplace(std::move(bpe));
  } else {
    TF_ASSIGN_OR_RETURN(SpmEncoder spm, SpmEncoder::Create(v, mergeable));
    impl.spm.emplace(std::move(spm));
    impl.add_space_prefix = v.add_space_prefix;
    impl.strip_prefix_space = v.add_space_prefix;
  }
  return tokenizer;
}

void Tokenizer::Impl::EncodeFragment(std::string_view text, bool after_special,
                                     std::vector<int32_t>* out) const {
  if (spm.has_value()) {
    std::string escaped;
    escaped.reserve(text.size() + 3 + text.size() / 4);
    if (add_space_prefix && after_special) escaped.append(kSpmSpace);
    for (char c : text) {
      if (c == ' ') {
        escaped.append(kSpmSpace);
      } else {
        escaped.push_back(c);
      }
    }
    spm->Encode(escaped, out);
    return;
  }
  std::string normalized;
  if (pre->nfc() && !IsNfc(text)) {
    AppendNfc(text, &normalized);
    text = normalized;
  }
  std::vector<std::string_view> words;
  pre->Split(text, &words);
  for (std::string_view word : words) bpe->Encode(word, out);
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && vocab_.add_bos) out.push_back(vocab_.bos_id);
  const SpecialTokenMatcher& matcher = parse_special ? impl_->special : impl_->user_defined;
  // SentencePiece puts the "▁" prefix in front of the text at the start and after each special
  // token, as llama.cpp does.
  bool after_special = true;
  size_t pos = 0;
  while (pos < text.size()) {
    const SpecialTokenMatcher::Match match = matcher.Find(text, pos);
    if (match.pos > pos) {
      impl_->EncodeFragment(text.substr(pos, match.pos - pos), after_special, &out);
      after_special = false;
    }
    if (match.length == 0) break;
    out.push_back(match.id);
    after_special = true;
    pos = match.pos + match.length;
  }
  if (add_special && vocab_.add_eos) out.push_back(vocab_.eos_id);
  return out;
}

std::string Tokenizer::Normalize(std::string_view text) const {
  std::string out;
  if (impl_->pre.has_value() && impl_->pre->nfc()) {
    AppendNfc(text, &out);
  } else {
    out.assign(text);
  }
  return out;
}

std::string_view Tokenizer::TokenToPiece(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return kReplacementCharacter;
  return impl_->pieces[id];
}

bool Tokenizer::StripsPrefixSpace() const { return impl_->strip_prefix_space; }

void Tokenizer::AppendPiece(int32_t id, SpecialTokens special, bool* strip_space, bool* at_start,
                            std::string* out) const {
  std::string_view piece = TokenToPiece(id);
  if (special == SpecialTokens::kSkip && IsControl(id)) piece = {};
  if (*strip_space && !(*at_start && id == vocab_.bos_id)) {
    if (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    *strip_space = false;
  }
  *at_start = false;
  out->append(piece);
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, SpecialTokens special) const {
  std::string out;
  bool strip_space = StripsPrefixSpace();
  bool at_start = true;
  for (int32_t id : ids) AppendPiece(id, special, &strip_space, &at_start, &out);
  return out;
}

Status Tokenizer::CheckIds(std::span<const int32_t> ids) const {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab_size()) {
      return absl::InvalidArgumentError(
          fmt::format("token id {} at position {} is outside the vocabulary of {} tokens", ids[i],
                      i, vocab_size()));
    }
  }
  return absl::OkStatus();
}

int32_t Tokenizer::FindToken(std::string_view text) const {
  auto it = impl_->by_text.find(absl::string_view(text.data(), text.size()));
  return it == impl_->by_text.end() ? -1 : it->second;
}

bool Tokenizer::IsEndOfGeneration(int32_t id) const {
  return id >= 0 && id < vocab_size() && impl_->end_of_generation[id];
}

bool Tokenizer::IsControl(int32_t id) const {
  return id >= 0 && id < vocab_size() && impl_->control[id];
}

}  // namespace tokenfab::tokenizer
