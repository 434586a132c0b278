#include "model/testing/gguf_samples.h"

#include "tokenfab/base/check.h"

namespace tokenfab::model::testing {
namespace {

using kernels::GgmlType;

void AddScalars(GgufWriter& w) {
  w.Set("sample.u8", GgufValue::Uint8(200));
  w.Set("sample.i8", GgufValue::Int8(-100));
  w.Set("sample.u16", GgufValue::Uint16(60000));
  w.Set("sample.i16", GgufValue::Int16(-30000));
  w.Set("sample.u32", GgufValue::Uint32(4'000'000'000u));
  w.Set("sample.i32", GgufValue::Int32(-2'000'000'000));
  w.Set("sample.u64", GgufValue::Uint64(10'000'000'000'000'000'000ull));
  w.Set("sample.i64", GgufValue::Int64(-9'000'000'000'000'000'000ll));
  w.Set("sample.f32", GgufValue::Float32(3.5f));
  w.Set("sample.f64", GgufValue::Float64(-2.25));
  w.Set("sample.bool", GgufValue::Bool(true));
  w.Set("sample.string", GgufValue::String("hello \xe2\x9c\x93"));
  w.Set("sample.empty_string", GgufValue::String(""));
}

void AddArrays(GgufWriter& w) {
  w.Set("sample.u8s", GgufValue::Array(std::vector<uint8_t>{0, 1, 255}));
  w.Set("sample.i8s", GgufValue::Array(std::vector<int8_t>{-128, 0, 127}));
  w.Set("sample.u16s", GgufValue::Array(std::vector<uint16_t>{1, 65535}));
  w.Set("sample.i16s", GgufValue::Array(std::vector<int16_t>{-32768, 32767}));
  w.Set("sample.u32s", GgufValue::Array(std::vector<uint32_t>{7, 4'000'000'000u}));
  w.Set("sample.i32s", GgufValue::Array(std::vector<int32_t>{-5, 0, 5}));
  w.Set("sample.u64s", GgufValue::Array(std::vector<uint64_t>{1ull << 40}));
  w.Set("sample.i64s", GgufValue::Array(std::vector<int64_t>{-(1ll << 40), 3}));
  w.Set("sample.f32s", GgufValue::Array(std::vector<float>{0.5f, -1.0f, 1e-3f}));
  w.Set("sample.f64s", GgufValue::Array(std::vector<double>{0.25, 1e300}));
  w.Set("sample.bools", GgufValue::BoolArray({true, false, true}));
  w.Set("sample.strings", GgufValue::StringArray(std::vector<std::string>{"a", "", "\xc4\xa0the"}));
  w.Set("sample.empty", GgufValue::Array(std::vector<uint32_t>{}));
  const GgufValue inner_ints = GgufValue::Array(std::vector<int32_t>{1, 2, 3});
  const GgufValue inner_strings = GgufValue::StringArray(std::vector<std::string>{"x", "yz"});
  w.Set("sample.nested", GgufValue::ArrayOf(GgufValueType::kArray, {inner_ints, inner_strings}));
  w.Set("sample.nested3",
        GgufValue::ArrayOf(GgufValueType::kArray,
                           {GgufValue::ArrayOf(GgufValueType::kArray, {inner_ints})}));
}

struct SampleTensor {
  const char* name;
  GgmlType type;
  std::vector<int64_t> dims;
};

}  // namespace

uint8_t SampleByte(size_t tensor, uint64_t i) {
  return static_cast<uint8_t>((i * 31 + tensor * 17 + (i >> 8)) & 0xff);
}

GgufWriter SampleWriter(const SampleOptions& options) {
  GgufWriter w(options.version);
  w.Set("general.architecture", GgufValue::String("sample"));
  if (options.alignment != kDefaultGgufAlignment) {
    w.SetAlignment(options.alignment);
  }
  AddScalars(w);
  AddArrays(w);
  if (!options.tensors) return w;
  const std::vector<SampleTensor> tensors = {
      {"f32", GgmlType::kF32, {4, 3}},    {"f16", GgmlType::kF16, {8}},
      {"q8_0", GgmlType::kQ8_0, {64, 2}}, {"q4_0", GgmlType::kQ4_0, {32, 3}},
      {"q4_K", GgmlType::kQ4_K, {256}},   {"q6_K", GgmlType::kQ6_K, {256, 1, 2}},
      {"i32", GgmlType::kI32, {5}},       {"bf16", GgmlType::kBF16, {2, 2, 2, 2}},
  };
  for (size_t t = 0; t < tensors.size(); ++t) {
    Status status =
        w.AddTensor(tensors[t].name, tensors[t].type, tensors[t].dims, [t](std::span<uint8_t> out) {
          for (size_t i = 0; i < out.size(); ++i) out[i] = SampleByte(t, i);
          return absl::OkStatus();
        });
    TF_CHECK(status.ok()) << status.message();
  }
  return w;
}

std::vector<uint8_t> SampleFile(const SampleOptions& options) {
  StatusOr<std::vector<uint8_t>> bytes = SampleWriter(options).WriteToBuffer();
  TF_CHECK(bytes.ok()) << bytes.status().message();
  return *std::move(bytes);
}

}  // namespace tokenfab::model::testing
