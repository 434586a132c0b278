// For the engine's integration tests: tiny real models (random weights, the real llama3
// vocabulary) created once per test process in a temporary folder, and an Engine on one of them
// with the real ModelExecutor.
#pragma once

#include <memory>
#include <string>

#include "tokenfab/base/clock.h"
#include "tokenfab/engine/engine.h"
#include "tokenfab/model/model.h"
#include "tokenfab/model/model_spec.h"

namespace tokenfab::engine::testing {

// The tiny shape of `arch` (model::DefaultShapeName: "tiny", 2 layers of dim 64, context 256, for
// llama and qwen2; tiny-<arch> with the architecture's structure for the others) with `weights`,
// loaded.
// Fails the calling test (and returns null) when the model cannot be made.
const model::Model* TinyModel(model::Architecture arch, model::WeightScheme weights);

// An engine on `model` with a ModelExecutor of 2 threads and F32 KV (batch-invariant kernels
// when asked), invariants audited each step. REQUIRES: config valid for the model.
std::unique_ptr<Engine> ModelEngine(const model::Model& model, const SchedulerConfig& config,
                                    base::Clock& clock, bool batch_invariant = false);

}  // namespace tokenfab::engine::testing
