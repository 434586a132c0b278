// Utilities for the Jinja unit tests: render a template with JSON variables under fixed limits and
// a fixed clock (2024-07-26 13:45:30 UTC).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/json.h"
#include "tokenizer/jinja/parser.h"

namespace tokenfab::tokenizer::jinja::testing {

inline constexpr int64_t kTestNowMicros = 1722001530'000000;

// Renders `source` with the variables of the JSON object `variables`.
inline StatusOr<std::string> RenderStatus(std::string_view source,
                                          std::string_view variables = "{}",
                                          const RenderLimits& limits = RenderLimits(),
                                          const base::Clock* clock = nullptr) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<Program> program, ParseTemplate(source));
  TF_ASSIGN_OR_RETURN(Value vars, ParseJsonValue(variables));
  std::vector<std::pair<std::string, Value>> list;
  for (const auto& [key, value] : vars.object().entries) list.emplace_back(key.string(), value);
  base::ManualClock fixed(0, kTestNowMicros);
  Interpreter interpreter(limits, clock != nullptr ? *clock : fixed);
  return interpreter.Render(*program, std::move(list));
}

// The output, or "ERROR: <message>".
inline std::string Render(std::string_view source, std::string_view variables = "{}") {
  StatusOr<std::string> out = RenderStatus(source, variables);
  if (!out.ok()) return "ERROR: " + std::string(out.status().message());
  return *out;
}

}  // namespace tokenfab::tokenizer::jinja::testing
