// Runs tokenfab's forward pass over a token sequence and writes the logits of every position as
// raw little-endian float32 [n_tokens, n_vocab], for the numpy reference test to compare.
//
//   dump_logits MODEL.gguf TOKENS(comma-separated) OUT.bin MODE [KV_TYPE]
//
// MODE: "prefill" (all tokens in one forward pass), "decode" (one token per pass, through the
// KV cache), or "chunked" (passes of 5 tokens). KV_TYPE: f32 (default) or f16.
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "tokenfab/engine/forward_batch.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/model/model.h"

using namespace tokenfab;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: dump_logits MODEL TOKENS OUT prefill|decode|chunked [f32|f16]\n");
    return 2;
  }
  const std::string mode = argv[4];
  std::vector<int32_t> tokens;
  std::stringstream list(argv[2]);
  for (std::string item; std::getline(list, item, ',');) tokens.push_back(std::stoi(item));
  StatusOr<std::unique_ptr<model::Model>> model = model::Model::Load(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  const model::ModelConfig& config = (*model)->config();
  engine::KvCacheShape shape{config.n_layer, config.n_head_kv, config.head_dim, 16,
                             static_cast<int64_t>(tokens.size() + 15) / 16,
                             argc > 5 && std::string(argv[5]) == "f16" ? kernels::GgmlType::kF16
                                                                       : kernels::GgmlType::kF32};
  engine::KvCacheStorage kv(shape);
  engine::ModelRunner runner(**model, kv, 2);
  std::vector<int32_t> block_table(shape.n_blocks);
  std::iota(block_table.begin(), block_table.end(), 0);
  const int64_t step = mode == "prefill" ? static_cast<int64_t>(tokens.size())
                       : mode == "decode" ? 1
                                          : 5;
  std::ofstream out(argv[3], std::ios::binary);
  engine::ForwardBatch batch;
  std::vector<float> logits;
  for (size_t begin = 0; begin < tokens.size(); begin += step) {
    batch.Clear();
    for (size_t p = begin; p < std::min(tokens.size(), begin + step); ++p) {
      batch.Add(tokens[p], static_cast<int32_t>(p), block_table.data(), true);
    }
    if (Status status = runner.Forward(batch, logits); !status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
    out.write(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
  }
  return out.good() ? 0 : 1;
}
