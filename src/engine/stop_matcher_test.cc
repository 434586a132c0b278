#include "tokenfab/engine/stop_matcher.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/random.h"

namespace tokenfab::engine {
namespace {

// Pushes the pieces; returns the emitted text per piece (and the final state).
std::vector<std::string> Feed(StopMatcher& m, const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const std::string& p : pieces) {
    if (m.stopped()) break;
    out.push_back(m.Push(p).text);
  }
  return out;
}

TEST(StopMatcherTest, WithoutStopStringsTextPassesThrough) {
  StopMatcher m({});
  EXPECT_EQ(Feed(m, {"Hello", ", world"}), (std::vector<std::string>{"Hello", ", world"}));
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopMatcherTest, StopInsideOnePieceCutsBeforeIt) {
  StopMatcher m({"STOP"});
  const StopMatcher::Output out = m.Push("hello STOP world");
  EXPECT_EQ(out.text, "hello ");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.matched, 0);
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcherTest, StopSplitAcrossPiecesIsNeverEmitted) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.Push("he").text, "he");
  EXPECT_EQ(m.Push("llo ST").text, "llo ");  // "ST" held
  EXPECT_EQ(m.held(), 2u);
  EXPECT_EQ(m.Push("O").text, "");  // "STO" held
  const StopMatcher::Output last = m.Push("P and more");
  EXPECT_EQ(last.text, "");
  EXPECT_TRUE(last.stopped);
}

TEST(StopMatcherTest, AFalseStartIsReleased) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.Push("ST").text, "");
  EXPECT_EQ(m.Push("x").text, "STx");
  EXPECT_EQ(m.Push("STO").text, "");
  EXPECT_EQ(m.Flush(), "STO");  // the stream ended without the stop string
}

TEST(StopMatcherTest, OverlappingPartialMatches) {
  // "aab": after "aaa" only the tail "aa" can still start it.
  StopMatcher m({"aab"});
  EXPECT_EQ(Feed(m, {"a", "a", "a"}), (std::vector<std::string>{"", "", "a"}));
  const StopMatcher::Output out = m.Push("b");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);
  // The text before the stop string is "a": everything else was the stop string.
}

TEST(StopMatcherTest, EarliestStopWinsThenLongest) {
  StopMatcher m({"cd", "bcd", "b"});
  const StopMatcher::Output out = m.Push("abcde");
  EXPECT_EQ(out.text, "a");
  EXPECT_EQ(out.matched, 1);  // "bcd" and "b" both start at 1; the longer wins
  StopMatcher n({"world", "o w"});
  EXPECT_EQ(n.Push("hello world").text, "hell");
}

TEST(StopMatcherTest, HeldTextSplitsAtCharacterBoundaries) {
  // "é" is two bytes; the stop string starts with it.
  StopMatcher m({"é!"});
  EXPECT_EQ(m.Push("café").text, "caf");
  EXPECT_EQ(m.held(), 2u);
  const StopMatcher::Output out = m.Push("!");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "");
  StopMatcher n({"日本"});
  EXPECT_EQ(n.Push("ab日").text, "ab");
  EXPECT_EQ(n.Push("x").text, "日x");
}

// Random texts over a small alphabet, cut into random pieces, against the plain definition:
// the emitted text is the text up to the first stop string (all of it when none occurs), and
// text is held back only while it could still begin a stop string.
TEST(StopMatcherTest, MatchesTheDefinitionOnRandomStreams) {
  base::Random rng(99);
  const std::string alphabet = "abc";
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> stops;
    const int num_stops = 1 + static_cast<int>(rng.Below(3));
    size_t max_len = 0;
    for (int i = 0; i < num_stops; ++i) {
      std::string s;
      const int len = 1 + static_cast<int>(rng.Below(4));
      for (int j = 0; j < len; ++j) s += alphabet[rng.Below(alphabet.size())];
      max_len = std::max(max_len, s.size());
      stops.push_back(s);
    }
    std::string text;
    const int len = static_cast<int>(rng.Below(30));
    for (int j = 0; j < len; ++j) text += alphabet[rng.Below(alphabet.size())];

    size_t first = std::string::npos;
    for (const std::string& s : stops) first = std::min(first, text.find(s));
    const std::string expected = first == std::string::npos ? text : text.substr(0, first);

    StopMatcher m(stops);
    std::string emitted;
    size_t pushed = 0;
    while (pushed < text.size() && !m.stopped()) {
      const size_t n = 1 + rng.Below(4);
      const std::string piece = text.substr(pushed, n);
      pushed += piece.size();
      emitted += m.Push(piece).text;
      if (!m.stopped()) {
        ASSERT_LT(m.held(), max_len) << "held more than a stop string's proper prefix";
        ASSERT_EQ(emitted.size() + m.held(), pushed);
      }
    }
    if (!m.stopped()) emitted += m.Flush();
    ASSERT_EQ(emitted, expected) << "text '" << text << "' round " << round;
    ASSERT_EQ(m.stopped(), first != std::string::npos);
  }
}

}  // namespace
}  // namespace tokenfab::engine
