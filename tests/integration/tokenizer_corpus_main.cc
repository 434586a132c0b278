// Writes the tokenizer reference corpus (tokenizer_corpus.h) as JSON Lines.
//
//   tokenizer_corpus OUT.jsonl [LINES]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tokenizer_corpus.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: tokenizer_corpus OUT.jsonl [LINES]\n");
    return 2;
  }
  const size_t lines =
      argc == 3 ? std::strtoull(argv[2], nullptr, 10) : tokenfab::tokenizer::kCorpusLines;
  const auto corpus = tokenfab::tokenizer::BuildCorpus(tokenfab::tokenizer::kCorpusSeed, lines);
  if (tokenfab::Status status = tokenfab::tokenizer::WriteCorpus(corpus, argv[1]); !status.ok()) {
    std::fprintf(stderr, "tokenizer_corpus: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
