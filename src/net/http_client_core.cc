#include "http_client_core.h"

#include "tls_context.h"

namespace tokenfab::net {
namespace {

using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

}  // namespace

HttpClient::Core::Core(IoContextPool::Impl* pool_in, HttpClientOptions options_in)
    : options(std::move(options_in)),
      tls(internal::MakeClientTlsContext(options.tls)),
      pool(pool_in),
      loops(pool_in->size()) {}

std::unique_ptr<internal::Transport> HttpClient::Core::TakeIdle(int loop, const std::string& key) {
  auto it = loops[loop].idle.find(key);
  if (it == loops[loop].idle.end()) return nullptr;
  std::vector<IdleConnection>& list = it->second;
  const Clock::time_point now = Clock::now();
  while (!list.empty()) {
    IdleConnection idle = std::move(list.back());  // most recently used first: warmest
    list.pop_back();
    error_code ec;
    if (now - idle.since > options.idle_connection_ttl) {
      idle.stream->socket().close(ec);
      continue;
    }
    // An idle connection has nothing to read: readable means closed by the peer (or junk).
    char byte;
    tcp::socket& socket = idle.stream->socket();
    socket.non_blocking(true, ec);
    socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    if (ec != asio::error::would_block) {
      idle.stream->socket().close(ec);
      continue;
    }
    socket.non_blocking(false, ec);
    return std::move(idle.stream);
  }
  return nullptr;
}

void HttpClient::Core::ReturnIdle(int loop, const std::string& key,
                                  std::unique_ptr<internal::Transport> stream) {
  std::vector<IdleConnection>& list = loops[loop].idle[key];
  if (closed.load(std::memory_order_relaxed) ||
      static_cast<int>(list.size()) >= options.max_idle_connections_per_upstream) {
    error_code ec;
    stream->socket().close(ec);
    return;
  }
  list.push_back(IdleConnection{std::move(stream), Clock::now()});
}

}  // namespace tokenfab::net
