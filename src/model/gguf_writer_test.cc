#include "tokenfab/model/gguf_writer.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/testing/gguf_samples.h"
#include "tokenfab/model/gguf_file.h"

namespace tokenfab::model {
namespace {

using kernels::GgmlType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

GgufWriter::TensorDataFn Fill(uint8_t value, std::vector<std::string>* calls = nullptr,
                              std::string name = "") {
  return [value, calls, name](std::span<uint8_t> out) {
    if (calls != nullptr) calls->push_back(name);
    std::fill(out.begin(), out.end(), value);
    return absl::OkStatus();
  };
}

TEST(GgufWriterTest, WritesVersionThreeWithDefaultAlignment) {
  GgufWriter writer;
  writer.Set("general.name", GgufValue::String("x"));
  ASSERT_TRUE(writer.AddTensor("a", GgmlType::kF32, {3}, Fill(1)).ok());
  ASSERT_TRUE(writer.AddTensor("b", GgmlType::kF16, {5, 2}, Fill(2)).ok());
  const std::vector<uint8_t> bytes = writer.WriteToBuffer().value();
  EXPECT_EQ(bytes.size(), writer.FileSize());
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "GGUF");
  EXPECT_EQ(bytes[4], 3);
  GgufFile file = GgufFile::Parse(bytes).value();
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 32u);
  EXPECT_FALSE(file.HasKey("general.alignment"));
  EXPECT_EQ(file.tensors()[0].offset, 0u);
  EXPECT_EQ(file.tensors()[1].offset, 32u);  // 12 bytes, padded to 32
  EXPECT_EQ(file.tensors()[1].size_bytes, 20u);
  EXPECT_EQ(file.tensors()[1].data[19], 2);
  EXPECT_EQ(bytes.size() % 32, 0u);
}

TEST(GgufWriterTest, SetReplacesAKeyInPlace) {
  GgufWriter writer;
  writer.Set("a", GgufValue::Uint32(1));
  writer.Set("b", GgufValue::Uint32(2));
  writer.Set("a", GgufValue::String("now a string"));
  EXPECT_TRUE(writer.HasKey("a"));
  EXPECT_FALSE(writer.HasKey("c"));
  const std::vector<uint8_t> bytes = writer.WriteToBuffer().value();
  GgufFile file = GgufFile::Parse(bytes).value();
  EXPECT_THAT(file.Keys(), ElementsAre("a", "b"));
  EXPECT_EQ(file.GetString("a").value(), "now a string");
}

TEST(GgufWriterTest, AlignmentSetAfterTheTensorsStillHolds) {
  GgufWriter writer;
  ASSERT_TRUE(writer.AddTensor("a", GgmlType::kF32, {3}, Fill(1)).ok());
  ASSERT_TRUE(writer.AddTensor("b", GgmlType::kF32, {3}, Fill(2)).ok());
  writer.SetAlignment(128);
  EXPECT_EQ(writer.alignment(), 128u);
  const std::vector<uint8_t> bytes = writer.WriteToBuffer().value();
  GgufFile file = GgufFile::Parse(bytes).value();
  EXPECT_EQ(file.alignment(), 128u);
  EXPECT_EQ(file.data_offset() % 128, 0u);
  EXPECT_EQ(file.tensors()[1].offset, 128u);
}

TEST(GgufWriterTest, DataFunctionsRunOnceEachInFileOrder) {
  std::vector<std::string> calls;
  GgufWriter writer;
  for (const char* name : {"z", "a", "m"}) {
    ASSERT_TRUE(writer.AddTensor(name, GgmlType::kQ8_0, {32, 4}, Fill(7, &calls, name)).ok());
  }
  EXPECT_TRUE(calls.empty());  // nothing is produced before the write
  uint64_t written = 0;
  ASSERT_TRUE(writer
                  .WriteTo([&](std::span<const uint8_t> bytes) {
                    written += bytes.size();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_THAT(calls, ElementsAre("z", "a", "m"));
  EXPECT_EQ(written, writer.FileSize());
}

TEST(GgufWriterTest, RejectsBadTensors) {
  GgufWriter writer;
  ASSERT_TRUE(writer.AddTensor("w", GgmlType::kF32, {4}, Fill(0)).ok());
  EXPECT_THAT(std::string(writer.AddTensor("w", GgmlType::kF32, {4}, Fill(0)).message()),
              HasSubstr("tensor w added twice"));
  EXPECT_FALSE(writer.AddTensor("", GgmlType::kF32, {4}, Fill(0)).ok());
  EXPECT_FALSE(writer.AddTensor("x", GgmlType::kF32, {}, Fill(0)).ok());
  EXPECT_FALSE(writer.AddTensor("x", GgmlType::kF32, {1, 1, 1, 1, 1}, Fill(0)).ok());
  EXPECT_FALSE(writer.AddTensor("x", GgmlType::kF32, {4, 0}, Fill(0)).ok());
  EXPECT_FALSE(
      writer.AddTensor("x", GgmlType::kF32, {int64_t{1} << 40, int64_t{1} << 40}, Fill(0)).ok());
  EXPECT_THAT(std::string(writer.AddTensor("x", GgmlType::kQ4_0, {40}, Fill(0)).message()),
              HasSubstr("q4_0 rows of 40 elements are not a whole number of 32-element blocks"));
  EXPECT_EQ(writer.num_tensors(), 1u);
}

TEST(GgufWriterTest, ADataErrorStopsTheWriteAndNamesTheTensor) {
  const std::string path = ::testing::TempDir() + "gguf_writer_test_failed.gguf";
  GgufWriter writer;
  ASSERT_TRUE(writer.AddTensor("good", GgmlType::kF32, {4}, Fill(0)).ok());
  ASSERT_TRUE(writer
                  .AddTensor("bad", GgmlType::kF32, {4},
                             [](std::span<uint8_t>) { return absl::DataLossError("no data"); })
                  .ok());
  const Status status = writer.WriteFile(path);
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_EQ(std::string(status.message()), "tensor bad: no data");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

TEST(GgufWriterTest, WriteFileReplacesAtomically) {
  const std::string path = ::testing::TempDir() + "gguf_writer_test.gguf";
  ASSERT_TRUE(testing::SampleWriter().WriteFile(path).ok());
  ASSERT_TRUE(testing::SampleWriter(testing::SampleOptions{.version = 2}).WriteFile(path).ok());
  EXPECT_EQ(GgufFile::Open(path).value().version(), 2u);
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  std::filesystem::remove(path);
  EXPECT_FALSE(testing::SampleWriter().WriteFile("/nonexistent-dir/x.gguf").ok());
}

TEST(GgufValueTest, Types) {
  EXPECT_EQ(GgufValue::Uint8(1).type(), GgufValueType::kUint8);
  EXPECT_EQ(GgufValue::Bool(true).encoded(), std::string("\x01", 1));
  EXPECT_EQ(GgufValue::String("ab").encoded(), std::string("\x02\0\0\0\0\0\0\0ab", 10));
  const GgufValue array = GgufValue::Array(std::vector<uint16_t>{1, 2});
  EXPECT_EQ(array.type(), GgufValueType::kArray);
  EXPECT_EQ(array.element_type(), GgufValueType::kUint16);
  EXPECT_EQ(array.count(), 2u);
  EXPECT_EQ(array.encoded(), std::string("\x02\0\0\0\x02\0\0\0\0\0\0\0\x01\0\x02\0", 16));
  EXPECT_EQ(GgufValueTypeName(GgufValueType::kFloat64), "float64");
  EXPECT_EQ(GgufValueTypeSize(GgufValueType::kInt64), 8u);
  EXPECT_EQ(GgufValueTypeSize(GgufValueType::kString), 0u);
  EXPECT_TRUE(IsGgufIntegerType(GgufValueType::kInt8));
  EXPECT_FALSE(IsGgufIntegerType(GgufValueType::kBool));
  EXPECT_TRUE(IsKnownGgufValueType(12));
  EXPECT_FALSE(IsKnownGgufValueType(13));
}

TEST(GgufValueDeathTest, ArrayOfMixedTypesIsAProgrammingError) {
  EXPECT_DEATH(GgufValue::ArrayOf(GgufValueType::kUint8, {GgufValue::Uint8(1), GgufValue::Int8(1)}),
               "array of uint8 given a int8 element");
}

}  // namespace
}  // namespace tokenfab::model
