// Small valid GGUF files that exercise the whole format, for tests and for the fuzzer's seed
// corpus: every scalar value type, arrays of each, an empty array, arrays of arrays, and tensors
// of several types and ranks with deterministic data.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_writer.h"

namespace tokenfab::model::testing {

struct SampleOptions {
  uint32_t version = 3;
  uint32_t alignment = kDefaultGgufAlignment;  // written as general.alignment when not 32
  bool tensors = true;
};

// The sample's metadata and tensors. Tensor data byte i of tensor t is SampleByte(t, i).
GgufWriter SampleWriter(const SampleOptions& options = {});
// SampleWriter(options), written to memory.
std::vector<uint8_t> SampleFile(const SampleOptions& options = {});
uint8_t SampleByte(size_t tensor, uint64_t i);

}  // namespace tokenfab::model::testing
