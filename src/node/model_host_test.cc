#include "tokenfab/node/model_host.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/node_test_util.h"

namespace tokenfab::node {
namespace {

using ::testing::HasSubstr;

StatusOr<std::unique_ptr<ModelHost>> Load(const ModelHostOptions& options) {
  static base::MetricsRegistry* registry = new base::MetricsRegistry();
  return ModelHost::Load(options, base::RealClock::Get(), registry);
}

TEST(ModelHostTest, EngineKinds) {
  EXPECT_EQ(*ParseEngineKind("real"), EngineKind::kModel);
  EXPECT_EQ(*ParseEngineKind("model"), EngineKind::kModel);
  EXPECT_EQ(*ParseEngineKind("synthetic"), EngineKind::kSynthetic);
  EXPECT_FALSE(ParseEngineKind("gpu").ok());
}

TEST(ModelHostTest, SyntheticFromAVocabulary) {
  ModelHostOptions options = testing::FastSyntheticHost("qwen3");
  options.served_model_name.clear();
  auto host = Load(options);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ((*host)->served_model_name(), "synthetic-qwen3");
  EXPECT_NE((*host)->chat_template(), nullptr);  // the vocabulary's own template
  EXPECT_EQ((*host)->max_model_len(), 8192);
  EXPECT_THAT((*host)->description(), HasSubstr("engine synthetic"));
  EXPECT_GT((*host)->tokenizer().vocab_size(), 100000);
}

TEST(ModelHostTest, LimitsReachTheEngine) {
  ModelHostOptions options = testing::FastSyntheticHost();
  options.context = 1000;
  options.kv_blocks = 500;
  options.max_running = 7;
  options.max_waiting = 3;
  options.max_batch_tokens = 128;
  auto host = Load(options);
  ASSERT_TRUE(host.ok()) << host.status();
  const engine::EngineOptions& e = (*host)->engine().options();
  EXPECT_EQ(e.scheduler.num_kv_blocks, 500);
  EXPECT_EQ(e.scheduler.max_context_tokens, 1000);
  EXPECT_EQ(e.scheduler.max_running_sequences, 7);
  EXPECT_EQ(e.scheduler.max_batch_tokens, 128);
  EXPECT_LE(e.scheduler.max_prefill_chunk_tokens, 128);
  EXPECT_EQ(e.max_waiting_requests, 3);
  EXPECT_EQ((*host)->max_model_len(), 1000);
}

TEST(ModelHostTest, TpotSloSizesPrefillWithTheSyntheticModel) {
  ModelHostOptions options = testing::FastSyntheticHost();
  options.synthetic_performance = "base=4000,prefill=40,decode=200,kv=0.002";
  options.tpot_slo_ms = 50;
  options.min_prefill_tokens = 32;
  auto host = Load(options);
  ASSERT_TRUE(host.ok()) << host.status();
  const engine::SchedulerConfig& s = (*host)->engine().options().scheduler;
  EXPECT_EQ(s.tpot_slo_us, 50'000);
  EXPECT_EQ(s.min_prefill_tokens, 32);
  EXPECT_EQ(s.step_model.ToString(), "base=4000,prefill=40,decode=200,kv=0.002");
  EXPECT_THAT((*host)->description(), HasSubstr("TPOT of 50 ms"));
}

TEST(ModelHostTest, ExplicitStepModelWinsOverTheSyntheticOne) {
  ModelHostOptions options = testing::FastSyntheticHost();
  options.tpot_slo_ms = 30;
  options.step_model = "base=1000,prefill=10,decode=100,kv=0";
  auto host = Load(options);
  ASSERT_TRUE(host.ok()) << host.status();
  const engine::PerformanceModel& m = (*host)->engine().options().scheduler.step_model;
  EXPECT_EQ(m.base_us, 1000);
  EXPECT_EQ(m.per_prefill_token_us, 10);
  EXPECT_EQ(m.per_decode_sequence_us, 100);
}

TEST(ModelHostTest, ContextIsCutToThePool) {
  ModelHostOptions options = testing::FastSyntheticHost();
  options.kv_blocks = 10;  // 160 tokens
  auto host = Load(options);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ((*host)->max_model_len(), 160);
}

TEST(ModelHostTest, Errors) {
  ModelHostOptions real;
  EXPECT_THAT(std::string(Load(real).status().message()), HasSubstr("--model"));
  ModelHostOptions synthetic;
  synthetic.engine = EngineKind::kSynthetic;
  EXPECT_THAT(std::string(Load(synthetic).status().message()), HasSubstr("--vocab"));
  synthetic.vocab = "klingon";
  EXPECT_FALSE(Load(synthetic).ok());
  ModelHostOptions missing;
  missing.model_path = "/nonexistent/model.gguf";
  EXPECT_FALSE(Load(missing).ok());
  ModelHostOptions too_long = testing::FastSyntheticHost();
  too_long.context = 100000;  // past the 8192 of the synthetic model's training context
  EXPECT_THAT(std::string(Load(too_long).status().message()), HasSubstr("--context"));
  ModelHostOptions kv_type = testing::FastSyntheticHost();
  kv_type.kv_type = "q4";
  EXPECT_FALSE(Load(kv_type).ok());
  ModelHostOptions performance = testing::FastSyntheticHost();
  performance.synthetic_performance = "base=abc";
  EXPECT_FALSE(Load(performance).ok());
  ModelHostOptions slo = testing::FastSyntheticHost();
  slo.tpot_slo_ms = -1;
  EXPECT_THAT(std::string(Load(slo).status().message()), HasSubstr("--tpot-slo-ms"));
  ModelHostOptions floor = testing::FastSyntheticHost();
  floor.min_prefill_tokens = -1;
  EXPECT_THAT(std::string(Load(floor).status().message()), HasSubstr("--min-prefill-tokens"));
  ModelHostOptions step_model = testing::FastSyntheticHost();
  step_model.step_model = "base=-3";
  EXPECT_THAT(std::string(Load(step_model).status().message()), HasSubstr("--step-model"));
  ModelHostOptions calibrate = testing::FastSyntheticHost();
  calibrate.synthetic_calibrate = true;  // needs a model file
  EXPECT_THAT(std::string(Load(calibrate).status().message()), HasSubstr("--model"));
}

// A mistyped flag is reported before the model is read (a real model file takes seconds to
// minutes to load): here the file does not exist, and the flag's error still comes first.
TEST(ModelHostTest, FlagErrorsComeBeforeTheModelIsRead) {
  ModelHostOptions options;
  options.model_path = "/nonexistent/model.gguf";
  options.tpot_slo_ms = -1;
  EXPECT_THAT(std::string(Load(options).status().message()), HasSubstr("--tpot-slo-ms"));
  options.tpot_slo_ms = 0;
  options.step_model = "base=-3";
  EXPECT_THAT(std::string(Load(options).status().message()), HasSubstr("--step-model"));
  options.step_model.clear();
  options.kv_type = "q4";
  EXPECT_THAT(std::string(Load(options).status().message()), HasSubstr("--kv-type"));
}

TEST(ModelHostTest, ChatTemplateChoices) {
  ModelHostOptions gpt2 = testing::FastSyntheticHost("gpt2");
  auto none = Load(gpt2);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ((*none)->chat_template(), nullptr);  // gpt2 has none: chat refused, not the node
  EXPECT_FALSE((*none)->chat_template_error().ok());

  gpt2.chat_template = "chatml";
  auto builtin = Load(gpt2);
  ASSERT_TRUE(builtin.ok()) << builtin.status();
  ASSERT_NE((*builtin)->chat_template(), nullptr);
  EXPECT_EQ((*builtin)->chat_template()->family(), tokenizer::ChatTemplateFamily::kChatMl);

  gpt2.chat_template = "no-such-template";
  EXPECT_FALSE(Load(gpt2).ok());  // an explicit choice must work

  const std::string file =
      (std::filesystem::temp_directory_path() / "tokenfab_model_host_test.jinja").string();
  {
    std::ofstream out(file);
    out << "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}";
  }
  gpt2.chat_template = file;
  auto from_file = Load(gpt2);
  std::remove(file.c_str());
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  ASSERT_NE((*from_file)->chat_template(), nullptr);
  auto rendered = (*from_file)->chat_template()->Render({{"user", "hi"}}, {});
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(*rendered, "[user] hi\n");
}

}  // namespace
}  // namespace tokenfab::node
