#include "tokenizer/bpe_encoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/base/random.h"
#include "tokenizer/byte_level.h"

namespace tokenfab::tokenizer {
namespace {

using ::testing::ElementsAre;

// A byte-level vocabulary: the 256 bytes, then one token per merge result (in merge order) and
// the `extra` tokens, which no merge yields.
using Merges = std::vector<std::pair<std::string, std::string>>;

struct TestVocab {
  Vocab vocab;
  std::vector<std::string> bytes;  // per token
  std::vector<bool> mergeable;
  absl::flat_hash_map<std::string, int32_t> id;

  explicit TestVocab(const Merges& merges, const std::vector<std::string>& extra = {}) {
    vocab.type = VocabType::kByteLevelBpe;
    vocab.pre = "gpt-2";
    for (int b = 0; b < 256; ++b) Add(std::string(1, static_cast<char>(b)));
    for (const auto& [left, right] : merges) {
      std::string l, r;
      ByteLevelEncode(left, &l);
      ByteLevelEncode(right, &r);
      vocab.merges.push_back(l + " " + r);
      if (!id.contains(left + right)) Add(left + right);
    }
    for (const std::string& e : extra) Add(e);
  }
  void Add(const std::string& raw) {
    std::string text;
    ByteLevelEncode(raw, &text);
    id[raw] = static_cast<int32_t>(vocab.tokens.size());
    vocab.tokens.push_back(text);
    vocab.token_types.push_back(TokenType::kNormal);
    bytes.push_back(raw);
    mergeable.push_back(true);
  }
  BpeEncoder Encoder(bool whole_piece_lookup = false) const {
    StatusOr<BpeEncoder> encoder = BpeEncoder::Create(vocab, bytes, mergeable, whole_piece_lookup);
    EXPECT_TRUE(encoder.ok()) << encoder.status();
    return *std::move(encoder);
  }
  std::vector<std::string> Encode(const BpeEncoder& encoder, std::string_view text) const {
    std::vector<int32_t> ids;
    encoder.Encode(text, &ids);
    std::vector<std::string> out;
    for (int32_t i : ids) out.push_back(bytes[i]);
    return out;
  }
};

TEST(BpeEncoderTest, MergesLowestRankFirst) {
  const TestVocab v(Merges{{"a", "b"}, {"b", "c"}, {"ab", "c"}, {"c", "c"}});
  const BpeEncoder e = v.Encoder();
  EXPECT_THAT(v.Encode(e, "abc"), ElementsAre("abc"));
  EXPECT_THAT(v.Encode(e, "bcab"), ElementsAre("bc", "ab"));
  EXPECT_THAT(v.Encode(e, "cab"), ElementsAre("c", "ab"));
  EXPECT_THAT(v.Encode(e, "x"), ElementsAre("x"));
  EXPECT_THAT(v.Encode(e, ""), ElementsAre());
}

TEST(BpeEncoderTest, EqualRanksMergeLeftmostFirst) {
  const TestVocab v(Merges{{"c", "c"}, {"cc", "c"}});
  const BpeEncoder e = v.Encoder();
  EXPECT_THAT(v.Encode(e, "cccc"), ElementsAre("cc", "cc"));
  // (cc)(c)(c)(c): "c c" (rank 0) beats "cc c" (rank 1), then (cc)(cc)(c) → (cc)(ccc).
  EXPECT_THAT(v.Encode(e, "ccccc"), ElementsAre("cc", "ccc"));
}

TEST(BpeEncoderTest, ATokenRanksByItsFirstMerge) {
  // "xyz" is first made from "xy"+"z" (rank 2); the later merge "x"+"yz" ranks the same, so after
  // "yz" forms, "x yz" beats "w x" (rank 3), as tiktoken's ranks by token would have it.
  const TestVocab v(Merges{{"y", "z"}, {"x", "y"}, {"xy", "z"}, {"w", "x"}, {"x", "yz"}});
  EXPECT_THAT(v.Encode(v.Encoder(), "wxyz"), ElementsAre("w", "xyz"));
}

TEST(BpeEncoderTest, WholePieceLookupTakesATokenAsIs) {
  const TestVocab v(Merges{{"a", "b"}}, {"qq"});
  EXPECT_THAT(v.Encode(v.Encoder(false), "qq"), ElementsAre("q", "q"));
  EXPECT_THAT(v.Encode(v.Encoder(true), "qq"), ElementsAre("qq"));
  EXPECT_THAT(v.Encode(v.Encoder(true), "qqab"), ElementsAre("q", "q", "ab"));
}

TEST(BpeEncoderTest, AnyBytesEncode) {
  const TestVocab v(Merges{{"\xE4", "\xB8"}});
  EXPECT_THAT(v.Encode(v.Encoder(), std::string_view("\xFF\xE4\xB8\xAD\x00", 5)),
              ElementsAre("\xFF", "\xE4\xB8", "\xAD", std::string(1, '\0')));
}

// The naive algorithm, as an oracle for long pieces (which take the heap path).
std::vector<std::string> NaiveBpe(std::string_view text, const Merges& merges) {
  absl::flat_hash_map<std::string, int> rank;  // token -> first merge making it
  for (size_t i = 0; i < merges.size(); ++i)
    rank.try_emplace(merges[i].first + merges[i].second, i);
  absl::flat_hash_map<std::string, bool> is_merge;
  for (const auto& [l, r] : merges) is_merge[l + '\0' + r] = true;
  std::vector<std::string> parts;
  for (char c : text) parts.emplace_back(1, c);
  while (true) {
    int best = -1, best_rank = 1 << 30;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!is_merge.contains(parts[i] + '\0' + parts[i + 1])) continue;
      const int r = rank[parts[i] + parts[i + 1]];
      if (r < best_rank) best_rank = r, best = static_cast<int>(i);
    }
    if (best < 0) break;
    parts[best] += parts[best + 1];
    parts.erase(parts.begin() + best + 1);
  }
  return parts;
}

TEST(BpeEncoderTest, LongPiecesMergeLikeShortOnes) {
  const Merges merges = {{"a", "b"},   {"b", "a"},  {"ab", "a"},  {"a", "a"},
                         {"ba", "b"},  {"aa", "b"}, {"ab", "ab"}, {"c", "a"},
                         {"aba", "b"}, {"b", "b"},  {"bb", "c"},  {"ca", "bb"}};
  const TestVocab v(merges);
  const BpeEncoder e = v.Encoder();
  base::Random random(7);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const size_t n = 1 + random.Below(round < 100 ? 60 : 400);
    for (size_t i = 0; i < n; ++i) text.push_back("aabbc"[random.Below(5)]);
    ASSERT_EQ(v.Encode(e, text), NaiveBpe(text, merges)) << text;
  }
}

TEST(BpeEncoderTest, EveryByteNeedsAToken) {
  TestVocab v(Merges{});
  v.mergeable[0x41] = false;  // 'A' is not an encodable token
  StatusOr<BpeEncoder> encoder = BpeEncoder::Create(v.vocab, v.bytes, v.mergeable, false);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("0x41"), absl::string_view::npos);
}

}  // namespace
}  // namespace tokenfab::tokenizer
