// libFuzzer target for the GGUF reader. Every input either fails to parse with an error or parses
// into a file whose every accessor works; a file that parses is also written back out through
// GgufWriter (every key via GetValue, every tensor's data) and must parse again to the same
// metadata and tensors. ASan catches any read outside the input.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include <spdlog/spdlog.h>

#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_vocab.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/model/model_info.h"

namespace tokenfab::model {
namespace {

// Beyond this alignment the rewritten file would be mostly padding.
constexpr uint64_t kMaxRewriteAlignment = 1 << 16;

void Require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

uint64_t TouchKeys(const GgufFile& file) {
  uint64_t sum = 0;
  for (std::string_view key : file.Keys()) {
    Require(file.HasKey(key), "Keys() lists a key HasKey() denies");
    Require(file.KeyType(key).ok(), "KeyType fails on a listed key");
    if (auto v = file.GetUint(key); v.ok()) sum += *v;
    if (auto v = file.GetInt(key); v.ok()) sum += static_cast<uint64_t>(*v);
    if (auto v = file.GetFloat(key); v.ok()) sum += *v > 0;
    if (auto v = file.GetBool(key); v.ok()) sum += *v;
    if (auto v = file.GetString(key); v.ok()) {
      for (char c : *v) sum += static_cast<unsigned char>(c);
    }
    if (auto v = file.GetArrayInfo(key); v.ok()) sum += v->count;
    if (auto v = file.GetStringArray(key); v.ok()) {
      for (std::string_view s : *v) sum += s.empty() ? 0 : static_cast<unsigned char>(s.back());
    }
    if (auto v = file.GetFloatArray(key); v.ok()) sum += v->size();
    if (auto v = file.GetIntArray(key); v.ok()) sum += v->size();
    Require(file.GetValue(key).ok(), "GetValue fails on a listed key");
  }
  return sum;
}

uint64_t TouchTensors(const GgufFile& file) {
  uint64_t sum = 0;
  for (const GgufTensorInfo& t : file.tensors()) {
    Require(file.FindTensor(t.name) == &t, "FindTensor does not find a listed tensor");
    Require(file.GetTensor(t.name).ok(), "GetTensor fails on a listed tensor");
    Require(t.num_elements() > 0 && t.size_bytes > 0, "empty tensor");
    sum += t.data[0] + t.data[t.size_bytes - 1];
  }
  return sum;
}

void RewriteAndCompare(const GgufFile& file) {
  if (file.alignment() > kMaxRewriteAlignment) return;
  GgufWriter writer(file.version());
  for (std::string_view key : file.Keys()) writer.Set(key, file.GetValue(key).value());
  for (const GgufTensorInfo& t : file.tensors()) {
    const Status added = writer.AddTensor(t.name, t.type, t.dims, [&t](std::span<uint8_t> out) {
      std::memcpy(out.data(), t.data, t.size_bytes);
      return absl::OkStatus();
    });
    Require(added.ok(), "the writer refuses a tensor the reader accepted");
  }
  StatusOr<std::vector<uint8_t>> bytes = writer.WriteToBuffer();
  Require(bytes.ok(), "writing failed");
  StatusOr<GgufFile> again = GgufFile::Parse(*bytes);
  Require(again.ok(), "a rewritten file does not parse");
  Require(again->Keys() == file.Keys(), "keys differ after a rewrite");
  for (std::string_view key : file.Keys()) {
    Require(again->GetValue(key).value() == file.GetValue(key).value(), "a value differs");
  }
  Require(again->tensors().size() == file.tensors().size(), "tensor count differs");
  for (size_t i = 0; i < file.tensors().size(); ++i) {
    const GgufTensorInfo& a = file.tensors()[i];
    const GgufTensorInfo& b = again->tensors()[i];
    Require(a.name == b.name && a.type == b.type && a.dims == b.dims, "tensor info differs");
    Require(std::memcmp(a.data, b.data, a.size_bytes) == 0, "tensor data differs");
  }
}

}  // namespace
}  // namespace tokenfab::model

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // ReadVocab warns about ids outside the vocabulary
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokenfab::model;
  tokenfab::StatusOr<GgufFile> file = GgufFile::Parse(std::span<const uint8_t>(data, size));
  if (!file.ok()) {
    Require(!file.status().message().empty(), "an error without a message");
    return 0;
  }
  volatile uint64_t sink = TouchKeys(*file) + TouchTensors(*file);
  (void)sink;
  (void)ReadVocab(*file);
  const ModelSummary summary = SummarizeModel(*file);
  (void)FormatModelSummary(summary);
  (void)ModelSummaryToJson(summary);
  (void)FormatMetadata(*file);
  (void)FormatTensors(*file);
  RewriteAndCompare(*file);
  return 0;
}
