// Writes the GGUF reader fuzzer's seed corpus: small valid files that between them use every
// metadata value type, arrays and arrays of arrays, several tensor types and ranks, both format
// versions, several alignments, and two small models with vocabularies (llama with SentencePiece
// scores, qwen2 with byte-level merges).
//
//   gguf_reader_seeds CORPUS_DIR
#include <cstdio>
#include <string>

#include "model/testing/gguf_samples.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/model/model_creator.h"

namespace tokenfab::model {
namespace {

tokenizer::Vocab SmallVocab(tokenizer::VocabType type) {
  tokenizer::Vocab v;
  v.type = type;
  v.pre = type == tokenizer::VocabType::kByteLevelBpe ? "qwen2" : "default";
  v.tokens = {"<unk>", "<s>", "</s>", "<|im_end|>", "a", "b", "ab", "\xc4\xa0", "\xe2\x96\x81"};
  v.token_types.assign(v.tokens.size(), tokenizer::TokenType::kNormal);
  v.token_types[3] = tokenizer::TokenType::kControl;
  if (type == tokenizer::VocabType::kSentencePieceBpe) {
    for (size_t i = 0; i < v.tokens.size(); ++i) v.scores.push_back(-static_cast<float>(i));
    v.add_space_prefix = true;
  } else {
    v.merges = {"a b"};
  }
  v.bos_id = 1;
  v.eos_id = 2;
  v.add_bos = true;
  v.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}";
  return v;
}

Status WriteModel(Architecture arch, WeightScheme weights, tokenizer::VocabType vocab_type,
                  const std::string& path) {
  ModelSpec spec;
  spec.name = "seed";
  spec.arch = arch;
  spec.shape =
      ModelShape{.dim = 32, .layers = 1, .heads = 2, .kv_heads = 1, .ffn = 32, .context = 64};
  spec.weights = weights;
  spec.seed = 1;
  base::ThreadPool pool(1);
  return CreateModelFile(spec, SmallVocab(vocab_type), pool, path);
}

}  // namespace
}  // namespace tokenfab::model

int main(int argc, char** argv) {
  using namespace tokenfab::model;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  struct Sample {
    const char* name;
    testing::SampleOptions options;
  };
  for (const Sample& sample :
       {Sample{"sample_v3.gguf", {}}, Sample{"sample_v2.gguf", {.version = 2}},
        Sample{"sample_align8.gguf", {.alignment = 8}},
        Sample{"sample_align64_v2.gguf", {.version = 2, .alignment = 64}},
        Sample{"sample_no_tensors.gguf", {.tensors = false}}}) {
    if (tokenfab::Status s =
            testing::SampleWriter(sample.options).WriteFile(dir + "/" + sample.name);
        !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  const tokenfab::Status llama =
      WriteModel(Architecture::kLlama, WeightScheme::kQ8_0,
                 tokenfab::tokenizer::VocabType::kSentencePieceBpe, dir + "/model_llama_q8_0.gguf");
  const tokenfab::Status qwen =
      WriteModel(Architecture::kQwen2, WeightScheme::kQ4_0,
                 tokenfab::tokenizer::VocabType::kByteLevelBpe, dir + "/model_qwen2_q4_0.gguf");
  for (const tokenfab::Status& s : {llama, qwen}) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  return 0;
}
