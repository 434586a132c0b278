// Crafted files: each breaks one rule of the format, and the reader must say which.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/testing/raw_gguf.h"
#include "tokenfab/model/gguf_file.h"

namespace tokenfab::model {
namespace {

using ::testing::HasSubstr;
using testing::RawGguf;

constexpr uint32_t kString = 8;
constexpr uint32_t kArray = 9;
constexpr uint32_t kBool = 7;
constexpr uint32_t kF32 = 0;
constexpr uint32_t kQ4_K = 12;
constexpr uint32_t kQ8_0 = 8;

std::string ParseError(const RawGguf& raw) {
  StatusOr<GgufFile> file = GgufFile::Parse(raw.bytes());
  if (file.ok()) return "parsed";
  return std::string(file.status().message());
}

TEST(GgufParserTest, AMinimalCraftedFileParses) {
  RawGguf raw;
  raw.Header(3, 1, 1).KeyU32("general.alignment", 16).Tensor("t", {4}, kF32, 0).Pad(16).Zeros(16);
  StatusOr<GgufFile> file = GgufFile::Parse(raw.bytes());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->alignment(), 16u);
  EXPECT_EQ(file->tensors()[0].size_bytes, 16u);
}

TEST(GgufParserTest, MagicAndVersion) {
  EXPECT_THAT(ParseError(RawGguf().U32(0x46554746).U32(3)), HasSubstr("not a GGUF file"));
  EXPECT_THAT(ParseError(RawGguf()), HasSubstr("not a GGUF file"));
  EXPECT_THAT(ParseError(RawGguf().Header(1, 0, 0)),
              HasSubstr("GGUF version 1 is not supported (only versions 2 and 3)"));
  EXPECT_THAT(ParseError(RawGguf().Header(4, 0, 0)), HasSubstr("GGUF version 4 is not supported"));
  EXPECT_THAT(ParseError(RawGguf().Header(0x03000000, 0, 0)), HasSubstr("big-endian"));
  StatusOr<GgufFile> v1 = GgufFile::Parse(RawGguf().Header(1, 0, 0).bytes());
  EXPECT_TRUE(absl::IsUnimplemented(v1.status()));
}

TEST(GgufParserTest, CountsAreBoundedByTheBytesLeft) {
  EXPECT_THAT(ParseError(RawGguf().Header(3, uint64_t{1} << 62, 0)),
              HasSubstr("more than the 0 bytes left can hold"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, ~uint64_t{0}).Zeros(100)),
              HasSubstr("metadata keys, more than the 100 bytes left"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1)), HasSubstr("metadata keys"));
}

TEST(GgufParserTest, StringLengths) {
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).U64(~uint64_t{0}).Zeros(20)),
              HasSubstr("metadata key 0: string of 18446744073709551615 bytes at byte 24 runs "
                        "past the end"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).Str("k").U32(kString).U64(1000).Zeros(4)),
              HasSubstr("key k: string of 1000 bytes"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).Str("").U32(4).U32(1)), HasSubstr("is empty"));
}

TEST(GgufParserTest, ValueTypesAndBools) {
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).Str("k").U32(13).U32(0)),
              HasSubstr("key k: unknown value type 13"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).Str("k").U32(kBool).U8(2).Zeros(4)),
              HasSubstr("key k: bool value 2 is neither 0 nor 1"));
  EXPECT_THAT(
      ParseError(RawGguf().Header(3, 0, 1).Str("k").U32(kArray).U32(kBool).U64(2).U8(1).U8(9)),
      HasSubstr("bool value 9"));
}

TEST(GgufParserTest, ArrayLengthsAreOverflowSafe) {
  // 2^62 uint32 elements would be 2^64 bytes: must not wrap around to a small size.
  EXPECT_THAT(
      ParseError(
          RawGguf().Header(3, 0, 1).Str("k").U32(kArray).U32(4).U64(uint64_t{1} << 62).Zeros(64)),
      HasSubstr("key k: array of 4611686018427387904 uint32 values needs at least 4 "
                "bytes per value, but only 64 bytes remain"));
  EXPECT_THAT(
      ParseError(RawGguf().Header(3, 0, 1).Str("k").U32(kArray).U32(kString).U64(1000).Zeros(64)),
      HasSubstr("array of 1000 string values"));
  EXPECT_THAT(
      ParseError(
          RawGguf().Header(3, 0, 1).Str("k").U32(kArray).U32(kString).U64(2).Str("a").U64(50).Zeros(
              8)),
      HasSubstr("key k: element 1: string of 50 bytes"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).Str("k").U32(kArray).U32(40).U64(0)),
              HasSubstr("key k: unknown value type 40"));
}

TEST(GgufParserTest, ArrayNestingIsBounded) {
  auto nested = [](int depth) {
    RawGguf raw;
    raw.Header(3, 0, 1).Str("k").U32(kArray);
    for (int i = 1; i < depth; ++i) raw.U32(kArray).U64(1);
    raw.U32(4).U64(1).U32(7);
    return raw;
  };
  EXPECT_EQ(ParseError(nested(kMaxGgufArrayNesting)), "parsed");
  EXPECT_THAT(ParseError(nested(kMaxGgufArrayNesting + 1)),
              HasSubstr("arrays nested more than 4 deep"));
  // Deeply nested crafted input is rejected, not followed into a stack overflow.
  EXPECT_THAT(ParseError(nested(100000)), HasSubstr("nested more than"));
}

TEST(GgufParserTest, DuplicateKeys) {
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 2).KeyU32("a.b", 1).KeyU32("a.b", 2)),
              HasSubstr("key a.b appears twice"));
}

TEST(GgufParserTest, Alignment) {
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).KeyU32("general.alignment", 0)),
              HasSubstr("general.alignment = 0 is not a non-zero power of two"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).KeyU32("general.alignment", 48)),
              HasSubstr("general.alignment = 48 is not"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 0, 1).Str("general.alignment").U32(10).U64(32)),
              HasSubstr("key general.alignment is uint64, expected uint32"));
}

TEST(GgufParserTest, TensorShapes) {
  auto one = [](const std::vector<int64_t>& dims, uint32_t type) {
    RawGguf raw;
    raw.Header(3, 1, 0).Tensor("blk.0.w", dims, type, 0).Pad(32).Zeros(4096);
    return ParseError(raw);
  };
  EXPECT_EQ(one({4, 4}, kF32), "parsed");
  EXPECT_THAT(one({}, kF32), HasSubstr("tensor blk.0.w: 0 dimensions (1 to 4 allowed)"));
  EXPECT_THAT(one({1, 1, 1, 1, 1}, kF32), HasSubstr("5 dimensions"));
  EXPECT_THAT(one({4, 0}, kF32), HasSubstr("tensor blk.0.w: dimension 1 is 0"));
  EXPECT_THAT(one({-4}, kF32), HasSubstr("dimension 0 is -4"));
  EXPECT_THAT(one({int64_t{1} << 32, int64_t{1} << 32}, kF32),
              HasSubstr("element count overflows int64"));
  // Fits int64 as elements but not as bytes.
  EXPECT_THAT(one({int64_t{1} << 62}, kF32), HasSubstr("f32 data size overflows"));
  EXPECT_THAT(one({4}, 99), HasSubstr("tensor blk.0.w: unknown tensor type 99"));
  EXPECT_THAT(one({4}, 4), HasSubstr("unknown tensor type 4"));
  EXPECT_THAT(one({100, 2}, kQ8_0),
              HasSubstr("q8_0 rows of 100 elements are not a whole number of 32-element blocks"));
}

TEST(GgufParserTest, TensorNames) {
  EXPECT_THAT(ParseError(RawGguf().Header(3, 1, 0).Tensor("", {4}, kF32, 0).Pad(32).Zeros(16)),
              HasSubstr("tensor 0 has an empty name"));
  EXPECT_THAT(ParseError(RawGguf()
                             .Header(3, 2, 0)
                             .Tensor("w", {4}, kF32, 0)
                             .Tensor("w", {4}, kF32, 32)
                             .Pad(32)
                             .Zeros(64)),
              HasSubstr("tensor w appears twice"));
}

TEST(GgufParserTest, TensorDataPlacement) {
  // blk.3.attn_q.weight: 256 q4_K elements = 144 bytes, but only 100 follow.
  RawGguf short_data;
  short_data.Header(3, 1, 0).Tensor("blk.3.attn_q.weight", {256}, kQ4_K, 0).Pad(32).Zeros(100);
  StatusOr<GgufFile> file = GgufFile::Parse(short_data.bytes());
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()),
              HasSubstr("tensor blk.3.attn_q.weight: q4_K data runs past the end of the file"));

  EXPECT_THAT(ParseError(RawGguf().Header(3, 1, 0).Tensor("w", {4}, kF32, 16).Pad(32).Zeros(64)),
              HasSubstr("tensor w: data offset 16 is not a multiple of the alignment 32"));
  EXPECT_THAT(
      ParseError(RawGguf().Header(3, 1, 0).Tensor("w", {4}, kF32, ~uint64_t{31}).Pad(32).Zeros(64)),
      HasSubstr("tensor w: f32 data runs past the end"));
  EXPECT_THAT(ParseError(RawGguf().Header(3, 1, 0).Tensor("w", {4}, kF32, 0)),
              HasSubstr("the data section would start at byte"));
}

}  // namespace
}  // namespace tokenfab::model
