#include "tokenfab/model/gguf_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/testing/gguf_samples.h"
#include "tokenfab/model/gguf_writer.h"

namespace tokenfab::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::SampleByte;
using testing::SampleFile;
using testing::SampleOptions;

std::string Message(const Status& status) { return std::string(status.message()); }

class GgufRoundTripTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    bytes_ = SampleFile(SampleOptions{.version = GetParam()});
    StatusOr<GgufFile> file = GgufFile::Parse(bytes_);
    ASSERT_TRUE(file.ok()) << file.status();
    file_.emplace(std::move(*file));
  }
  const GgufFile& file() const { return *file_; }

  std::vector<uint8_t> bytes_;
  std::optional<GgufFile> file_;
};

TEST_P(GgufRoundTripTest, Header) {
  EXPECT_EQ(file().version(), GetParam());
  EXPECT_EQ(file().alignment(), 32u);
  EXPECT_EQ(file().file_size(), bytes_.size());
  EXPECT_EQ(file().data_offset() % 32, 0u);
}

TEST_P(GgufRoundTripTest, EveryScalarType) {
  const GgufFile& f = file();
  EXPECT_EQ(f.GetUint("sample.u8").value(), 200u);
  EXPECT_EQ(f.GetInt("sample.i8").value(), -100);
  EXPECT_EQ(f.GetUint("sample.u16").value(), 60000u);
  EXPECT_EQ(f.GetInt("sample.i16").value(), -30000);
  EXPECT_EQ(f.GetUint("sample.u32").value(), 4'000'000'000u);
  EXPECT_EQ(f.GetInt("sample.i32").value(), -2'000'000'000);
  EXPECT_EQ(f.GetUint("sample.u64").value(), 10'000'000'000'000'000'000ull);
  EXPECT_EQ(f.GetInt("sample.i64").value(), -9'000'000'000'000'000'000ll);
  EXPECT_EQ(f.GetFloat("sample.f32").value(), 3.5);
  EXPECT_EQ(f.GetFloat("sample.f64").value(), -2.25);
  EXPECT_EQ(f.GetBool("sample.bool").value(), true);
  EXPECT_EQ(f.GetString("sample.string").value(), "hello \xe2\x9c\x93");
  EXPECT_EQ(f.GetString("sample.empty_string").value(), "");
  EXPECT_EQ(f.KeyType("sample.u16").value(), GgufValueType::kUint16);
  EXPECT_EQ(f.KeyType("sample.f64").value(), GgufValueType::kFloat64);
  EXPECT_EQ(f.KeyType("sample.bool").value(), GgufValueType::kBool);
  EXPECT_EQ(f.KeyType("sample.strings").value(), GgufValueType::kArray);
  // Integer getters take any integer type whose value fits.
  EXPECT_EQ(f.GetInt("sample.u32").value(), 4'000'000'000);
  EXPECT_EQ(f.GetUint("sample.u8").value(), 200u);
}

TEST_P(GgufRoundTripTest, EveryArrayType) {
  const GgufFile& f = file();
  EXPECT_THAT(f.GetIntArray("sample.u8s").value(), ElementsAre(0, 1, 255));
  EXPECT_THAT(f.GetIntArray("sample.i8s").value(), ElementsAre(-128, 0, 127));
  EXPECT_THAT(f.GetIntArray("sample.u16s").value(), ElementsAre(1, 65535));
  EXPECT_THAT(f.GetIntArray("sample.i16s").value(), ElementsAre(-32768, 32767));
  EXPECT_THAT(f.GetIntArray("sample.u32s").value(), ElementsAre(7, 4'000'000'000));
  EXPECT_THAT(f.GetIntArray("sample.i32s").value(), ElementsAre(-5, 0, 5));
  EXPECT_THAT(f.GetIntArray("sample.u64s").value(), ElementsAre(int64_t{1} << 40));
  EXPECT_THAT(f.GetIntArray("sample.i64s").value(), ElementsAre(-(int64_t{1} << 40), 3));
  EXPECT_THAT(f.GetFloatArray("sample.f32s").value(), ElementsAre(0.5f, -1.0f, 1e-3f));
  EXPECT_THAT(f.GetFloatArray("sample.f64s").value(),
              ElementsAre(0.25f, std::numeric_limits<float>::infinity()));
  EXPECT_THAT(f.GetStringArray("sample.strings").value(), ElementsAre("a", "", "\xc4\xa0the"));
  EXPECT_TRUE(f.GetIntArray("sample.empty").value().empty());
  const GgufArrayInfo bools = f.GetArrayInfo("sample.bools").value();
  EXPECT_EQ(bools.element_type, GgufValueType::kBool);
  EXPECT_EQ(bools.count, 3u);
  const GgufArrayInfo nested = f.GetArrayInfo("sample.nested").value();
  EXPECT_EQ(nested.element_type, GgufValueType::kArray);
  EXPECT_EQ(nested.count, 2u);
}

TEST_P(GgufRoundTripTest, GetValueReturnsWhatWasWritten) {
  const GgufFile& f = file();
  EXPECT_EQ(f.GetValue("sample.i16").value(), GgufValue::Int16(-30000));
  EXPECT_EQ(f.GetValue("sample.string").value(), GgufValue::String("hello \xe2\x9c\x93"));
  EXPECT_EQ(f.GetValue("sample.bools").value(), GgufValue::BoolArray({true, false, true}));
  const GgufValue inner_ints = GgufValue::Array(std::vector<int32_t>{1, 2, 3});
  const GgufValue inner_strings = GgufValue::StringArray(std::vector<std::string>{"x", "yz"});
  const GgufValue nested = f.GetValue("sample.nested").value();
  EXPECT_EQ(nested, GgufValue::ArrayOf(GgufValueType::kArray, {inner_ints, inner_strings}));
  EXPECT_EQ(nested.element_type(), GgufValueType::kArray);
  EXPECT_EQ(nested.count(), 2u);
}

TEST_P(GgufRoundTripTest, CopyingEveryKeyAndTensorGivesTheSameBytes) {
  const GgufFile& f = file();
  GgufWriter copy(f.version());
  for (std::string_view key : f.Keys()) copy.Set(key, f.GetValue(key).value());
  for (const GgufTensorInfo& t : f.tensors()) {
    ASSERT_TRUE(copy.AddTensor(t.name, t.type, t.dims,
                               [&t](std::span<uint8_t> out) {
                                 std::copy(t.data, t.data + t.size_bytes, out.begin());
                                 return absl::OkStatus();
                               })
                    .ok());
  }
  EXPECT_EQ(copy.WriteToBuffer().value(), bytes_);
}

TEST_P(GgufRoundTripTest, KeysInFileOrder) {
  const std::vector<std::string_view> keys = file().Keys();
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(keys[0], "general.architecture");
  EXPECT_EQ(keys[1], "sample.u8");
  EXPECT_TRUE(file().HasKey("sample.nested3"));
  EXPECT_FALSE(file().HasKey("sample.nope"));
}

TEST_P(GgufRoundTripTest, Tensors) {
  const std::vector<GgufTensorInfo>& tensors = file().tensors();
  ASSERT_EQ(tensors.size(), 8u);
  EXPECT_EQ(tensors[0].name, "f32");
  EXPECT_EQ(tensors[0].type, kernels::GgmlType::kF32);
  EXPECT_THAT(tensors[0].dims, ElementsAre(4, 3));
  EXPECT_EQ(tensors[0].size_bytes, 48u);
  EXPECT_EQ(tensors[0].num_elements(), 12);
  const GgufTensorInfo* q8 = file().FindTensor("q8_0");
  ASSERT_NE(q8, nullptr);
  EXPECT_EQ(q8->size_bytes, 4u * 34u);  // 128 elements
  const GgufTensorInfo* q6 = file().GetTensor("q6_K").value();
  EXPECT_THAT(q6->dims, ElementsAre(256, 1, 2));
  EXPECT_EQ(q6->size_bytes, 2u * 210u);
  EXPECT_THAT(file().GetTensor("bf16").value()->dims, ElementsAre(2, 2, 2, 2));
  for (size_t t = 0; t < tensors.size(); ++t) {
    EXPECT_EQ(tensors[t].offset % 32, 0u) << tensors[t].name;
    EXPECT_EQ(tensors[t].data, bytes_.data() + file().data_offset() + tensors[t].offset);
    for (uint64_t i = 0; i < tensors[t].size_bytes; ++i) {
      ASSERT_EQ(tensors[t].data[i], SampleByte(t, i)) << tensors[t].name << " byte " << i;
    }
  }
  EXPECT_EQ(file().FindTensor("missing"), nullptr);
  EXPECT_THAT(Message(file().GetTensor("missing").status()), HasSubstr("tensor missing missing"));
}

INSTANTIATE_TEST_SUITE_P(Versions, GgufRoundTripTest, ::testing::Values(2u, 3u));

TEST(GgufFileTest, CustomAlignment) {
  for (uint32_t alignment : {1u, 8u, 64u, 4096u}) {
    const std::vector<uint8_t> bytes = SampleFile(SampleOptions{.alignment = alignment});
    StatusOr<GgufFile> file = GgufFile::Parse(bytes);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->alignment(), alignment);
    EXPECT_EQ(file->data_offset() % alignment, 0u);
    for (const GgufTensorInfo& t : file->tensors()) EXPECT_EQ(t.offset % alignment, 0u);
    EXPECT_EQ(file->GetUint("general.alignment").value(), alignment);
  }
}

TEST(GgufFileTest, TypedGetterErrorsNameKeyAndTypes) {
  const std::vector<uint8_t> bytes = SampleFile();
  GgufFile file = GgufFile::Parse(bytes).value();
  EXPECT_EQ(Message(file.GetUint("llama.block_count").status()), "key llama.block_count missing");
  EXPECT_TRUE(absl::IsNotFound(file.GetString("llama.block_count").status()));
  EXPECT_EQ(Message(file.GetString("sample.u32").status()),
            "key sample.u32 is uint32, expected string");
  EXPECT_EQ(Message(file.GetBool("sample.string").status()),
            "key sample.string is string, expected bool");
  EXPECT_EQ(Message(file.GetStringArray("sample.i32s").status()),
            "key sample.i32s is array of int32, expected array of string");
  EXPECT_EQ(Message(file.GetFloat("sample.i32").status()),
            "key sample.i32 is int32, expected float32 or float64");
  EXPECT_THAT(Message(file.GetUint("sample.i8").status()), HasSubstr("-100 is negative"));
  EXPECT_THAT(Message(file.GetInt("sample.u64").status()), HasSubstr("does not fit int64"));
  EXPECT_THAT(Message(file.GetIntArray("sample.f32s").status()), HasSubstr("array of float32"));
  EXPECT_THAT(Message(file.GetFloatArray("sample.strings").status()),
              HasSubstr("expected array of float32"));
  EXPECT_THAT(Message(file.GetArrayInfo("sample.u8").status()), HasSubstr("expected array"));
  EXPECT_THAT(Message(file.GetIntArray("sample.nested").status()), HasSubstr("array of array"));
  EXPECT_FALSE(file.KeyType("nope").ok());
  EXPECT_FALSE(file.GetValue("nope").ok());
}

TEST(GgufFileTest, OpenMapsAFileAndNamesItInErrors) {
  const std::string path = ::testing::TempDir() + "gguf_file_test.gguf";
  ASSERT_TRUE(testing::SampleWriter().WriteFile(path).ok());
  {
    StatusOr<GgufFile> file = GgufFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->file_size(), std::filesystem::file_size(path));
    EXPECT_EQ(file->GetTensor("f16").value()->data[0], SampleByte(1, 0));
    GgufFile moved = std::move(*file);
    EXPECT_EQ(moved.tensors().size(), 8u);
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 40);
  StatusOr<GgufFile> truncated = GgufFile::Open(path);
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(Message(truncated.status()), HasSubstr(path + ": tensor bf16: bf16 data runs past"));
  std::filesystem::remove(path);

  EXPECT_TRUE(absl::IsNotFound(GgufFile::Open(path).status()));
  EXPECT_THAT(Message(GgufFile::Open(::testing::TempDir()).status()),
              HasSubstr("not a regular file"));
  std::ofstream(path).close();  // empty
  EXPECT_THAT(Message(GgufFile::Open(path).status()), HasSubstr("not a GGUF file"));
  std::filesystem::remove(path);
}

TEST(GgufFileTest, FileWithoutTensors) {
  const std::vector<uint8_t> bytes = SampleFile(SampleOptions{.tensors = false});
  StatusOr<GgufFile> file = GgufFile::Parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->tensors().empty());
  EXPECT_EQ(file->GetString("general.architecture").value(), "sample");
}

}  // namespace
}  // namespace tokenfab::model
