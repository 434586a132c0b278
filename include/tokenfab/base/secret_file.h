// ReadSecretFile / ReadSecretEnv: a secret (an operator token, an upstream's API key, a
// deployment's prefix-hash secret) read from a file or an environment variable, so that it never
// sits in a command line or a configuration file. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::base {

// The contents of `path` with leading and trailing whitespace (a final newline) removed.
// NotFound when the file cannot be read; InvalidArgument when it holds nothing but whitespace
// (an empty secret would silently turn a check off). Messages name the file, never its contents.
[[nodiscard]] StatusOr<std::string> ReadSecretFile(const std::string& path);

// The value of the environment variable `name`, trimmed the same way. NotFound when it is unset;
// InvalidArgument when it is empty.
[[nodiscard]] StatusOr<std::string> ReadSecretEnv(const std::string& name);

}  // namespace tokenfab::base
