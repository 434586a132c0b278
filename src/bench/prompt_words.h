// The single-token words synthetic prompts are made of (see prompt_words.cc).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace tokenfab::bench {

inline constexpr size_t kPromptWordCount = 1024;

const std::array<std::string_view, kPromptWordCount>& PromptWords();

}  // namespace tokenfab::bench
