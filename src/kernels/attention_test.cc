// Attention over a paged KV cache at every instruction-set level against a double-precision
// two-pass softmax reference: several sequences in one batch (prefill chunks and decode tokens),
// shuffled blocks, GQA ratios, head sizes, F32 and F16 caches.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/test_util.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels {
namespace {

using testing::RandomVector;

struct Case {
  int n_head, n_head_kv, head_dim, block_tokens;
  GgmlType kv_type;
  float scale;  // 0: 1/sqrt(head_dim)
};

class AttentionTest : public ::testing::TestWithParam<IsaLevel> {
 protected:
  void Check(const Case& c, int threads, uint64_t seed) {
    SCOPED_TRACE(::testing::Message() << "n_head=" << c.n_head << " n_head_kv=" << c.n_head_kv
                                      << " head_dim=" << c.head_dim << " block=" << c.block_tokens
                                      << " " << GetGgmlTypeInfo(c.kv_type).name);
    base::Random random(seed);
    // Sequences and the tokens of this batch: seq 0 prefills positions 0..39 (a first chunk),
    // seq 1 decodes at 70, seq 2 prefills a second chunk 13..20, seq 3 decodes its first token.
    const std::vector<int> seq_len = {40, 71, 21, 1};
    std::vector<int> token_seq, token_pos;
    for (int p = 0; p < 40; ++p) token_seq.push_back(0), token_pos.push_back(p);
    token_seq.push_back(1), token_pos.push_back(70);
    for (int p = 13; p < 21; ++p) token_seq.push_back(2), token_pos.push_back(p);
    token_seq.push_back(3), token_pos.push_back(0);
    const int n_tokens = token_seq.size();

    // Block pool with shuffled block ids, so sequences are scattered.
    const int64_t elem = c.kv_type == GgmlType::kF16 ? 2 : 4;
    const int64_t head_stride = c.head_dim * elem, token_stride = c.n_head_kv * head_stride + 16;
    const int64_t block_stride = c.block_tokens * token_stride;
    std::vector<std::vector<int32_t>> tables(seq_len.size());
    int total_blocks = 0;
    for (size_t s = 0; s < seq_len.size(); ++s)
      total_blocks += (seq_len[s] + c.block_tokens - 1) / c.block_tokens;
    std::vector<int32_t> ids(total_blocks);
    std::iota(ids.begin(), ids.end(), 0);
    for (int i = total_blocks - 1; i > 0; --i) std::swap(ids[i], ids[random.Below(i + 1)]);
    int next = 0;
    for (size_t s = 0; s < seq_len.size(); ++s) {
      for (int b = 0; b < (seq_len[s] + c.block_tokens - 1) / c.block_tokens; ++b)
        tables[s].push_back(ids[next++]);
    }
    std::vector<uint8_t> k_cache(total_blocks * block_stride), v_cache(total_blocks * block_stride);
    KvCacheView k_view{c.kv_type,    k_cache.data(), c.block_tokens,
                       block_stride, token_stride,   head_stride};
    KvCacheView v_view{c.kv_type,    v_cache.data(), c.block_tokens,
                       block_stride, token_stride,   head_stride};

    CpuKernels kernels(threads, GetParam());
    // Write every position of every sequence (earlier steps plus this batch) through WriteKv.
    const int kv_width = c.n_head_kv * c.head_dim;
    std::vector<std::vector<float>> k_values(seq_len.size()), v_values(seq_len.size());
    for (size_t s = 0; s < seq_len.size(); ++s) {
      k_values[s] = RandomVector(random, seq_len[s] * kv_width);
      v_values[s] = RandomVector(random, seq_len[s] * kv_width);
      std::vector<int32_t> positions(seq_len[s]);
      std::iota(positions.begin(), positions.end(), 0);
      std::vector<const int32_t*> seq_tables(seq_len[s], tables[s].data());
      const KvBatch all{seq_len[s], seq_tables.data(), positions.data()};
      kernels.WriteKv(k_view, all, k_values[s].data(), kv_width, c.n_head_kv, c.head_dim);
      kernels.WriteKv(v_view, all, v_values[s].data(), kv_width, c.n_head_kv, c.head_dim);
      if (c.kv_type == GgmlType::kF16) {  // the reference sees what the cache holds
        for (float& x : k_values[s]) x = HalfToFloat(FloatToHalf(x));
        for (float& x : v_values[s]) x = HalfToFloat(FloatToHalf(x));
      }
    }

    const int64_t q_stride = c.n_head * c.head_dim + 3;
    std::vector<float> q = RandomVector(random, n_tokens * q_stride, 0.5);
    std::vector<float> out(n_tokens * q_stride, NAN);
    std::vector<const int32_t*> token_tables(n_tokens);
    std::vector<int32_t> positions(token_pos.begin(), token_pos.end());
    for (int t = 0; t < n_tokens; ++t) token_tables[t] = tables[token_seq[t]].data();
    const KvBatch batch{n_tokens, token_tables.data(), positions.data()};
    kernels.Attention({c.n_head, c.n_head_kv, c.head_dim, c.scale}, q.data(), q_stride, k_view,
                      v_view, batch, out.data(), q_stride);

    const double scale = c.scale != 0 ? c.scale : 1.0 / std::sqrt(static_cast<double>(c.head_dim));
    const int group = c.n_head / c.n_head_kv;
    for (int t = 0; t < n_tokens; ++t) {
      const int s = token_seq[t], n_kv = token_pos[t] + 1;
      for (int h = 0; h < c.n_head; ++h) {
        const int kvh = h / group;
        std::vector<double> scores(n_kv);
        double max = -INFINITY;
        for (int p = 0; p < n_kv; ++p) {
          double dot = 0;
          for (int i = 0; i < c.head_dim; ++i) {
            dot += static_cast<double>(q[t * q_stride + h * c.head_dim + i]) *
                   k_values[s][p * kv_width + kvh * c.head_dim + i];
          }
          scores[p] = dot * scale;
          max = std::max(max, scores[p]);
        }
        double sum = 0;
        for (double& x : scores) sum += (x = std::exp(x - max));
        for (int i = 0; i < c.head_dim; ++i) {
          double expected = 0, magnitude = 0;
          for (int p = 0; p < n_kv; ++p) {
            const double v = v_values[s][p * kv_width + kvh * c.head_dim + i];
            expected += scores[p] / sum * v;
            magnitude += scores[p] / sum * std::fabs(v);
          }
          ASSERT_NEAR(out[t * q_stride + h * c.head_dim + i], expected, 2e-5 * magnitude + 1e-6)
              << "token " << t << " head " << h << " dim " << i;
        }
      }
      for (int64_t i = c.n_head * c.head_dim; i < q_stride; ++i) {
        ASSERT_TRUE(std::isnan(out[t * q_stride + i])) << "wrote past the heads";
      }
    }
  }
};

TEST_P(AttentionTest, MatchesReference) {
  uint64_t seed = 1;
  for (const Case& c :
       {Case{32, 8, 64, 16, GgmlType::kF16, 0},  // Llama-3.2-1B
        Case{14, 2, 64, 16, GgmlType::kF32, 0},  // Qwen2.5-0.5B
        Case{4, 4, 128, 5, GgmlType::kF16, 0},   // no grouping, odd blocks
        Case{3, 1, 128, 32, GgmlType::kF32, 0.05f}, Case{6, 3, 80, 7, GgmlType::kF16, 0},
        Case{2, 2, 20, 3, GgmlType::kF32, 0}}) {
    for (int threads : {1, 2, 3}) {
      Check(c, threads, seed++);
      if (HasFatalFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, AttentionTest, ::testing::ValuesIn(testing::TestLevels()),
                         testing::LevelName);

}  // namespace
}  // namespace tokenfab::kernels
