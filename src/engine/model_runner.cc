#include "tokenfab/engine/model_runner.h"

#include <fmt/format.h>

#include "latent_attention.h"
#include "moe_feed_forward.h"
#include "tokenfab/base/check.h"

namespace tokenfab::engine {

namespace {}  // namespace

ModelRunner::ModelRunner(const model::Model& model, const KvCacheStorage& kv, int num_threads,
                         kernels::IsaLevel level)
    : model_(model), config_(model.config()), kv_(kv), kernels_(num_threads, level) {
  const KvCacheShape& shape = kv.shape();
  TF_CHECK(shape.n_layer == config_.n_layer && shape.n_head_kv == config_.n_head_kv &&
           shape.head_dim == config_.head_dim &&
           shape.value_head_dim() == config_.kv_value_head_dim())
      << "KV cache shape does not match the model";
  if (config_.mla.enabled()) latent_ = std::make_unique<LatentAttention>(config_);
  if (config_.moe.enabled()) moe_ = std::make_unique<MoeFeedForward>(config_.moe, config_.n_embd);
}

ModelRunner::~ModelRunner() = default;

void ModelRunner::Reserve(int64_t n) {
  if (n <= capacity_) return;
  capacity_ = n;
  x_.resize(n * config_.n_embd);
  h_.resize(n * config_.n_embd);
  if (!config_.mla.enabled()) {
    q_.resize(n * config_.q_dim());
    k_.resize(n * config_.kv_dim());
    v_.resize(n * config_.kv_dim());
    att_.resize(n * config_.q_dim());
  }
  if (config_.moe.n_dense_lead > 0 || !config_.moe.enabled()) {
    gate_.resize(n * config_.n_ff);
    up_.resize(n * config_.n_ff);
  }
  if (config_.moe.enabled()) ffn_.resize(n * config_.n_embd);
}

Status ModelRunner::Forward(const ForwardBatch& batch, std::vector<float>& logits) {
  const int64_t n = batch.size();
  const int64_t n_out = static_cast<int64_t>(batch.logit_rows().size());
  logits.resize(n_out * config_.n_vocab);
  if (n == 0) return absl::OkStatus();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t token = batch.tokens()[i];
    if (token < 0 || token >= config_.n_vocab) {
      return absl::InvalidArgumentError(
          fmt::format("token id {} is outside the vocabulary of {}", token, config_.n_vocab));
    }
    if (batch.positions()[i] < 0) {
      return absl::InvalidArgumentError(fmt::format("negative position {}", batch.positions()[i]));
    }
  }
  Reserve(n);
  const model::ModelWeights& w = model_.weights();
  const int64_t n_embd = config_.n_embd;
  kernels_.GetRows(w.token_embd(), batch.tokens().data(), n, x_.data(), n_embd);

  const kernels::RopeParams rope_params = config_.rope_params();
  const kernels::RopeTable rope(rope_params, batch.positions().data(), n);
  kernels::KvBatch kv_batch;
  kv_batch.n_tokens = n;
  kv_batch.block_tables = batch.block_tables().data();
  kv_batch.positions = batch.positions().data();

  for (int64_t layer = 0; layer < config_.n_layer; ++layer) Layer(layer, kv_batch, rope, n);

  // Only the rows that want logits go through the final norm and the (large) output matrix.
  for (int64_t i = 0; i < n_out; ++i) {
    const int64_t row = batch.logit_rows()[i];
    std::copy_n(x_.data() + row * n_embd, n_embd, h_.data() + i * n_embd);
  }
  kernels_.RmsNorm(h_.data(), n_embd, n_out, n_embd, w.output_norm(), config_.rms_eps, h_.data(),
                   n_embd);
  kernels_.MatMul(w.output(), h_.data(), n_embd, n_out, logits.data(), config_.n_vocab);
  return absl::OkStatus();
}

void ModelRunner::Layer(int64_t layer, const kernels::KvBatch& kv_batch,
                        const kernels::RopeTable& rope, int64_t n) {
  const model::LayerWeights& l = model_.weights().layers()[layer];
  const int64_t embd = config_.n_embd;
  float* x = x_.data();
  float* h = h_.data();
  kernels_.RmsNorm(x, embd, n, embd, l.attn_norm, config_.rms_eps, h, embd);
  if (latent_) {
    latent_->Run(kernels_, l, rope, kv_.Keys(layer), kv_batch, h, n, h);
  } else {
    Attention(l, layer, kv_batch, rope, n);
  }
  kernels_.Add(x, h, n * embd, x);
  kernels_.RmsNorm(x, embd, n, embd, l.ffn_norm, config_.rms_eps, h, embd);
  FeedForward(l, n);
  kernels_.Add(x, h, n * embd, x);
}

void ModelRunner::Attention(const model::LayerWeights& l, int64_t layer,
                            const kernels::KvBatch& kv_batch, const kernels::RopeTable& rope,
                            int64_t n) {
  const int64_t embd = config_.n_embd;
  const int64_t q_dim = config_.q_dim();
  const int64_t kv_dim = config_.kv_dim();
  float* h = h_.data();
  kernels_.MatMul(l.wq, h, embd, n, q_.data(), q_dim, l.bq);
  kernels_.MatMul(l.wk, h, embd, n, k_.data(), kv_dim, l.bk);
  kernels_.MatMul(l.wv, h, embd, n, v_.data(), kv_dim, l.bv);
  const int head_dim = static_cast<int>(config_.head_dim);
  const int n_head = static_cast<int>(config_.n_head);
  const int n_head_kv = static_cast<int>(config_.n_head_kv);
  if (l.q_norm != nullptr) {  // QK-norm: every head of every token, before RoPE
    kernels_.RmsNorm(q_.data(), head_dim, n * n_head, head_dim, l.q_norm, config_.rms_eps,
                     q_.data(), head_dim);
    kernels_.RmsNorm(k_.data(), head_dim, n * n_head_kv, head_dim, l.k_norm, config_.rms_eps,
                     k_.data(), head_dim);
  }
  kernels_.Rope(rope, q_.data(), q_dim, n, n_head, head_dim);
  kernels_.Rope(rope, k_.data(), kv_dim, n, n_head_kv, head_dim);
  const kernels::KvCacheView keys = kv_.Keys(layer);
  const kernels::KvCacheView values = kv_.Values(layer);
  kernels_.WriteKv(keys, kv_batch, k_.data(), kv_dim, n_head_kv, head_dim);
  kernels_.WriteKv(values, kv_batch, v_.data(), kv_dim, n_head_kv, head_dim);
  const kernels::AttentionShape shape{n_head, n_head_kv, head_dim, 0.0f};
  kernels_.Attention(shape, q_.data(), q_dim, keys, values, kv_batch, att_.data(), q_dim);
  kernels_.MatMul(l.wo, att_.data(), q_dim, n, h, embd);
}

void ModelRunner::FeedForward(const model::LayerWeights& l, int64_t n) {
  const int64_t embd = config_.n_embd;
  float* h = h_.data();
  if (l.is_moe) {
    moe_->Run(kernels_, l.moe, h, n, ffn_.data());
    if (expert_trace_ != nullptr) {
      for (const ExpertChoice& c : moe_->choices()) expert_trace_->push_back(c.expert);
    }
    std::copy_n(ffn_.data(), n * embd, h);
    return;
  }
  const int64_t ff = config_.n_ff;
  kernels_.MatMul(l.w_gate, h, embd, n, gate_.data(), ff);
  kernels_.MatMul(l.w_up, h, embd, n, up_.data(), ff);
  kernels_.SwiGlu(gate_.data(), up_.data(), n * ff, gate_.data());
  kernels_.MatMul(l.w_down, gate_.data(), ff, n, h, embd);
}

}  // namespace tokenfab::engine
