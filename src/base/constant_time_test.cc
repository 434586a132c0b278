#include "tokenfab/base/constant_time.h"

#include <string>

#include <gtest/gtest.h>

namespace tokenfab::base {
namespace {

TEST(ConstantTimeEqualsTest, EqualBytesAreEqual) {
  EXPECT_TRUE(ConstantTimeEquals("sk-abc", "sk-abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  const std::string with_nul("a\0b", 3);
  EXPECT_TRUE(ConstantTimeEquals(with_nul, std::string("a\0b", 3)));
}

TEST(ConstantTimeEqualsTest, AnyDifferingByteIsUnequal) {
  EXPECT_FALSE(ConstantTimeEquals("xbc", "abc"));  // first byte
  EXPECT_FALSE(ConstantTimeEquals("abx", "abc"));  // last byte
  EXPECT_FALSE(ConstantTimeEquals("abc", "aBc"));  // case matters
  // A NUL does not end the comparison.
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(ConstantTimeEqualsTest, DifferentLengthsAreUnequal) {
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));  // a prefix
  EXPECT_FALSE(ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals("a", ""));
}

}  // namespace
}  // namespace tokenfab::base
