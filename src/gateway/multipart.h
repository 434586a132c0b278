// Multipart/form-data (RFC 7578) bodies, as the OpenAI SDKs upload files: the boundary from the
// Content-Type field, then each part's name, filename, type and bytes. Malformed input is an
// InvalidArgument with a message fit for a 400, never a crash. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::gateway {

struct FormPart {
  std::string name;          // Content-Disposition's name
  std::string filename;      // its filename, empty when none
  std::string content_type;  // the part's Content-Type, empty when none
  std::string_view data;     // the part's bytes: a view into the parsed body
};

// The parts of `body`, sent with `content_type` ("multipart/form-data; boundary=...").
// REQUIRES: `body` outlives the parts.
[[nodiscard]] StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view content_type,
                                                             std::string_view body);

}  // namespace tokenfab::gateway
