#include "tokenfab/model/model_spec.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::model {
namespace {

using ::testing::HasSubstr;

ModelSpec Tiny() {
  ModelSpec spec;
  spec.shape = FindNamedShape("tiny").value().shape;
  return spec;
}

std::string Error(const ModelSpec& spec) { return std::string(spec.Validate().message()); }

TEST(ModelSpecTest, NamedShapes) {
  const NamedShape llama = FindNamedShape("llama-3.2-1b").value();
  EXPECT_EQ(llama.arch, Architecture::kLlama);
  EXPECT_EQ(llama.vocab, "llama3");
  EXPECT_EQ(llama.shape.dim, 2048);
  EXPECT_EQ(llama.shape.layers, 16);
  EXPECT_EQ(llama.shape.heads, 32);
  EXPECT_EQ(llama.shape.kv_heads, 8);
  EXPECT_EQ(llama.shape.ffn, 8192);
  EXPECT_EQ(llama.shape.rope_theta, 500000.0);
  EXPECT_TRUE(llama.shape.tied_embeddings);
  const NamedShape qwen = FindNamedShape("qwen2.5-0.5b").value();
  EXPECT_EQ(qwen.arch, Architecture::kQwen2);
  EXPECT_EQ(qwen.vocab, "qwen3");
  EXPECT_EQ(qwen.shape.dim, 896);
  EXPECT_EQ(qwen.shape.layers, 24);
  EXPECT_EQ(qwen.shape.heads, 14);
  EXPECT_EQ(qwen.shape.kv_heads, 2);
  EXPECT_EQ(qwen.shape.ffn, 4864);
  EXPECT_EQ(qwen.shape.rope_theta, 1000000.0);
  EXPECT_EQ(qwen.shape.head_dim(), 64);
  const NamedShape tiny = FindNamedShape("tiny").value();
  EXPECT_EQ(tiny.shape.dim, 64);
  EXPECT_EQ(tiny.shape.layers, 2);
  EXPECT_EQ(tiny.shape.heads, 4);
  EXPECT_EQ(tiny.shape.kv_heads, 2);
  EXPECT_EQ(tiny.shape.ffn, 128);
  EXPECT_EQ(tiny.shape.context, 256);
  for (const NamedShape& shape : NamedShapes()) {
    ModelSpec spec;
    spec.arch = shape.arch;
    spec.shape = shape.shape;
    EXPECT_TRUE(spec.Validate().ok()) << shape.name;
  }
  EXPECT_THAT(std::string(FindNamedShape("gpt-5").status().message()),
              HasSubstr("unknown shape 'gpt-5'; known: tiny, llama-3.2-1b, qwen2.5-0.5b"));
}

TEST(ModelSpecTest, Architectures) {
  EXPECT_EQ(ParseArchitecture("qwen2").value(), Architecture::kQwen2);
  EXPECT_EQ(ArchitectureName(ParseArchitecture("llama").value()), "llama");
  EXPECT_FALSE(ParseArchitecture("mamba").ok());
  ModelSpec spec = Tiny();
  EXPECT_FALSE(spec.qkv_bias());
  spec.arch = Architecture::kQwen2;
  EXPECT_TRUE(spec.qkv_bias());
}

TEST(ModelSpecTest, ValidationNamesTheField) {
  EXPECT_TRUE(Tiny().Validate().ok());
  ModelSpec spec = Tiny();
  spec.shape.heads = 5;
  EXPECT_EQ(Error(spec), "heads = 5 does not divide dim = 64");
  spec = Tiny();
  spec.shape.kv_heads = 3;
  EXPECT_EQ(Error(spec), "kv_heads = 3 does not divide heads = 4");
  spec = Tiny();
  spec.shape.kv_heads = 8;
  EXPECT_EQ(Error(spec), "kv_heads = 8 is outside 1..4");
  spec = Tiny();
  spec.shape.dim = 36;
  spec.shape.heads = 4;  // head_dim 9
  EXPECT_THAT(Error(spec), HasSubstr("head_dim = dim / heads = 9 is odd"));
  spec = Tiny();
  spec.shape.layers = 0;
  EXPECT_EQ(Error(spec), "layers = 0 is outside 1..1024");
  spec = Tiny();
  spec.shape.dim = -64;
  EXPECT_THAT(Error(spec), HasSubstr("dim = -64"));
  spec = Tiny();
  spec.shape.ffn = 0;
  EXPECT_THAT(Error(spec), HasSubstr("ffn = 0"));
  spec = Tiny();
  spec.shape.context = 0;
  EXPECT_THAT(Error(spec), HasSubstr("context = 0"));
  spec = Tiny();
  spec.init_std = 0;
  EXPECT_EQ(Error(spec), "init_std = 0 must be positive and finite");
  spec = Tiny();
  spec.shape.rope_theta = NAN;
  EXPECT_THAT(Error(spec), HasSubstr("rope_theta"));
  spec = Tiny();
  spec.shape.rms_epsilon = -1;
  EXPECT_THAT(Error(spec), HasSubstr("rms_epsilon"));
}

}  // namespace
}  // namespace tokenfab::model
