#include "prefix_index.h"

#include <algorithm>

#include "tokenfab/base/check.h"

namespace tokenfab::routing {
namespace {

template <typename Holders>
auto FindHolder(Holders& holders, uint64_t upstream) {
  return std::lower_bound(holders.begin(), holders.end(), upstream,
                          [](const auto& h, uint64_t u) { return h.upstream < u; });
}

}  // namespace

PrefixIndex::PrefixIndex(size_t max_entries) : max_entries_(max_entries) {
  TF_CHECK(max_entries_ >= 1);
}

void PrefixIndex::MatchPrefix(std::span<const uint64_t> chain, std::vector<Match>& out) const {
  out.clear();
  if (chain.empty()) return;
  auto it = blocks_.find(chain[0]);
  if (it == blocks_.end()) return;
  for (const Holder& h : it->second) out.push_back({h.upstream, 1});
  for (uint32_t i = 1; i < chain.size(); ++i) {
    it = blocks_.find(chain[i]);
    if (it == blocks_.end()) break;
    const Holders& holders = it->second;
    // Both lists are sorted by upstream: one merge walk advances every match still running.
    bool advanced = false;
    auto h = holders.begin();
    for (Match& m : out) {
      if (m.blocks != i) continue;
      while (h != holders.end() && h->upstream < m.upstream) ++h;
      if (h != holders.end() && h->upstream == m.upstream) {
        m.blocks = i + 1;
        advanced = true;
      }
    }
    if (!advanced) break;
  }
}

void PrefixIndex::Insert(std::span<const uint64_t> chain, uint64_t upstream) {
  for (size_t i = chain.size(); i-- > 0;) {
    Holders& holders = blocks_[chain[i]];
    auto h = FindHolder(holders, upstream);
    if (h != holders.end() && h->upstream == upstream) {
      lru_.splice(lru_.begin(), lru_, h->entry);
    } else {
      lru_.push_front({chain[i], upstream});
      holders.insert(h, Holder{upstream, lru_.begin()});
    }
  }
  while (lru_.size() > max_entries_) EvictOldest();
}

void PrefixIndex::EvictOldest() {
  const Entry& oldest = lru_.back();
  auto it = blocks_.find(oldest.block);
  TF_CHECK(it != blocks_.end());
  Holders& holders = it->second;
  auto h = FindHolder(holders, oldest.upstream);
  TF_CHECK(h != holders.end() && h->upstream == oldest.upstream);
  holders.erase(h);
  if (holders.empty()) blocks_.erase(it);
  lru_.pop_back();
}

}  // namespace tokenfab::routing
