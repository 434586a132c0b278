// ForwardBatch: the token positions one forward pass computes, from one or several sequences
// (chunks of prompts being prefilled and single decode tokens, mixed), and which of them need
// logits. Built by the scheduler (or by `generate`), read by the ModelRunner.
//
// Ownership: copies token ids and positions; the block tables are NOT owned: each token points
// to its sequence's block table, which must stay unchanged until the forward pass returns.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace tokenfab::engine {

class ForwardBatch {
 public:
  void Clear();
  // Appends one token at `position` of the sequence whose block table is `block_table`; with
  // `want_logits`, its logits row is produced (rows come out in the order they were added).
  void Add(int32_t token, int32_t position, const int32_t* block_table, bool want_logits);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  bool empty() const { return tokens_.empty(); }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const std::vector<int32_t>& positions() const { return positions_; }
  const std::vector<const int32_t*>& block_tables() const { return block_tables_; }
  // Indices into the batch of the tokens that want logits, in order.
  const std::vector<int32_t>& logit_rows() const { return logit_rows_; }

 private:
  std::vector<int32_t> tokens_;
  std::vector<int32_t> positions_;
  std::vector<const int32_t*> block_tables_;
  std::vector<int32_t> logit_rows_;
};

}  // namespace tokenfab::engine
