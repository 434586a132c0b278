// Runs tokenfab's forward pass over a token sequence and writes the logits of every position as
// raw little-endian float32 [n_tokens, n_vocab], for the numpy reference test to compare.
//
//   dump_logits MODEL.gguf TOKENS(comma-separated) OUT.bin MODE [KV_TYPE]
//
// MODE: "prefill" (all tokens in one forward pass), "decode" (one token per pass, through the
// KV cache), or "chunked" (passes of 5 tokens). KV_TYPE: f32 (default) or f16.
// For mixture-of-experts models, OUT.experts receives the experts each MoE block chose as
// int32 [moe blocks, n_tokens, n_expert_used] (best first), for the reference to follow on
// near-ties.
#include <algorithm>
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
  const engine::KvCacheShape shape = engine::KvCacheShape::ForModel(
      config, 16, static_cast<int64_t>(tokens.size() + 15) / 16,
      argc > 5 && std::string(argv[5]) == "f16" ? kernels::GgmlType::kF16
                                                : kernels::GgmlType::kF32);
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
  const int64_t k = config.moe.n_expert_used;
  int64_t moe_blocks = 0;
  for (int64_t l = 0; l < config.n_layer; ++l) moe_blocks += config.moe.IsMoeLayer(l) ? 1 : 0;
  std::vector<int32_t> experts(moe_blocks * tokens.size() * k), trace;
  runner.TraceExperts(&trace);
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
    // The trace is [block][token of this pass][k]: place it at the passes' positions.
    const int64_t n = batch.size();
    for (int64_t b = 0; b < moe_blocks; ++b) {
      std::copy_n(trace.begin() + b * n * k, n * k,
                  experts.begin() + (b * static_cast<int64_t>(tokens.size()) + begin) * k);
    }
    trace.clear();
  }
  if (moe_blocks > 0) {
    std::ofstream routes(std::string(argv[3]) + ".experts", std::ios::binary);
    routes.write(reinterpret_cast<const char*>(experts.data()), experts.size() * sizeof(int32_t));
  }
  return out.good() ? 0 : 1;
}
