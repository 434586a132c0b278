#include "tokenfab/api/operator_auth.h"

#include <openssl/evp.h>

#include "tokenfab/api/bearer_token.h"
#include "tokenfab/base/constant_time.h"
#include "tokenfab/base/secret_file.h"

namespace tokenfab::api {
namespace {

// The password of an `Authorization: Basic base64(user:password)` value; nullopt when it is not
// one.
std::optional<std::string> BasicPassword(std::string_view authorization) {
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() <= kScheme.size() ||
      !net::EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view encoded = authorization.substr(kScheme.size());
  while (!encoded.empty() && (encoded.front() == ' ' || encoded.front() == '\t')) {
    encoded.remove_prefix(1);
  }
  while (!encoded.empty() && (encoded.back() == ' ' || encoded.back() == '\t')) {
    encoded.remove_suffix(1);
  }
  if (encoded.empty() || encoded.size() % 4 != 0 || encoded.size() > 4096) return std::nullopt;
  std::string decoded(encoded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                reinterpret_cast<const unsigned char*>(encoded.data()),
                                static_cast<int>(encoded.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes the padding stands for.
  size_t size = static_cast<size_t>(n);
  for (size_t i = encoded.size(); i > 0 && encoded[i - 1] == '=' && size > 0; --i) --size;
  decoded.resize(size);
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return decoded.substr(colon + 1);
}

}  // namespace

std::optional<ApiError> OperatorAuthError(const net::HttpRequest& request, std::string_view token) {
  if (token.empty()) return std::nullopt;
  const std::string_view authorization = request.headers.Get("Authorization").value_or("");
  std::optional<std::string> sent;
  if (std::optional<std::string_view> bearer = ParseBearerToken(authorization)) {
    sent = std::string(*bearer);
  } else {
    sent = BasicPassword(authorization);
  }
  if (sent && base::ConstantTimeEquals(*sent, token)) return std::nullopt;
  ApiError error;
  error.http_status = 401;
  error.type = "invalid_request_error";
  error.code = "invalid_operator_token";
  error.message = sent ? "Incorrect operator token provided."
                       : "This operations endpoint needs the operator token. Send it as "
                         "'Authorization: Bearer <token>'.";
  return error;
}

StatusOr<std::string> LoadOperatorToken(const std::string& file) {
  if (!file.empty()) return base::ReadSecretFile(file);
  StatusOr<std::string> env = base::ReadSecretEnv(std::string(kOperatorTokenEnv));
  if (env.status().code() == absl::StatusCode::kNotFound) return std::string();
  return env;
}

}  // namespace tokenfab::api
