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
      if (h->entry != head_) {
        Unlink(h->entry);
        LinkFront(h->entry);
      }
    } else {
      holders.insert(h, Holder{upstream, NewEntry(chain[i], upstream)});
    }
  }
  while (size_ > max_entries_) EvictOldest();
}

void PrefixIndex::Unlink(uint32_t index) {
  Entry& e = slab_[index];
  (e.prev == kNone ? head_ : slab_[e.prev].next) = e.next;
  (e.next == kNone ? tail_ : slab_[e.next].prev) = e.prev;
}

void PrefixIndex::LinkFront(uint32_t index) {
  Entry& e = slab_[index];
  e.prev = kNone;
  e.next = head_;
  (head_ == kNone ? tail_ : slab_[head_].prev) = index;
  head_ = index;
}

uint32_t PrefixIndex::NewEntry(uint64_t block, uint64_t upstream) {
  uint32_t index = free_;
  if (index != kNone) {
    free_ = slab_[index].next;
  } else {
    TF_CHECK(slab_.size() < kNone) << "prefix index slab full";
    index = static_cast<uint32_t>(slab_.size());
    slab_.emplace_back();
  }
  slab_[index].block = block;
  slab_[index].upstream = upstream;
  LinkFront(index);
  ++size_;
  return index;
}

void PrefixIndex::EvictOldest() {
  const uint32_t index = tail_;
  const Entry& oldest = slab_[index];
  auto it = blocks_.find(oldest.block);
  TF_CHECK(it != blocks_.end());
  Holders& holders = it->second;
  auto h = FindHolder(holders, oldest.upstream);
  TF_CHECK(h != holders.end() && h->upstream == oldest.upstream);
  holders.erase(h);
  if (holders.empty()) blocks_.erase(it);
  Unlink(index);
  slab_[index].next = free_;
  free_ = index;
  --size_;
}

}  // namespace tokenfab::routing
