#include "tokenfab/bench/trace.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace tokenfab::bench {

StatusOr<TraceFormat> ParseTraceFormat(std::string_view name) {
  if (name == "azure") return TraceFormat::kAzure;
  if (name == "mooncake") return TraceFormat::kMooncake;
  return absl::InvalidArgumentError(
      fmt::format("unknown trace format '{}' (expected azure or mooncake)", name));
}

StatusOr<std::vector<TraceRequest>> ReadTrace(const std::string& path, TraceFormat format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot open trace file '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(fmt::format("cannot read trace file '{}'", path));
  const std::string contents = text.str();
  return format == TraceFormat::kAzure ? ParseAzureTrace(contents, path)
                                       : ParseMooncakeTrace(contents, path);
}

}  // namespace tokenfab::bench
