// EncodeChat: a conversation to the token ids a model sees. The chat template renders the
// messages (with the vocabulary's BOS/EOS texts), the text is encoded with special-token texts
// recognised (the template's own markers such as <|im_start|> must become their tokens), and BOS
// is put in front when the vocabulary adds one and the template did not, as llama.cpp does.
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/tokenizer/chat_template.h"
#include "tokenfab/tokenizer/tokenizer.h"

namespace tokenfab::tokenizer {

// `options.bos_token` / `eos_token` are filled from the tokenizer when empty.
[[nodiscard]] StatusOr<std::vector<int32_t>> EncodeChat(const Tokenizer& tokenizer,
                                                        const ChatTemplate& chat_template,
                                                        const std::vector<ChatMessage>& messages,
                                                        ChatRenderOptions options);

}  // namespace tokenfab::tokenizer
