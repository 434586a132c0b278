#include "moe_feed_forward.h"

#include <algorithm>

namespace tokenfab::engine {
namespace {

// y = down(silu(gate x) * up x) for n rows of x (stride cols of gate); gate/up scratch [n, ff].
void SwiGluFfn(kernels::CpuKernels& k, const kernels::WeightMatrix& gate,
               const kernels::WeightMatrix& up, const kernels::WeightMatrix& down, const float* x,
               int64_t n, std::vector<float>& g, std::vector<float>& u, float* y) {
  const int64_t ff = gate.rows;
  const int64_t embd = gate.cols;
  if (static_cast<int64_t>(g.size()) < n * ff) {
    g.resize(n * ff);
    u.resize(n * ff);
  }
  k.MatMul(gate, x, embd, n, g.data(), ff);
  k.MatMul(up, x, embd, n, u.data(), ff);
  k.SwiGlu(g.data(), u.data(), n * ff, g.data());
  k.MatMul(down, g.data(), ff, n, y, down.rows);
}

}  // namespace

void MoeFeedForward::Run(kernels::CpuKernels& kernels, const model::MoeWeights& w, const float* x,
                         int64_t n, float* out) {
  const int64_t n_expert = config_.n_expert;
  const int64_t k = config_.n_expert_used;
  logits_.resize(n * n_expert);
  kernels.MatMul(w.router, x, n_embd_, n, logits_.data(), n_expert);
  RouteTokens(config_, logits_.data(), w.selection_bias, n, choices_);

  // Group the (token, expert) pairs by expert, tokens in batch order within an expert.
  counts_.assign(n_expert, 0);
  for (const ExpertChoice& c : choices_) ++counts_[c.expert];
  offsets_.assign(n_expert + 1, 0);
  for (int64_t e = 0; e < n_expert; ++e) offsets_[e + 1] = offsets_[e] + counts_[e];
  slots_.resize(n * k);
  slot_weights_.resize(n * k);
  std::vector<int64_t> fill(offsets_.begin(), offsets_.end() - 1);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t i = 0; i < k; ++i) {
      const ExpertChoice& c = choices_[t * k + i];
      slots_[fill[c.expert]] = static_cast<int32_t>(t);
      slot_weights_[fill[c.expert]++] = c.weight;
    }
  }

  std::fill_n(out, n * n_embd_, 0.0f);
  for (int32_t e = 0; e < n_expert; ++e) {
    if (counts_[e] > 0) RunExpert(kernels, w, e, x, out);
  }
  if (w.shared_gate.rows > 0) {
    ys_.resize(std::max<int64_t>(ys_.size(), n * n_embd_));
    SwiGluFfn(kernels, w.shared_gate, w.shared_up, w.shared_down, x, n, gate_, up_, ys_.data());
    kernels.Add(out, ys_.data(), n * n_embd_, out);
  }
}

void MoeFeedForward::RunExpert(kernels::CpuKernels& kernels, const model::MoeWeights& w,
                               int32_t expert, const float* x, float* out) {
  const int64_t begin = offsets_[expert];
  const int64_t m = counts_[expert];
  if (static_cast<int64_t>(xs_.size()) < m * n_embd_) xs_.resize(m * n_embd_);
  if (static_cast<int64_t>(ys_.size()) < m * n_embd_) ys_.resize(m * n_embd_);
  for (int64_t i = 0; i < m; ++i) {
    std::copy_n(x + slots_[begin + i] * n_embd_, n_embd_, xs_.data() + i * n_embd_);
  }
  SwiGluFfn(kernels, w.gate.At(expert), w.up.At(expert), w.down.At(expert), xs_.data(), m, gate_,
            up_, ys_.data());
  for (int64_t i = 0; i < m; ++i) {
    float* o = out + slots_[begin + i] * n_embd_;
    const float* y = ys_.data() + i * n_embd_;
    const float weight = slot_weights_[begin + i];
    for (int64_t j = 0; j < n_embd_; ++j) o[j] += weight * y[j];
  }
}

}  // namespace tokenfab::engine
