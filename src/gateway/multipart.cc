#include "multipart.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace tokenfab::gateway {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in a header value like `form-data; name="file"; filename="a"`.
std::string Param(std::string_view value, std::string_view key) {
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t semi = value.find(';', pos);
    if (semi == std::string_view::npos) break;
    std::string_view rest = Trim(value.substr(semi + 1));
    const size_t eq = rest.find('=');
    pos = semi + 1;
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(rest.substr(0, eq))) != key) continue;
    std::string_view v = Trim(rest.substr(eq + 1));
    if (!v.empty() && v.front() == '"') {
      std::string out;
      for (size_t i = 1; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        out += v[i];
      }
      return out;
    }
    return std::string(v.substr(0, v.find(';')));
  }
  return {};
}

Status ReadPartHeaders(std::string_view headers, FormPart& part) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find("\r\n", pos);
    if (end == std::string_view::npos) end = headers.size();
    const std::string_view line = headers.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError("multipart: a part header has no ':'");
    }
    const std::string name = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (Lower(value.substr(0, value.find(';'))) != "form-data") {
        return absl::InvalidArgumentError("multipart: a part is not form-data");
      }
      part.name = Param(value, "name");
      part.filename = Param(value, "filename");
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  if (part.name.empty()) return absl::InvalidArgumentError("multipart: a part has no name");
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view content_type,
                                               std::string_view body) {
  if (Lower(Trim(content_type.substr(0, content_type.find(';')))) != "multipart/form-data") {
    return absl::InvalidArgumentError("the body must be multipart/form-data");
  }
  const std::string boundary = Param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return absl::InvalidArgumentError("multipart/form-data without a valid boundary");
  }
  const std::string delimiter = "--" + boundary;
  if (body.substr(0, delimiter.size()) != delimiter) {
    // A preamble is allowed; the first delimiter then starts a line.
    const size_t first = body.find("\r\n" + delimiter);
    if (first == std::string_view::npos) {
      return absl::InvalidArgumentError("multipart: the boundary does not occur in the body");
    }
    body.remove_prefix(first + 2);
  }
  std::vector<FormPart> parts;
  const std::string next_delimiter = "\r\n" + delimiter;
  size_t pos = delimiter.size();
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") {
      return absl::InvalidArgumentError("multipart: a boundary line is malformed");
    }
    pos += 2;
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) {
      return absl::InvalidArgumentError("multipart: a part's headers do not end");
    }
    FormPart part;
    // Headers end at the blank line; a part with no headers starts right at it.
    TF_RETURN_IF_ERROR(ReadPartHeaders(body.substr(pos, head_end - pos), part));
    const size_t data_begin = head_end + 4;
    const size_t data_end = body.find(next_delimiter, data_begin);
    if (data_end == std::string_view::npos) {
      return absl::InvalidArgumentError(
          "multipart: the body ends inside a part (no closing "
          "boundary)");
    }
    part.data = body.substr(data_begin, data_end - data_begin);
    parts.push_back(std::move(part));
    pos = data_end + next_delimiter.size();
    if (parts.size() > 64) return absl::InvalidArgumentError("multipart: too many parts");
  }
}

}  // namespace tokenfab::gateway
