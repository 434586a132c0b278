#include "http_client_core.h"

namespace tokenfab::net {
namespace {

using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

}  // namespace

std::optional<tcp::socket> HttpClient::Core::TakeIdle(int loop, const std::string& key) {
  auto it = loops[loop].idle.find(key);
  if (it == loops[loop].idle.end()) return std::nullopt;
  std::vector<IdleConnection>& list = it->second;
  const Clock::time_point now = Clock::now();
  while (!list.empty()) {
    IdleConnection idle = std::move(list.back());  // most recently used first: warmest
    list.pop_back();
    error_code ec;
    if (now - idle.since > options.idle_connection_ttl) {
      idle.socket.close(ec);
      continue;
    }
    // An idle connection has nothing to read: readable means closed by the peer (or junk).
    char byte;
    idle.socket.non_blocking(true, ec);
    idle.socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    if (ec != asio::error::would_block) {
      idle.socket.close(ec);
      continue;
    }
    idle.socket.non_blocking(false, ec);
    return std::move(idle.socket);
  }
  return std::nullopt;
}

void HttpClient::Core::ReturnIdle(int loop, const std::string& key, tcp::socket socket) {
  std::vector<IdleConnection>& list = loops[loop].idle[key];
  if (closed.load(std::memory_order_relaxed) ||
      static_cast<int>(list.size()) >= options.max_idle_connections_per_upstream) {
    error_code ec;
    socket.close(ec);
    return;
  }
  list.push_back(IdleConnection{std::move(socket), Clock::now()});
}

}  // namespace tokenfab::net
