// KernelTable: the kernels of one instruction-set level, as plain function pointers, so the code
// compiled with AVX2 / AVX-512 flags is only reached through a table chosen at run time. Each
// level's translation units fill one table; CpuKernels drives them (threading, scratch, strategy).
//
// Internal to the kernels layer. Kernels are stateless and thread-safe; every pointer argument is
// only read or written within the ranges the arguments describe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tokenfab/kernels/cpu_features.h"
#include "tokenfab/kernels/ggml_type.h"

namespace tokenfab::kernels::internal {

// The weight types MatMul handles, as dense indices into the per-type tables.
enum MatType : int {
  kMatF32,
  kMatF16,
  kMatBF16,
  kMatQ8_0,
  kMatQ4_0,
  kMatQ4_K,
  kMatQ6_K,
  kNumMatTypes
};

// -1 for a type MatMul does not handle.
int MatTypeIndex(GgmlType type);

// How a matrix-product path rounds its operands before the float32 arithmetic (tests build their
// reference to match).
enum class Rounding {
  kNone,         // float32 activations, weights decoded exactly
  kBf16Act,      // activations rounded to bf16 (nearest even)
  kBf16Both,     // activations and decoded weights rounded to bf16
  kQ8Blocks32,   // activations quantised to int8 per 32 values (act_quant.h)
  kQ8Blocks256,  // activations quantised to int8 per 256 values (act_quant.h)
};

// Streaming (decode) matrix-vector products over a range of weight rows, for all columns at once.
struct StreamArgs {
  const uint8_t* w = nullptr;    // weight row 0
  int64_t row_bytes = 0;         // bytes between weight rows
  int64_t k = 0;                 // elements per row
  const uint8_t* act = nullptr;  // column 0 of the prepared activations (see StreamKernel)
  int64_t act_stride = 0;        // bytes between prepared activation columns
  int64_t n_cols = 0;            // activation columns (tokens)
  float* y = nullptr;            // y[c * y_stride + r]
  int64_t y_stride = 0;          // floats
};

struct StreamKernel {
  Rounding rounding = Rounding::kNone;
  // Bytes of one prepared activation column of k elements; 0 when `rows` reads the float input
  // itself (act = x, act_stride = x_stride * 4).
  int64_t (*act_bytes)(int64_t k) = nullptr;
  // Prepares one column (quantise / convert). Null when act_bytes is null.
  void (*prepare)(const float* x, int64_t k, uint8_t* out) = nullptr;
  // y[c, r] = dot(W[r], act[c]) for r in [row_begin, row_end), every column.
  void (*rows)(const StreamArgs& args, int64_t row_begin, int64_t row_end) = nullptr;
};

// Packed-panel (prefill) matrix-matrix products: one panel of `panel_rows` weight rows times a
// range of activation columns.
struct PanelArgs {
  int type = 0;                // MatType
  const uint8_t* w = nullptr;  // weight row 0
  int64_t row_bytes = 0;
  int64_t rows = 0;  // weight rows in total (the last panel may be partial)
  int64_t k = 0;
  const uint8_t* act = nullptr;  // prepared activations (see PanelKernel), or x itself
  int64_t act_stride = 0;        // x in place: bytes between columns (x_stride * 4)
  int64_t n_cols = 0;            // activation columns (tokens) in total
  float* y = nullptr;            // y[c * y_stride + r]
  int64_t y_stride = 0;
};

// The activations of the panel kernels are prepared in groups of `col_group` columns, in a layout
// of the level's choosing (e.g. interleaved and chunked along K so the micro-kernel reads one
// sequential stream). Without act_bytes the kernel reads the float input in place (col_group 1,
// act = x, act_stride = x_stride * 4).
struct PanelKernel {
  Rounding rounding = Rounding::kNone;
  int panel_rows = 0;        // weight rows per panel
  size_t scratch_bytes = 0;  // per-thread scratch the panel function needs
  int col_group = 1;         // columns per prepared group; column splits are multiples
  // Bytes of the prepared activations of n_cols columns of k values.
  int64_t (*act_bytes)(int64_t k, int64_t n_cols) = nullptr;
  // Prepares columns x[0..n) (n <= col_group, rows x_stride floats apart) as group `group` of the
  // n_cols columns' activations at `base`.
  void (*prepare_group)(const float* x, int64_t x_stride, int n, int64_t k, int64_t group,
                        int64_t n_cols, uint8_t* base) = nullptr;
  // Columns [col_begin, col_end) of the output rows [row_begin, row_end) (whole panels, the last
  // one clipped to rows); row_begin is a multiple of panel_rows, col_begin of col_group. Runs
  // the K chunks outermost, so one chunk of the activations serves every panel of the range.
  void (*panel)(const PanelArgs& args, int64_t row_begin, int64_t row_end, int64_t col_begin,
                int64_t col_end, uint8_t* scratch) = nullptr;
};

// One (token, KV head) unit of attention: the n_head / n_head_kv query heads sharing the KV head.
struct AttentionArgs {
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  float scale = 0;
  const float* q = nullptr;  // [n_tokens, q_stride]
  int64_t q_stride = 0;
  // K and V rows: base + block_table[p / block_tokens] * block_stride + (p % block_tokens) *
  // token_stride + h * head_stride.
  const uint8_t* k_base = nullptr;
  const uint8_t* v_base = nullptr;
  bool k_f16 = false;
  bool v_f16 = false;
  int64_t block_tokens = 0;
  int64_t k_block_stride = 0, k_token_stride = 0, k_head_stride = 0;
  int64_t v_block_stride = 0, v_token_stride = 0, v_head_stride = 0;
  const int32_t* const* block_tables = nullptr;  // [n_tokens]
  const int32_t* positions = nullptr;            // [n_tokens]
  float* out = nullptr;                          // [n_tokens, out_stride]
  int64_t out_stride = 0;
};

// Floats of per-thread scratch an attention unit needs.
inline int64_t AttentionScratchFloats(int n_group, int head_dim) {
  // Per head: scores of a chunk of 64 keys, running max and sum, accumulators (head_dim padded to
  // 16); then the chunk's keys and values converted to float (64 x padded head_dim each).
  const int64_t padded = (head_dim + 15) / 16 * 16;
  return n_group * (64 + 2 + padded) + 2 * 64 * padded + 64;
}

struct KernelTable {
  IsaLevel level = IsaLevel::kScalar;
  StreamKernel stream[kNumMatTypes];
  PanelKernel panel[kNumMatTypes];  // panel[t].panel null: the streaming kernel serves every size

  void (*rms_norm)(const float* x, int64_t n, const float* weight, float eps, float* y) = nullptr;
  // Rotates the first n_dims dims of each of n_heads heads (head_dim apart) of one token;
  // cos_sin holds n_dims / 2 cosines then n_dims / 2 sines.
  void (*rope)(const float* cos_sin, int n_dims, bool neox, float* x, int n_heads,
               int head_dim) = nullptr;
  void (*swiglu)(const float* gate, const float* up, int64_t n, float* out) = nullptr;
  void (*silu)(const float* x, int64_t n, float* out) = nullptr;
  void (*add)(const float* a, const float* b, int64_t n, float* out) = nullptr;
  void (*mul)(const float* a, const float* b, int64_t n, float* out) = nullptr;
  void (*scale)(const float* x, float s, int64_t n, float* out) = nullptr;
  void (*softmax)(float* x, int64_t n) = nullptr;
  // Converts n floats to `f16` ? IEEE half : float32 at dst.
  void (*store_row)(const float* src, int64_t n, bool f16, void* dst) = nullptr;
  void (*attention)(const AttentionArgs& args, int64_t token, int kv_head,
                    float* scratch) = nullptr;
};

// MatMul over at least this many activation columns uses the panel kernels where a level has them
// (CpuKernels::kGemmMinTokens).
inline constexpr int64_t kPanelMinTokens = 32;

// True when MatMul over n_tokens columns of a `type` matrix uses the panel kernels.
bool UsesPanels(const KernelTable& table, int type, int64_t n_tokens);
// The rounding MatMul applies in that case.
Rounding MatMulRounding(const KernelTable& table, int type, int64_t n_tokens);

// Each level's translation units fill their part of a table. The AVX2 / AVX-512 fill functions
// may only run on CPUs of that level.
void FillScalarStream(KernelTable* table);
void FillScalarOps(KernelTable* table);
void FillAvx2Stream(KernelTable* table);
void FillAvx2Panels(KernelTable* table);
void FillAvx2Ops(KernelTable* table);
void FillAvx512Stream(KernelTable* table);
void FillAvx512Panels(KernelTable* table);
void FillAvx512Ops(KernelTable* table);

// The table of `level`. REQUIRES: IsaLevelSupported(level).
const KernelTable& GetKernelTable(IsaLevel level);

}  // namespace tokenfab::kernels::internal
