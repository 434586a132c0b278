#include "tokenfab/kernels/cpu_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/act_quant.h"
#include "kernels/kernel_table.h"
#include "tokenfab/base/check.h"
#include "tokenfab/kernels/quantize.h"

namespace tokenfab::kernels {
namespace {

using internal::KernelTable;

// Element-wise work below this many floats runs on the calling thread: waking the team costs more.
constexpr int64_t kParallelElements = 1 << 15;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

WeightMatrix WeightMatrix::Dense(GgmlType type, const void* data, int64_t cols, int64_t rows) {
  return WeightMatrix{type, data, cols, rows, GgmlRowBytes(type, cols)};
}

bool CanMatMul(GgmlType type) { return internal::MatTypeIndex(type) >= 0; }

RopeTable::RopeTable(const RopeParams& params, const int32_t* positions, int64_t n_tokens)
    : params_(params), n_tokens_(n_tokens) {
  TF_CHECK(params.n_dims > 0 && params.n_dims % 2 == 0) << "n_dims=" << params.n_dims;
  const int half = params.n_dims / 2;
  table_.resize(static_cast<size_t>(n_tokens) * params.n_dims);
  std::vector<double> theta(half);
  const double ramp_width =
      std::max(0.001, static_cast<double>(params.yarn_high - params.yarn_low));
  for (int i = 0; i < half; ++i) {
    double extrapolated = std::pow(static_cast<double>(params.freq_base), -2.0 * i / params.n_dims);
    if (params.freq_factors != nullptr) extrapolated /= params.freq_factors[i];
    theta[i] = extrapolated * params.freq_scale;
    if (params.ext_factor > 0.0f) {
      const double ramp = std::clamp((i - params.yarn_low) / ramp_width, 0.0, 1.0);
      const double mix = params.ext_factor * (1.0 - ramp);
      theta[i] = mix * extrapolated + (1.0 - mix) * theta[i];
    }
  }
  const double magnitude = params.magnitude;
  for (int64_t t = 0; t < n_tokens; ++t) {
    float* row = table_.data() + t * params.n_dims;
    for (int i = 0; i < half; ++i) {
      const double angle = positions[t] * theta[i];
      row[i] = static_cast<float>(std::cos(angle) * magnitude);
      row[half + i] = static_cast<float>(std::sin(angle) * magnitude);
    }
  }
  params_.freq_factors = nullptr;  // used above; not kept (the caller's array may go away)
}

CpuKernels::CpuKernels(int num_threads, IsaLevel level)
    : level_(level),
      table_(internal::GetKernelTable(level)),
      pool_(num_threads),
      per_thread_(num_threads) {}

CpuKernels::~CpuKernels() {
  Free(shared_);
  for (Buffer& buffer : per_thread_) Free(buffer);
}

uint8_t* CpuKernels::Reserve(Buffer& buffer, size_t bytes) {
  if (buffer.size < bytes) {
    Free(buffer);
    const size_t size = (std::max(bytes, buffer.size * 3 / 2) + 4095) & ~size_t{4095};
    buffer.data = static_cast<uint8_t*>(std::aligned_alloc(64, size));
    TF_CHECK(buffer.data != nullptr) << "out of memory for " << size << " bytes of scratch";
    buffer.size = size;
  }
  return buffer.data;
}

void CpuKernels::Free(Buffer& buffer) {
  std::free(buffer.data);
  buffer = Buffer{};
}

uint8_t* CpuKernels::SharedScratch(size_t bytes) { return Reserve(shared_, bytes); }

uint8_t* CpuKernels::ThreadScratch(int thread, size_t bytes) {
  return Reserve(per_thread_[thread], bytes);
}

void CpuKernels::MatMul(const WeightMatrix& w, const float* x, int64_t x_stride, int64_t n_tokens,
                        float* y, int64_t y_stride, const float* bias) {
  const int type = internal::MatTypeIndex(w.type);
  TF_CHECK(type >= 0) << "MatMul does not handle " << GetGgmlTypeInfo(w.type).name;
  TF_CHECK(w.cols % GetGgmlTypeInfo(w.type).block_elements == 0)
      << w.cols << " columns do not fill whole " << GetGgmlTypeInfo(w.type).name << " blocks";
  if (n_tokens <= 0 || w.rows <= 0) return;
  static_assert(kGemmMinTokens == internal::kPanelMinTokens);
  if (matmul_path_ == MatMulPath::kBySize && internal::UsesPanels(table_, type, n_tokens)) {
    MatMulPanels(w, x, x_stride, n_tokens, y, y_stride);
  } else {
    // A streaming call takes fewer than kGemmMinTokens columns (its accumulators live in
    // registers and on the stack); wider batches (kStreamingOnly) go through in slices.
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kGemmMinTokens - 1) {
      const int64_t n = std::min(kGemmMinTokens - 1, n_tokens - t0);
      MatMulStreaming(w, x + t0 * x_stride, x_stride, n, y + t0 * y_stride, y_stride);
    }
  }
  if (bias != nullptr) {
    auto add_bias = [&](int64_t t) {
      table_.add(y + t * y_stride, bias, w.rows, y + t * y_stride);
    };
    if (n_tokens * w.rows < kParallelElements) {
      for (int64_t t = 0; t < n_tokens; ++t) add_bias(t);
    } else {
      pool_.Run(n_tokens, [&](int64_t t, int) { add_bias(t); });
    }
  }
}

void CpuKernels::MatMulStreaming(const WeightMatrix& w, const float* x, int64_t x_stride,
                                 int64_t n_tokens, float* y, int64_t y_stride) {
  const internal::StreamKernel& kernel = table_.stream[internal::MatTypeIndex(w.type)];
  internal::StreamArgs args;
  args.w = static_cast<const uint8_t*>(w.data);
  args.row_bytes = w.row_bytes;
  args.k = w.cols;
  args.n_cols = n_tokens;
  args.y = y;
  args.y_stride = y_stride;
  if (kernel.act_bytes == nullptr) {
    args.act = reinterpret_cast<const uint8_t*>(x);
    args.act_stride = x_stride * static_cast<int64_t>(sizeof(float));
  } else {
    const int64_t stride = internal::RoundUp64(kernel.act_bytes(w.cols));
    uint8_t* act = SharedScratch(static_cast<size_t>(stride * n_tokens));
    for (int64_t t = 0; t < n_tokens; ++t)
      kernel.prepare(x + t * x_stride, w.cols, act + t * stride);
    args.act = act;
    args.act_stride = stride;
  }
  // Row chunks: several per thread so a delayed thread is covered by the others, each long
  // enough (>= 16 rows) to stream well.
  const int threads = pool_.num_threads();
  const int64_t chunk = threads == 1 ? w.rows : std::max<int64_t>(16, CeilDiv(w.rows, 4 * threads));
  const int64_t n_chunks = CeilDiv(w.rows, chunk);
  pool_.Run(n_chunks, [&](int64_t task, int) {
    const int64_t begin = task * chunk;
    kernel.rows(args, begin, std::min(w.rows, begin + chunk));
  });
}

void CpuKernels::MatMulPanels(const WeightMatrix& w, const float* x, int64_t x_stride,
                              int64_t n_tokens, float* y, int64_t y_stride) {
  const int type = internal::MatTypeIndex(w.type);
  const internal::PanelKernel& kernel = table_.panel[type];
  const int threads = pool_.num_threads();
  for (int t = 0; t < threads; ++t) ThreadScratch(t, kernel.scratch_bytes);
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  int64_t act_stride = x_stride * static_cast<int64_t>(sizeof(float));
  const int64_t group = kernel.col_group;
  if (kernel.act_bytes != nullptr) {
    // Prepare the activations once, in the kernel's column groups, a few groups per task.
    uint8_t* prepared = SharedScratch(static_cast<size_t>(kernel.act_bytes(w.cols, n_tokens)));
    const int64_t n_groups = CeilDiv(n_tokens, group);
    const int64_t per_task = std::max<int64_t>(1, CeilDiv(n_groups, 2 * threads));
    pool_.Run(CeilDiv(n_groups, per_task), [&](int64_t task, int) {
      for (int64_t g = task * per_task; g < std::min(n_groups, (task + 1) * per_task); ++g) {
        kernel.prepare_group(x + g * group * x_stride, x_stride,
                             static_cast<int>(std::min(group, n_tokens - g * group)), w.cols, g,
                             n_tokens, prepared);
      }
    });
    act = prepared;
  }

  internal::PanelArgs args;
  args.type = type;
  args.w = static_cast<const uint8_t*>(w.data);
  args.row_bytes = w.row_bytes;
  args.rows = w.rows;
  args.k = w.cols;
  args.act = act;
  args.act_stride = act_stride;
  args.n_cols = n_tokens;
  args.y = y;
  args.y_stride = y_stride;
  // Long rows (K > 4096) run a few consecutive panels per task, which walk K together so that one
  // chunk of the activations (else read from L3 or memory) serves all of them; short rows one
  // panel per task (measured faster: the outputs of one panel stay in L2). Only when there are
  // fewer panels than threads are the columns split too (each split decodes its panels again).
  const int64_t n_panels = CeilDiv(w.rows, kernel.panel_rows);
  const int64_t panels_per_task =
      w.cols > 4096 ? std::clamp<int64_t>(n_panels / (4 * threads), 1, 4) : 1;
  const int64_t n_row_tasks = CeilDiv(n_panels, panels_per_task);
  const int64_t col_splits = n_panels >= threads ? 1
                                                 : std::clamp<int64_t>(CeilDiv(threads, n_panels),
                                                                       1, CeilDiv(n_tokens, 16));
  const int64_t col_chunk = CeilDiv(CeilDiv(n_tokens, col_splits), group) * group;
  pool_.Run(n_row_tasks * col_splits, [&](int64_t task, int thread) {
    const int64_t rows_task = task / col_splits, split = task % col_splits;
    const int64_t row_begin = rows_task * panels_per_task * kernel.panel_rows;
    const int64_t row_end = std::min(w.rows, row_begin + panels_per_task * kernel.panel_rows);
    const int64_t col_begin = split * col_chunk;
    const int64_t col_end = std::min(n_tokens, col_begin + col_chunk);
    if (col_begin >= col_end) return;
    kernel.panel(args, row_begin, row_end, col_begin, col_end, per_thread_[thread].data);
  });
}

void CpuKernels::GetRows(const WeightMatrix& w, const int32_t* ids, int64_t n, float* out,
                         int64_t out_stride) {
  for (int64_t i = 0; i < n; ++i) {
    TF_CHECK(ids[i] >= 0 && ids[i] < w.rows) << "row " << ids[i] << " of " << w.rows;
    DequantizeRow(w.type, static_cast<const uint8_t*>(w.data) + ids[i] * w.row_bytes,
                  out + i * out_stride, w.cols);
  }
}

void CpuKernels::RmsNorm(const float* x, int64_t x_stride, int64_t n_rows, int64_t n,
                         const float* weight, float eps, float* y, int64_t y_stride) {
  auto row = [&](int64_t r) {
    table_.rms_norm(x + r * x_stride, n, weight, eps, y + r * y_stride);
  };
  if (n_rows * n < kParallelElements) {
    for (int64_t r = 0; r < n_rows; ++r) row(r);
  } else {
    pool_.Run(n_rows, [&](int64_t r, int) { row(r); });
  }
}

void CpuKernels::Rope(const RopeTable& table, float* x, int64_t token_stride, int64_t n_tokens,
                      int n_heads, int head_dim) {
  const RopeParams& params = table.params();
  TF_CHECK(params.n_dims <= head_dim) << params.n_dims << " > " << head_dim;
  TF_CHECK(n_tokens <= table.n_tokens()) << n_tokens << " > " << table.n_tokens();
  const bool neox = params.style == RopeParams::Style::kNeox;
  auto token = [&](int64_t t) {
    table_.rope(table.cos_sin(t), params.n_dims, neox, x + t * token_stride, n_heads, head_dim);
  };
  if (n_tokens * n_heads * head_dim < kParallelElements) {
    for (int64_t t = 0; t < n_tokens; ++t) token(t);
  } else {
    pool_.Run(n_tokens, [&](int64_t t, int) { token(t); });
  }
}

namespace {

// Runs fn(begin, end) over [0, n) on the pool when n is large, else inline.
template <typename Fn>
void ElementWise(ComputePool& pool, int64_t n, Fn fn) {
  if (n < kParallelElements || pool.num_threads() == 1) {
    fn(0, n);
    return;
  }
  const int64_t chunk = (CeilDiv(n, 2 * pool.num_threads()) + 15) & ~int64_t{15};
  pool.Run(CeilDiv(n, chunk), [&](int64_t task, int) {
    const int64_t begin = task * chunk;
    fn(begin, std::min(n, begin + chunk));
  });
}

}  // namespace

void CpuKernels::SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  ElementWise(pool_, n,
              [&](int64_t b, int64_t e) { table_.swiglu(gate + b, up + b, e - b, out + b); });
}

void CpuKernels::Silu(const float* x, int64_t n, float* out) {
  ElementWise(pool_, n, [&](int64_t b, int64_t e) { table_.silu(x + b, e - b, out + b); });
}

void CpuKernels::Add(const float* a, const float* b, int64_t n, float* out) {
  ElementWise(pool_, n, [&](int64_t s, int64_t e) { table_.add(a + s, b + s, e - s, out + s); });
}

void CpuKernels::Mul(const float* a, const float* b, int64_t n, float* out) {
  ElementWise(pool_, n, [&](int64_t s, int64_t e) { table_.mul(a + s, b + s, e - s, out + s); });
}

void CpuKernels::Scale(const float* x, float s, int64_t n, float* out) {
  ElementWise(pool_, n, [&](int64_t b, int64_t e) { table_.scale(x + b, s, e - b, out + b); });
}

void CpuKernels::Softmax(float* x, int64_t stride, int64_t n_rows, int64_t n) {
  if (n_rows * n < kParallelElements) {
    for (int64_t r = 0; r < n_rows; ++r) table_.softmax(x + r * stride, n);
  } else {
    pool_.Run(n_rows, [&](int64_t r, int) { table_.softmax(x + r * stride, n); });
  }
}

void CpuKernels::WriteKv(const KvCacheView& view, const KvBatch& batch, const float* src,
                         int64_t src_stride, int n_head_kv, int head_dim) {
  TF_CHECK(view.type == GgmlType::kF32 || view.type == GgmlType::kF16)
      << "KV type " << GetGgmlTypeInfo(view.type).name;
  const bool f16 = view.type == GgmlType::kF16;
  auto token = [&](int64_t t) {
    for (int h = 0; h < n_head_kv; ++h) {
      table_.store_row(src + t * src_stride + static_cast<int64_t>(h) * head_dim, head_dim, f16,
                       view.Row(batch.block_tables[t], batch.positions[t], h));
    }
  };
  if (batch.n_tokens * n_head_kv * head_dim < kParallelElements) {
    for (int64_t t = 0; t < batch.n_tokens; ++t) token(t);
  } else {
    pool_.Run(batch.n_tokens, [&](int64_t t, int) { token(t); });
  }
}

void CpuKernels::Attention(const AttentionShape& shape, const float* q, int64_t q_stride,
                           const KvCacheView& k, const KvCacheView& v, const KvBatch& batch,
                           float* out, int64_t out_stride) {
  TF_CHECK(shape.n_head_kv > 0 && shape.n_head % shape.n_head_kv == 0)
      << "n_head=" << shape.n_head << " n_head_kv=" << shape.n_head_kv;
  TF_CHECK(k.block_tokens == v.block_tokens && k.block_tokens > 0)
      << "K and V blocks hold " << k.block_tokens << " and " << v.block_tokens << " tokens";
  for (const KvCacheView* view : {&k, &v}) {
    TF_CHECK(view->type == GgmlType::kF32 || view->type == GgmlType::kF16)
        << "KV type " << GetGgmlTypeInfo(view->type).name;
  }
  internal::AttentionArgs args;
  args.n_head = shape.n_head;
  args.n_head_kv = shape.n_head_kv;
  args.head_dim = shape.head_dim;
  args.scale =
      shape.scale != 0 ? shape.scale : 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  args.q = q;
  args.q_stride = q_stride;
  args.k_base = static_cast<const uint8_t*>(k.base);
  args.v_base = static_cast<const uint8_t*>(v.base);
  args.k_f16 = k.type == GgmlType::kF16;
  args.v_f16 = v.type == GgmlType::kF16;
  args.block_tokens = k.block_tokens;
  args.k_block_stride = k.block_stride;
  args.k_token_stride = k.token_stride;
  args.k_head_stride = k.head_stride;
  args.v_block_stride = v.block_stride;
  args.v_token_stride = v.token_stride;
  args.v_head_stride = v.head_stride;
  args.block_tables = batch.block_tables;
  args.positions = batch.positions;
  args.out = out;
  args.out_stride = out_stride;
  const size_t scratch = static_cast<size_t>(internal::AttentionScratchFloats(
                             shape.n_head / shape.n_head_kv, shape.head_dim)) *
                         sizeof(float);
  for (int t = 0; t < pool_.num_threads(); ++t) ThreadScratch(t, scratch);
  pool_.Run(batch.n_tokens * shape.n_head_kv, [&](int64_t task, int thread) {
    table_.attention(args, task / shape.n_head_kv, static_cast<int>(task % shape.n_head_kv),
                     reinterpret_cast<float*>(per_thread_[thread].data));
  });
}

}  // namespace tokenfab::kernels
