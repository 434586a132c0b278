#include "tokenfab/base/secret_file.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace tokenfab::base {
namespace {

std::string Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(kSpace);
  return std::string(s.substr(begin, end - begin + 1));
}

}  // namespace

StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read the secret file {}", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string secret = Trim(contents.str());
  if (secret.empty()) {
    return absl::InvalidArgumentError(fmt::format("the secret file {} is empty", path));
  }
  return secret;
}

StatusOr<std::string> ReadSecretEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) {
    return absl::NotFoundError(fmt::format("the environment variable {} is not set", name));
  }
  std::string secret = Trim(value);
  if (secret.empty()) {
    return absl::InvalidArgumentError(fmt::format("the environment variable {} is empty", name));
  }
  return secret;
}

}  // namespace tokenfab::base
