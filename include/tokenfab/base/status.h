// Status and StatusOr: the error currency of every layer (absl's, re-exported), plus the
// propagation macros. No exception crosses a layer: wrap third-party throwers at the edge.
#pragma once

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokenfab {

using absl::Status;
using absl::StatusOr;

}  // namespace tokenfab

#ifndef ABSL_USES_STD_STRING_VIEW
// Debian's Abseil has its own string_view (Status::message() returns one); let fmt print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};
#endif

#define TF_STATUS_CONCAT_INNER_(a, b) a##b
#define TF_STATUS_CONCAT_(a, b) TF_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` (a Status) is not OK.
#define TF_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::absl::Status tf_status_ = (expr);          \
    if (!tf_status_.ok()) return tf_status_;     \
  } while (0)

// `TF_ASSIGN_OR_RETURN(auto x, MakeX());` binds the value or returns the error.
#define TF_ASSIGN_OR_RETURN(lhs, expr) \
  TF_ASSIGN_OR_RETURN_IMPL_(TF_STATUS_CONCAT_(tf_statusor_, __LINE__), lhs, expr)
#define TF_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
