// Logging: spdlog behind a few macros. Every log line goes to stderr, because stdout belongs to
// command output (generated text, token ids, JSON). Thread-safe.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include "tokenfab/base/status.h"

namespace tokenfab::base {

// Routes the default logger to stderr at `level` ("trace", "debug", "info", "warn", "error",
// "off"). Safe to call more than once; an unknown level is an InvalidArgument error.
[[nodiscard]] Status InitLogging(std::string_view level);

}  // namespace tokenfab::base

#define TF_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define TF_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define TF_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define TF_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
