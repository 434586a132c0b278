// ParseBearerToken: the credentials of an `Authorization: Bearer <token>` header, the way the
// OpenAI API takes an API key (RFC 6750 §2.1).
//
//   - The scheme is matched without regard to case ("bearer", "BEARER"), as RFC 7235 §2.1 says
//     of every auth-scheme.
//   - One or more spaces or tabs separate the scheme from the token; whitespace around the whole
//     value is ignored.
//   - The token is one word: a value with whitespace inside the token, with no token, or with
//     another scheme ("Basic ...", "Bearerabc") carries no bearer token.
//
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace tokenfab::api {

// The token of `authorization` (the header's value), a view into it; nullopt when the value
// carries none (see above).
std::optional<std::string_view> ParseBearerToken(std::string_view authorization);

}  // namespace tokenfab::api
