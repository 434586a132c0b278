// What the net layer's coroutines share: the completion token that returns errors as values,
// the handler that logs an exception escaping a spawned coroutine, and the cancellation check.
// Internal to the net layer.
#pragma once

#include <exception>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "io_context_pool_internal.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::net::internal {

// co_await op(..., kToken) yields (error_code, result...) instead of throwing.
inline constexpr auto kToken = asio::as_tuple(asio::use_awaitable);

// The completion handler for co_spawn: logs "net: {what} failed: ..." when the coroutine ended
// with an exception. `what` must be a string literal (it is kept).
inline auto LogEscaped(std::string_view what) {
  return [what](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      TF_LOG_ERROR("net: {} failed: {}", what, e.what());
    } catch (...) {
      TF_LOG_ERROR("net: {} failed with an unknown exception", what);
    }
  };
}

// True when this coroutine was cancelled (by the other side of an `||`).
inline asio::awaitable<bool> WasCancelled() {
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace tokenfab::net::internal
