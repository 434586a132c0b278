// Fuzzes the trace readers: any bytes are a trace or a clear error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tokenfab/bench/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto azure = tokenfab::bench::ParseAzureTrace(text, "fuzz.csv");
  auto mooncake = tokenfab::bench::ParseMooncakeTrace(text, "fuzz.jsonl");
  for (const auto* trace : {&azure, &mooncake}) {
    if (!trace->ok()) continue;
    int64_t previous = 0;
    for (const auto& request : **trace) {
      if (request.arrival_us < previous || request.input_tokens < 0) __builtin_trap();
      previous = request.arrival_us;
    }
  }
  return 0;
}
