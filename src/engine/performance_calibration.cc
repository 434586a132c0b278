// CalibratePerformanceModel (performance_model.h): times a real runner on a few batch shapes and
// fits the performance model's coefficients.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "tokenfab/engine/forward_batch.h"
#include "tokenfab/engine/performance_model.h"

namespace tokenfab::engine {
namespace {

struct Shape {
  int64_t prefill = 0;  // tokens of one prompt, from position 0
  int64_t decode = 0;   // sequences decoding one token each
  int64_t context = 0;  // tokens before each decode token (a multiple of the block size)
};

// Solves the weighted least squares min sum w_i (x . a_i - y_i)^2 over x >= 0 by dropping
// negative coefficients one at a time (4 unknowns: exhaustive enough).
std::array<double, 4> FitNonNegative(const std::vector<std::array<double, 4>>& rows,
                                     const std::vector<double>& y, const std::vector<double>& w) {
  std::array<bool, 4> active = {true, true, true, true};
  std::array<double, 4> x{};
  for (int round = 0; round < 4; ++round) {
    std::array<int, 4> idx{};
    int n = 0;
    for (int j = 0; j < 4; ++j) {
      if (active[j]) idx[n++] = j;
    }
    // Normal equations, Gaussian elimination with partial pivoting.
    double m[4][5] = {};
    for (size_t i = 0; i < rows.size(); ++i) {
      for (int r = 0; r < n; ++r) {
        for (int c = 0; c < n; ++c) m[r][c] += w[i] * rows[i][idx[r]] * rows[i][idx[c]];
        m[r][n] += w[i] * rows[i][idx[r]] * y[i];
      }
    }
    for (int r = 0; r < n; ++r) m[r][r] += 1e-12;  // keeps unused terms solvable
    for (int c = 0; c < n; ++c) {
      int pivot = c;
      for (int r = c + 1; r < n; ++r) {
        if (std::abs(m[r][c]) > std::abs(m[pivot][c])) pivot = r;
      }
      for (int k = 0; k <= n; ++k) std::swap(m[c][k], m[pivot][k]);
      for (int r = 0; r < n; ++r) {
        if (r == c || m[c][c] == 0) continue;
        const double f = m[r][c] / m[c][c];
        for (int k = c; k <= n; ++k) m[r][k] -= f * m[c][k];
      }
    }
    x = {};
    int most_negative = -1;
    for (int r = 0; r < n; ++r) {
      x[idx[r]] = m[r][r] == 0 ? 0 : m[r][n] / m[r][r];
      if (x[idx[r]] < 0 && (most_negative < 0 || x[idx[r]] < x[most_negative])) {
        most_negative = idx[r];
      }
    }
    if (most_negative < 0) return x;
    active[most_negative] = false;
  }
  for (double& v : x) v = std::max(v, 0.0);
  return x;
}

// Where the calibration puts its tokens. Blocks [0, max_context / block) hold a common prefix
// that every decoding sequence reads; each decoding sequence writes its token into a block of
// its own after it; a prefill uses blocks from there on (not the decodes' when both run).
struct Layout {
  int64_t block = 0;                   // tokens per block
  int64_t max_context = 0;             // tokens of the shared prefix (a multiple of `block`)
  int64_t max_decode = 0;              // decoding sequences at most
  int64_t max_prefill = 0;             // prefill tokens at most
  std::vector<int32_t> shared_table;   // every block, in order
  std::vector<int32_t> prefill_table;  // the blocks after the shared prefix
  std::vector<std::vector<int32_t>> decode_tables;  // per decoding sequence, filled per shape
};

StatusOr<Layout> PlanLayout(const KvCacheShape& kv_shape) {
  Layout layout;
  layout.block = kv_shape.block_tokens;
  const int64_t bs = layout.block;
  const int64_t capacity = kv_shape.n_blocks * bs;
  if (capacity < 64) {
    return absl::FailedPreconditionError(
        fmt::format("calibration needs a KV cache of at least 64 tokens, not {}", capacity));
  }
  layout.max_context = std::min<int64_t>(512, (capacity / 2) / bs * bs);
  const int64_t own_blocks = kv_shape.n_blocks - layout.max_context / bs;
  layout.max_decode = std::min<int64_t>(32, own_blocks);
  layout.max_prefill = std::min<int64_t>(512, own_blocks * bs);
  if (layout.max_context < bs || layout.max_decode < 1 || layout.max_prefill < 1) {
    return absl::FailedPreconditionError("the KV cache is too small to calibrate on");
  }
  layout.shared_table.resize(static_cast<size_t>(kv_shape.n_blocks));
  std::iota(layout.shared_table.begin(), layout.shared_table.end(), 0);
  layout.prefill_table.assign(layout.shared_table.begin() + layout.max_context / bs,
                              layout.shared_table.end());
  layout.decode_tables.resize(static_cast<size_t>(layout.max_decode));
  return layout;
}

// Prefills alone, decodes alone over two context lengths, and one mixed step.
std::vector<Shape> CalibrationShapes(const Layout& layout) {
  const int64_t bs = layout.block;
  std::vector<Shape> shapes;
  for (int64_t p : {32, 128, 256, 512}) {
    if (p <= layout.max_prefill) shapes.push_back({p, 0, 0});
  }
  for (int64_t c : {int64_t{128}, int64_t{512}}) {
    const int64_t ctx = std::min(c, layout.max_context) / bs * bs;
    for (int64_t s : {1, 4, 16, 32}) {
      if (s <= layout.max_decode) shapes.push_back({0, s, ctx});
    }
  }
  shapes.push_back({std::min<int64_t>(128, layout.max_prefill),
                    std::min<int64_t>(8, layout.max_decode),
                    std::min<int64_t>(256, layout.max_context) / bs * bs});
  return shapes;
}

// Writes the shared prefix once, so decodes attend over real values.
Status WriteSharedPrefix(ModelRunner& runner, const Layout& layout, ForwardBatch& batch,
                         std::vector<float>& logits) {
  for (int64_t begin = 0; begin < layout.max_context; begin += 256) {
    batch.Clear();
    for (int64_t p = begin; p < std::min(layout.max_context, begin + 256); ++p) {
      batch.Add(static_cast<int32_t>(p % 100 + 10), static_cast<int32_t>(p),
                layout.shared_table.data(), false);
    }
    TF_RETURN_IF_ERROR(runner.Forward(batch, logits));
  }
  return absl::OkStatus();
}

// Fills `batch` with `shape`'s tokens; false when its prefill does not fit next to its decodes.
bool BuildBatch(const Shape& shape, Layout& layout, ForwardBatch& batch) {
  const int64_t bs = layout.block;
  batch.Clear();
  for (int64_t s = 0; s < shape.decode; ++s) {
    std::vector<int32_t>& table = layout.decode_tables[static_cast<size_t>(s)];
    table.assign(layout.shared_table.begin(), layout.shared_table.begin() + shape.context / bs);
    table.push_back(static_cast<int32_t>(layout.max_context / bs + s));
    batch.Add(static_cast<int32_t>(s + 20), static_cast<int32_t>(shape.context), table.data(),
              true);
  }
  // A prefill next to decodes uses the blocks after theirs.
  const int64_t first_prefill_block = shape.decode > 0 ? layout.max_decode : 0;
  if (shape.prefill > 0 && first_prefill_block + (shape.prefill + bs - 1) / bs >
                               static_cast<int64_t>(layout.prefill_table.size())) {
    return false;
  }
  const int32_t* prefill_blocks = layout.prefill_table.data() + first_prefill_block;
  for (int64_t p = 0; p < shape.prefill; ++p) {
    batch.Add(static_cast<int32_t>(p % 100 + 10), static_cast<int32_t>(p), prefill_blocks,
              p == shape.prefill - 1);
  }
  return true;
}

// The fastest of `repetitions` timed forward passes of `batch`, after one warm-up pass.
StatusOr<double> BestMicros(ModelRunner& runner, const ForwardBatch& batch,
                            const base::Clock& clock, int repetitions, std::vector<float>& logits) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < repetitions + 1; ++r) {
    const int64_t start = clock.NowMicros();
    TF_RETURN_IF_ERROR(runner.Forward(batch, logits));
    if (r > 0) best = std::min(best, static_cast<double>(clock.NowMicros() - start));
  }
  return std::max(best, 1.0);
}

// Fits result->model to result->points (least squares on the relative error) and records the
// worst relative error of the fit.
void FitModel(CalibrationResult& result) {
  std::vector<std::array<double, 4>> rows;
  std::vector<double> y;
  std::vector<double> w;
  for (const CalibrationPoint& p : result.points) {
    rows.push_back({1.0, static_cast<double>(p.prefill_tokens),
                    static_cast<double>(p.decode_sequences), static_cast<double>(p.kv_tokens)});
    y.push_back(p.micros);
    w.push_back(1.0 / (p.micros * p.micros));  // relative error
  }
  const std::array<double, 4> x = FitNonNegative(rows, y, w);
  result.model.base_us = x[0];
  result.model.per_prefill_token_us = x[1];
  result.model.per_decode_sequence_us = x[2];
  result.model.per_kv_token_us = x[3];
  for (const CalibrationPoint& p : result.points) {
    const double predicted =
        result.model.StepMicros(p.prefill_tokens, p.decode_sequences, p.kv_tokens);
    result.max_relative_error =
        std::max(result.max_relative_error, std::abs(predicted - p.micros) / p.micros);
  }
}

}  // namespace

KvCacheShape CalibrationKvShape(const model::ModelConfig& config, kernels::GgmlType kv_type) {
  constexpr int64_t kBlockTokens = 16;
  const int64_t tokens = std::min<int64_t>(config.n_ctx_train, 4096);
  return KvCacheShape::ForModel(config, kBlockTokens, std::max<int64_t>(4, tokens / kBlockTokens),
                                kv_type);
}

StatusOr<CalibrationResult> CalibratePerformanceModel(ModelRunner& runner,
                                                      const KvCacheShape& kv_shape,
                                                      const base::Clock& clock, int repetitions) {
  TF_ASSIGN_OR_RETURN(Layout layout, PlanLayout(kv_shape));
  if (repetitions < 1) return absl::InvalidArgumentError("repetitions must be at least 1");
  ForwardBatch batch;
  std::vector<float> logits;
  TF_RETURN_IF_ERROR(WriteSharedPrefix(runner, layout, batch, logits));
  CalibrationResult result;
  for (const Shape& shape : CalibrationShapes(layout)) {
    if (!BuildBatch(shape, layout, batch)) continue;
    TF_ASSIGN_OR_RETURN(const double micros, BestMicros(runner, batch, clock, repetitions, logits));
    CalibrationPoint point;
    point.prefill_tokens = shape.prefill;
    point.decode_sequences = shape.decode;
    point.kv_tokens = shape.decode * (shape.context + 1) + shape.prefill * (shape.prefill + 1) / 2;
    point.micros = micros;
    result.points.push_back(point);
  }
  FitModel(result);
  return result;
}

}  // namespace tokenfab::engine
