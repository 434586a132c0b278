#include "model_vocabularies.h"

#include <gtest/gtest.h>

#include "tokenfab/base/thread_pool.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/model/model_spec.h"
#include "tokenfab/tokenizer/chat_prompt.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::gateway {
namespace {

constexpr std::string_view kFleet = R"(currency = "CNY"
[[regions]]
name = "r"
[[sites]]
name = "s"
region = "r"
[sites.energy]
price = 0.4
pue = 1.2
green_share = 0.5
carbon_g_per_kwh = 300
[[upstreams]]
name = "u"
url = "http://127.0.0.1:9001"
kind = "tokenfab-node"
models = ["llama", "qwen", "nameless"]
site = "s"
[upstreams.hardware]
kind = "gpu"
count = 1
peak_tflops = 100
mem_bandwidth_gbps = 1000
power_idle_w = 50
power_max_w = 300
)";

std::unique_ptr<fleet::FleetConfig> Fleet(const std::string& models) {
  auto config = fleet::ParseFleetConfig(std::string(kFleet) + models, "fleet.toml");
  EXPECT_TRUE(config.ok()) << config.status();
  return std::make_unique<fleet::FleetConfig>(*std::move(config));
}

InferenceRequest Chat(std::string model, std::string text) {
  InferenceRequest r;
  r.endpoint = api::Endpoint::kChatCompletions;
  r.model = std::move(model);
  r.messages = {{"system", "You are terse."}, {"user", text}};
  r.prompt_bytes = 14 + text.size();
  return r;
}

TEST(ModelVocabulariesTest, CountsWithTheNamedVocabularyAndTemplate) {
  auto config = Fleet(
      "[[models]]\nname = \"llama\"\nvocab = \"llama3\"\n"
      "[[models]]\nname = \"qwen\"\nvocab = \"qwen3\"\n");
  auto vocab = ModelVocabularies::Load(*config);
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  const tokenizer::Tokenizer* llama = (*vocab)->Find("llama");
  ASSERT_NE(llama, nullptr);
  EXPECT_EQ((*vocab)->Find("nameless"), nullptr);

  // Completion text: exactly the tokenizer's count.
  const std::string text = "The quick brown fox jumps over the lazy dog, twice.";
  EXPECT_EQ((*vocab)->CountText("llama", text),
            static_cast<int64_t>(llama->Encode(text, false, false).size()));
  // A chat prompt: the conversation as the model's template renders it.
  const InferenceRequest chat = Chat("llama", text);
  auto chat_template = tokenizer::ResolveChatTemplate(llama->vocab().chat_template, "llama3");
  ASSERT_TRUE(chat_template.ok());
  auto ids = tokenizer::EncodeChat(*llama, *chat_template, chat.messages, {});
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ((*vocab)->CountPrompt(chat), static_cast<int64_t>(ids->size()));
  EXPECT_GT((*vocab)->CountPrompt(chat), (*vocab)->CountText("llama", text) + 10)
      << "the template's headers count too";
  // A completion prompt: BOS and the text.
  InferenceRequest completion;
  completion.endpoint = api::Endpoint::kCompletions;
  completion.model = "llama";
  completion.prompts = {text};
  EXPECT_EQ((*vocab)->CountPrompt(completion), (*vocab)->CountText("llama", text) + 1);
  // Another vocabulary counts differently.
  EXPECT_GT((*vocab)->CountPrompt(Chat("qwen", text)), 0);
}

TEST(ModelVocabulariesTest, WithoutAVocabularyEstimatesFourBytesPerToken) {
  auto config = Fleet("");
  auto vocab = ModelVocabularies::Load(*config);
  ASSERT_TRUE(vocab.ok());
  EXPECT_EQ((*vocab)->CountText("nameless", "12345678"), 2);
  EXPECT_EQ((*vocab)->CountText("nameless", "123456789"), 3);
  EXPECT_EQ((*vocab)->CountText("nameless", ""), 0);
  InferenceRequest ids;
  ids.endpoint = api::Endpoint::kCompletions;
  ids.model = "nameless";
  ids.prompt_ids = {5, 6, 7};
  EXPECT_EQ((*vocab)->CountPrompt(ids), 3);
  EXPECT_FALSE((*vocab)->EncodePrompt(ids).has_value());
}

TEST(ModelVocabulariesTest, ReadsAGgufFilesVocabularyAndSharesUnchangedEntries) {
  auto vocab_path = tokenizer::FindVocabFile("llama3");
  ASSERT_TRUE(vocab_path.ok()) << vocab_path.status();
  auto vocab = tokenizer::LoadVocabJson(*vocab_path);
  ASSERT_TRUE(vocab.ok());
  auto shape = model::FindNamedShape("tiny");
  model::ModelSpec spec;
  spec.name = "tiny";
  spec.shape = shape.ok() ? shape->shape : model::ModelShape{64, 1, 2, 2, 128, 256};
  base::ThreadPool pool(1);
  const std::string path = ::testing::TempDir() + "/vocab-test.gguf";
  ASSERT_TRUE(model::CreateModelFile(spec, *vocab, pool, path).ok());

  auto config = Fleet("[[models]]\nname = \"llama\"\ngguf = \"" + path +
                      "\"\n[[models]]\nname = \"qwen\"\nvocab = \"qwen3\"\n");
  auto first = ModelVocabularies::Load(*config);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_NE((*first)->Find("llama"), nullptr);
  EXPECT_EQ((*first)->CountText("llama", "hello world"), 2);
  auto second = ModelVocabularies::Load(*config, first->get());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->Find("llama"), (*first)->Find("llama")) << "not loaded twice";

  auto missing = Fleet("[[models]]\nname = \"llama\"\ngguf = \"/no/such.gguf\"\n");
  auto error = ModelVocabularies::Load(*missing);
  ASSERT_FALSE(error.ok());
  EXPECT_NE(std::string(error.status().message()).find("model \"llama\""), std::string::npos);
}

}  // namespace
}  // namespace tokenfab::gateway
