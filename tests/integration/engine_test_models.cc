#include "engine_test_models.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tokenfab/base/thread_pool.h"
#include "tokenfab/engine/model_executor.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::engine::testing {
namespace {

// Removes the folder of created models when the process ends.
class ModelFolder {
 public:
  ModelFolder() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tokenfab-engine-models-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ModelFolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

const model::Model* TinyModel(model::Architecture arch, model::WeightScheme weights) {
  static ModelFolder folder;
  static auto* models = new std::map<std::pair<int, int>, std::unique_ptr<model::Model>>();
  const auto key = std::make_pair(static_cast<int>(arch), static_cast<int>(weights));
  if (auto it = models->find(key); it != models->end()) return it->second.get();
  EXPECT_FALSE(folder.path().empty()) << "no temporary folder";
  StatusOr<std::string> vocab_file = tokenizer::FindVocabFile("llama3");
  EXPECT_TRUE(vocab_file.ok()) << vocab_file.status();
  if (!vocab_file.ok()) return nullptr;
  StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*vocab_file);
  EXPECT_TRUE(vocab.ok()) << vocab.status();
  if (!vocab.ok()) return nullptr;
  model::ModelSpec spec;
  spec.name = "engine test model";
  spec.arch = arch;
  spec.shape = model::FindNamedShape(model::DefaultShapeName(arch)).value().shape;
  spec.weights = weights;
  spec.seed = 11;
  spec.init_std = 0.3;  // peaked enough that greedy choices are rarely near ties
  const std::string path = fmt::format("{}/{}-{}.gguf", folder.path(),
                                       model::ArchitectureName(arch), static_cast<int>(weights));
  base::ThreadPool pool(2);
  const Status created = model::CreateModelFile(spec, *vocab, pool, path);
  EXPECT_TRUE(created.ok()) << created;
  if (!created.ok()) return nullptr;
  StatusOr<std::unique_ptr<model::Model>> model = model::Model::Load(path);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return nullptr;
  return models->emplace(key, *std::move(model)).first->second.get();
}

std::unique_ptr<Engine> ModelEngine(const model::Model& model, const SchedulerConfig& config,
                                    base::Clock& clock, bool batch_invariant) {
  ModelExecutorOptions exec;
  exec.num_threads = 2;
  exec.kv_type = kernels::GgmlType::kF32;
  exec.batch_invariant = batch_invariant;
  StatusOr<std::unique_ptr<ModelExecutor>> executor = ModelExecutor::Create(model, config, exec);
  EXPECT_TRUE(executor.ok()) << executor.status();
  if (!executor.ok()) return nullptr;
  EngineOptions options;
  options.scheduler = config;
  options.check_invariants = true;
  StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(options, *std::move(executor), model.tokenizer(), clock);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *std::move(engine) : nullptr;
}

}  // namespace tokenfab::engine::testing
