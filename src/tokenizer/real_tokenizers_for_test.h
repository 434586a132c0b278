// For tests: the Tokenizer of one of the four exported vocabularies (llama3, llama2, qwen3,
// gpt2), built once per test process. Fails the calling test when the vocabulary is missing.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tokenfab/tokenizer/tokenizer.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::tokenizer {

inline const Tokenizer* RealTokenizer(const std::string& name) {
  static auto* cache = new std::map<std::string, std::unique_ptr<Tokenizer>>();
  auto it = cache->find(name);
  if (it != cache->end()) return it->second.get();
  StatusOr<std::string> path = FindVocabFile(name);
  EXPECT_TRUE(path.ok()) << path.status();
  if (!path.ok()) return nullptr;
  StatusOr<Vocab> vocab = LoadVocabJson(*path);
  EXPECT_TRUE(vocab.ok()) << vocab.status();
  if (!vocab.ok()) return nullptr;
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::Create(*std::move(vocab));
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  if (!tokenizer.ok()) return nullptr;
  return cache->emplace(name, *std::move(tokenizer)).first->second.get();
}

}  // namespace tokenfab::tokenizer
