// PrefixIndex: which prompt prefixes the gateway has sent to which upstream: an approximate
// mirror of each upstream's prefix cache, kept from routing decisions alone.
//
// Keyed on chained block hashes (hash i stands for the whole prefix through block i), the radix
// tree SGLang's router keeps on characters collapses to a hash map: a node is a block hash, its
// path from the root is implied by the chaining, and a prefix match is a walk down the prompt's
// hashes until the upstream is missing. Entries are (block, upstream) pairs in one LRU list;
// inserting touches a prompt's blocks deepest first so that eviction, like a radix cache, drops
// the deep ends of old prefixes before their roots. The list is linked by index in one slab
// (freed slots reused), not a node per entry: no allocation per insert or eviction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"

namespace tokenfab::routing {

// Not thread-safe (thread-compatible): the owner synchronizes (PrefixAffinityScorer uses a
// reader/writer mutex).
class PrefixIndex {
 public:
  // REQUIRES: max_entries >= 1.
  explicit PrefixIndex(size_t max_entries);

  struct Match {
    uint64_t upstream;  // upstream key
    uint32_t blocks;    // leading blocks of the chain sent to it, >= 1
  };

  // Fills `out`, sorted by upstream key, with one Match per upstream that was sent `chain[0]`.
  void MatchPrefix(std::span<const uint64_t> chain, std::vector<Match>& out) const;

  // Records that `upstream` was sent the prefix `chain`, refreshing the blocks it already had,
  // then evicts least recently used entries beyond max_entries.
  void Insert(std::span<const uint64_t> chain, uint64_t upstream);

  size_t entries() const { return size_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Entry {
    uint64_t block;
    uint64_t upstream;
    uint32_t prev;  // towards the most recently used; kNone at the head
    uint32_t next;  // towards the least recently used; kNone at the tail (free list: next free)
  };
  struct Holder {
    uint64_t upstream;
    uint32_t entry;  // index into slab_
  };
  using Holders = absl::InlinedVector<Holder, 2>;  // sorted by upstream

  void Unlink(uint32_t index);
  void LinkFront(uint32_t index);
  uint32_t NewEntry(uint64_t block, uint64_t upstream);  // linked at the front
  void EvictOldest();

  const size_t max_entries_;
  std::vector<Entry> slab_;
  uint32_t head_ = kNone;  // most recently used
  uint32_t tail_ = kNone;  // least recently used
  uint32_t free_ = kNone;  // freed slots, linked by next
  size_t size_ = 0;
  absl::flat_hash_map<uint64_t, Holders> blocks_;  // block hash -> upstreams sent it
};

}  // namespace tokenfab::routing
