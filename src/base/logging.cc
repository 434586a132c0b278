#include "tokenfab/base/logging.h"

#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace tokenfab::base {

Status InitLogging(std::string_view level) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  // from_str answers "off" for any name it does not know; only accept "off" when asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        "unknown log level '" + std::string(level) +
        "' (expected trace, debug, info, warn, error or off)");
  }
  static auto logger = [] {
    auto l = spdlog::stderr_color_mt("tokenfab");
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ %v");
    return l;
  }();
  spdlog::set_default_logger(logger);
  spdlog::set_level(parsed);
  return absl::OkStatus();
}

}  // namespace tokenfab::base
