// CpuKernels: the CPU math of the model runtime (llama / qwen2 forward passes), multi-threaded on a
// ComputePool, with kernels chosen at run time for the CPU's instruction set.
//
// Design
// ------
// Layout. Activations are row-major float32 matrices, one row per token ([n_tokens, n]), each op
// taking a row stride in floats. Weights are used exactly as a GGUF file stores them (mmap'd, no
// converted copy): a WeightMatrix is `rows` rows of `cols` elements in GGUF block layout, and
// MatMul computes y[t, r] = sum_k W[r, k] * x[t, k] (+ bias[r]), i.e. y = x W^T with W of shape
// ne = [cols = in_features, rows = out_features]. Types: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
//
// MatMul strategy. Below kGemmMinTokens tokens (decode, small decode batches) the activations are
// quantised once per op — to 32-value int8 blocks for Q8_0/Q4_0 weights, 256-value blocks with
// 16-value sums for Q4_K/Q6_K, bf16 for BF16 weights on AVX-512 — and each thread streams its share
// of the weight rows once, one row after the other (the hardware prefetchers follow one sequential
// stream per core best), computing up to four tokens from the same registers with integer dot
// products (AVX512-VNNI vpdpbusd / vpdpwssd, AVX2 vpmaddubsw) or F16C + FMA. From kGemmMinTokens
// tokens (prefill) the weights are decoded panel by panel (64 rows x 256 values on AVX-512, 16 x
// 256 on AVX2) into a packed column-major tile in L1 — bf16 pairs for BF16 and quantised weights
// (vdpbf16ps), floats for F32/F16 weights (exact) — and a register-blocked micro-kernel (64 rows x
// 6 tokens in 24 zmm accumulators) multiplies each panel with all tokens, so each weight is decoded
// once per op and used n_tokens times. Output rows (panels) are split over the threads.
//
// KV cache. Keys and values are stored F32 or F16 in caller-owned memory addressed through a
// KvCacheView: fixed-size blocks of `block_tokens` tokens, each sequence listing its blocks in a
// block table (the paged layout; a contiguous cache is one big block). WriteKv stores a batch's
// rotated keys / values; Attention then lets each token attend causally over its own sequence's
// positions [0, pos] (grouped-query: the query heads sharing a KV head are computed together;
// scale 1/sqrt(head_dim) unless given; online softmax over chunks of 64 keys), reading the blocks
// in place. Work units are (token, KV head) pairs.
//
// Dispatch. Every op has a portable scalar kernel, an AVX2+FMA+F16C kernel and an AVX-512
// (F/BW/VL/DQ/VNNI/VBMI/BF16) kernel, compiled in separate translation units with per-file flags;
// the rest of the binary is baseline x86-64 (the SIMD units use no shared inline or template
// code, so the linker cannot pick an AVX-512 copy for baseline code). The level is fixed per
// CpuKernels object (default: DefaultIsaLevel(), which honours TOKENFAB_KERNELS=scalar|avx2|
// avx512), so tests run every level on one machine.
//
// Numerics. Accumulation is float32. Decode-path quantised matmuls see int8-quantised activations
// (per 32 or 256 values, as llama.cpp does, but with float scales); the AVX-512 prefill path
// rounds activations and decoded quantised weights to bf16 (BF16 weights: activations only);
// F32/F16 weights are exact up to float rounding on every path, as are all weights on the AVX2
// prefill path. Decode and prefill results of the same row therefore differ in the last bits.
//
// Thread-safety. A CpuKernels object owns its thread team and scratch buffers: one op at a time,
// from one thread at a time (the model runner's). The inputs it reads (weights, KV blocks) may be
// shared read-only with other objects. Separate objects are independent.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/kernels/compute_pool.h"
#include "tokenfab/kernels/cpu_features.h"
#include "tokenfab/kernels/ggml_type.h"

namespace tokenfab::kernels {

namespace internal {
struct KernelTable;
}

// A weight matrix in GGUF layout; not owned (normally points into the mmap'd file).
struct WeightMatrix {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;  // row 0
  int64_t cols = 0;            // elements per row = in_features (GGUF ne[0])
  int64_t rows = 0;            // out_features (GGUF ne[1])
  int64_t row_bytes = 0;       // bytes from one row to the next; GgmlRowBytes(type, cols) if dense

  // A dense matrix (row_bytes = GgmlRowBytes(type, cols)).
  static WeightMatrix Dense(GgmlType type, const void* data, int64_t cols, int64_t rows);
};

// Types MatMul accepts: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
bool CanMatMul(GgmlType type);

// Rotary position embedding parameters (GGUF rope.* keys).
struct RopeParams {
  enum class Style {
    kNormal,  // llama: pairs (x[2i], x[2i+1]) rotate by angle pos * theta_i
    kNeox,    // qwen2, gpt-neox: pairs (x[i], x[i + n_dims/2])
  };
  Style style = Style::kNormal;
  int n_dims = 0;  // rotated dimensions per head (even, <= head_dim); the rest pass through
  float freq_base = 10000.0f;  // theta_i = freq_base^(-2i / n_dims)
  float freq_scale = 1.0f;     // linear scaling: angle = pos * freq_scale * theta_i / freq_factor_i
  const float* freq_factors = nullptr;  // [n_dims / 2] or null (llama 3 rope_freqs); not owned
  // YaRN (ext_factor > 0): pair i mixes the extrapolated frequency e_i = theta_i / freq_factor_i
  // and the interpolated one freq_scale * e_i as mix_i * e_i + (1 - mix_i) * freq_scale * e_i,
  // where mix_i = ext_factor * (1 - clamp((i - yarn_low) / max(0.001, yarn_high - yarn_low),
  // 0, 1)): pairs below yarn_low keep their frequency, pairs above yarn_high are interpolated.
  float ext_factor = 0.0f;
  float yarn_low = 0.0f, yarn_high = 0.0f;  // the ramp's ends, in pairs
  float magnitude = 1.0f;                   // cosines and sines are multiplied by it
};

// The cosines and sines of one batch's positions, computed once (in double) and shared by every
// layer's queries and keys. Owns its table; immutable after construction, so thread-safe.
class RopeTable {
 public:
  // REQUIRES: params.n_dims even and > 0.
  RopeTable(const RopeParams& params, const int32_t* positions, int64_t n_tokens);

  const RopeParams& params() const { return params_; }
  int64_t n_tokens() const { return n_tokens_; }
  // For token t: n_dims / 2 cosines followed by n_dims / 2 sines.
  const float* cos_sin(int64_t t) const { return table_.data() + t * params_.n_dims; }

 private:
  RopeParams params_;
  int64_t n_tokens_;
  std::vector<float> table_;  // [n_tokens, {cos, sin}, n_dims / 2]
};

// Where one layer's cached keys (or values) live. Row of token position p of a sequence whose
// block table is `bt`, KV head h:
//   base + bt[p / block_tokens] * block_stride + (p % block_tokens) * token_stride + h *
//   head_stride
// holding head_dim elements of `type`. Not owned.
struct KvCacheView {
  GgmlType type = GgmlType::kF16;  // kF32 or kF16
  void* base = nullptr;            // block 0
  int64_t block_tokens = 0;        // tokens per block, > 0
  int64_t block_stride = 0;        // bytes between blocks
  int64_t token_stride = 0;        // bytes between tokens of a block
  int64_t head_stride = 0;         // bytes between KV heads of a token

  // Address of the row of position `pos` of a sequence with block table `block_table`, head `h`.
  void* Row(const int32_t* block_table, int64_t pos, int h) const {
    return static_cast<char*>(base) + block_table[pos / block_tokens] * block_stride +
           (pos % block_tokens) * token_stride + h * head_stride;
  }
};

// The tokens of one forward batch, from one or several sequences (prefill chunks and decode tokens
// mixed). Not owned.
struct KvBatch {
  int64_t n_tokens = 0;
  const int32_t* const* block_tables = nullptr;  // [n_tokens] block table of each token's sequence
  const int32_t* positions = nullptr;  // [n_tokens] position of each token in its sequence
};

struct AttentionShape {
  int n_head = 0;     // query heads
  int n_head_kv = 0;  // key/value heads; n_head % n_head_kv == 0 (grouped-query attention)
  int head_dim = 0;   // elements per head
  float scale = 0;    // score scale; 0 means 1 / sqrt(head_dim)
};

class CpuKernels {
 public:
  // Batches below this many tokens use the streaming kernels; from here on the packed-panel
  // matrix-matrix kernels. The crossover of a real decode batch, weights from DRAM (`bench
  // engine`, Qwen2.5-0.5B Q8_0, 2 threads on Zen 5: 16 streams 260 vs 182 tokens/s, 32 equal,
  // 64 panels ahead by 1.3x); with weights in cache the panels win from about 16.
  static constexpr int64_t kGemmMinTokens = 32;

  // REQUIRES: num_threads >= 1; IsaLevelSupported(level).
  explicit CpuKernels(int num_threads, IsaLevel level = DefaultIsaLevel());
  ~CpuKernels();
  CpuKernels(const CpuKernels&) = delete;
  CpuKernels& operator=(const CpuKernels&) = delete;

  // How MatMul chooses its kernels. kBySize (the default, fastest): streaming below
  // kGemmMinTokens tokens, packed panels from there. kStreamingOnly: the streaming kernels at
  // every size, so that a token's result does not depend on whether the batch around it crossed
  // kGemmMinTokens (for quantised weights the two paths round activations differently: int8 vs
  // bf16); prefill is slower, since the weights are streamed once per few tokens.
  enum class MatMulPath { kBySize, kStreamingOnly };
  void set_matmul_path(MatMulPath path) { matmul_path_ = path; }
  MatMulPath matmul_path() const { return matmul_path_; }

  IsaLevel level() const { return level_; }
  int num_threads() const { return pool_.num_threads(); }
  ComputePool& pool() { return pool_; }

  // y[t, :] = W x[t, :] (+ bias) for t in [0, n_tokens): x is [n_tokens, w.cols] with row stride
  // x_stride floats, y is [n_tokens, w.rows] with row stride y_stride, bias [w.rows] or null.
  // REQUIRES: CanMatMul(w.type); w.cols a multiple of the type's block size; y does not overlap x.
  void MatMul(const WeightMatrix& w, const float* x, int64_t x_stride, int64_t n_tokens, float* y,
              int64_t y_stride, const float* bias = nullptr);

  // Rows of a weight matrix (token embeddings) as float: out[t, :] = W[ids[t], :].
  // REQUIRES: CanDequantize(w.type); 0 <= ids[t] < w.rows.
  void GetRows(const WeightMatrix& w, const int32_t* ids, int64_t n, float* out,
               int64_t out_stride);

  // y[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight (weight may be null: no scaling).
  // x and y rows of n floats with strides in floats; y may equal x.
  void RmsNorm(const float* x, int64_t x_stride, int64_t n_rows, int64_t n, const float* weight,
               float eps, float* y, int64_t y_stride);

  // Rotates heads in place: x is [n_tokens] rows (row stride token_stride floats) of n_heads
  // heads of head_dim floats. REQUIRES: table.params().n_dims <= head_dim,
  // n_tokens <= table.n_tokens() (row t uses the table's token t).
  void Rope(const RopeTable& table, float* x, int64_t token_stride, int64_t n_tokens, int n_heads,
            int head_dim);

  // Element-wise over n floats (out may alias an input).
  void SwiGlu(const float* gate, const float* up, int64_t n, float* out);  // silu(gate) * up
  void Silu(const float* x, int64_t n, float* out);                        // x / (1 + e^-x)
  void Add(const float* a, const float* b, int64_t n, float* out);
  void Mul(const float* a, const float* b, int64_t n, float* out);
  void Scale(const float* x, float s, int64_t n, float* out);

  // In place, each of n_rows rows of n floats: x = softmax(x) (max-subtracted; exp to about 1 ulp
  // on the SIMD levels; the sum in double, so a whole vocabulary row keeps its precision).
  void Softmax(float* x, int64_t stride, int64_t n_rows, int64_t n);

  // Stores each token's n_head_kv * head_dim values (row t of src, stride src_stride floats) at its
  // position in its sequence, converted to view.type.
  void WriteKv(const KvCacheView& view, const KvBatch& batch, const float* src, int64_t src_stride,
               int n_head_kv, int head_dim);

  // out[t, h*head_dim ...] = sum_p softmax_p(q_h . k_p * scale) v_p over positions
  // p in [0, positions[t]] of token t's sequence, K/V head h / (n_head / n_head_kv).
  // q: [n_tokens] rows (stride q_stride floats) of n_head * head_dim; out likewise (out_stride).
  // REQUIRES: the K/V rows of every position attended to have been written; out does not
  // overlap q.
  void Attention(const AttentionShape& shape, const float* q, int64_t q_stride,
                 const KvCacheView& k, const KvCacheView& v, const KvBatch& batch, float* out,
                 int64_t out_stride);

 private:
  // Scratch of at least `bytes`, 64-byte aligned, reused across ops.
  uint8_t* SharedScratch(size_t bytes);
  uint8_t* ThreadScratch(int thread, size_t bytes);

  void MatMulStreaming(const WeightMatrix& w, const float* x, int64_t x_stride, int64_t n_tokens,
                       float* y, int64_t y_stride);
  void MatMulPanels(const WeightMatrix& w, const float* x, int64_t x_stride, int64_t n_tokens,
                    float* y, int64_t y_stride);

  struct Buffer {
    uint8_t* data = nullptr;
    size_t size = 0;
  };
  static uint8_t* Reserve(Buffer& buffer, size_t bytes);
  static void Free(Buffer& buffer);

  const IsaLevel level_;
  MatMulPath matmul_path_ = MatMulPath::kBySize;
  const internal::KernelTable& table_;
  ComputePool pool_;
  Buffer shared_;
  std::vector<Buffer> per_thread_;
};

}  // namespace tokenfab::kernels
