#include "model/byte_cursor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::model {
namespace {

TEST(ByteCursorTest, ReadsLittleEndianValuesAndStrings) {
  const std::vector<uint8_t> bytes = {0x01, 0x02, 0x03, 0x04, 2, 0, 0, 0, 0, 0, 0, 0, 'h', 'i', 9};
  ByteCursor cursor(bytes);
  uint32_t u = 0;
  ASSERT_TRUE(cursor.Read(&u).ok());
  EXPECT_EQ(u, 0x04030201u);
  std::string_view s;
  ASSERT_TRUE(cursor.ReadString(&s).ok());
  EXPECT_EQ(s, "hi");
  EXPECT_EQ(cursor.position(), 14u);
  EXPECT_EQ(cursor.remaining(), 1u);
  EXPECT_EQ(cursor.Since(12).size(), 2u);
  ASSERT_TRUE(cursor.Skip(1).ok());
  EXPECT_EQ(cursor.remaining(), 0u);
}

TEST(ByteCursorTest, ReadsPastTheEndFailAndLeaveThePositionAlone) {
  const std::vector<uint8_t> bytes = {1, 2, 3};
  ByteCursor cursor(bytes);
  uint32_t u = 0;
  const Status status = cursor.Read(&u);
  EXPECT_TRUE(absl::IsOutOfRange(status));
  EXPECT_EQ(std::string(status.message()),
            "unexpected end of data at byte 0: needs 4 bytes, 3 remain");
  EXPECT_EQ(cursor.position(), 0u);
  EXPECT_FALSE(cursor.Skip(4).ok());
  std::span<const uint8_t> view;
  EXPECT_FALSE(cursor.ReadBytes(~uint64_t{0}, &view).ok());
  EXPECT_TRUE(cursor.ReadBytes(3, &view).ok());
  EXPECT_EQ(view.size(), 3u);
}

TEST(ByteCursorTest, HugeStringLengthsDoNotWrap) {
  std::vector<uint8_t> bytes(8, 0xff);  // length 2^64 - 1
  bytes.push_back('x');
  ByteCursor cursor(bytes);
  std::string_view s;
  const Status status = cursor.ReadString(&s);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("runs past the end"));
  EXPECT_EQ(cursor.position(), 0u);
}

}  // namespace
}  // namespace tokenfab::model
