#include "tokenfab/tokenizer/chat_prompt.h"

#include <string>

namespace tokenfab::tokenizer {

StatusOr<std::vector<int32_t>> EncodeChat(const Tokenizer& tokenizer,
                                          const ChatTemplate& chat_template,
                                          const std::vector<ChatMessage>& messages,
                                          ChatRenderOptions options) {
  if (options.bos_token.empty() && tokenizer.bos_id() >= 0) {
    options.bos_token = std::string(tokenizer.TokenToPiece(tokenizer.bos_id()));
  }
  if (options.eos_token.empty() && tokenizer.eos_id() >= 0) {
    options.eos_token = std::string(tokenizer.TokenToPiece(tokenizer.eos_id()));
  }
  TF_ASSIGN_OR_RETURN(std::string prompt, chat_template.Render(messages, options));
  std::vector<int32_t> ids =
      tokenizer.Encode(prompt, /*add_special=*/false, /*parse_special=*/true);
  const int32_t bos = tokenizer.bos_id();
  if (tokenizer.vocab().add_bos && bos >= 0 && (ids.empty() || ids.front() != bos)) {
    ids.insert(ids.begin(), bos);
  }
  if (tokenizer.vocab().add_eos && tokenizer.eos_id() >= 0) ids.push_back(tokenizer.eos_id());
  return ids;
}

}  // namespace tokenfab::tokenizer
