#include "tokenfab/engine/forward_batch.h"

namespace tokenfab::engine {

void ForwardBatch::Clear() {
  tokens_.clear();
  positions_.clear();
  block_tables_.clear();
  logit_rows_.clear();
}

void ForwardBatch::Add(int32_t token, int32_t position, const int32_t* block_table,
                       bool want_logits) {
  if (want_logits) logit_rows_.push_back(static_cast<int32_t>(tokens_.size()));
  tokens_.push_back(token);
  positions_.push_back(position);
  block_tables_.push_back(block_table);
}

}  // namespace tokenfab::engine
