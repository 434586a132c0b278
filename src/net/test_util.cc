#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

namespace tokenfab::net::testing {

RawConnection::RawConnection(uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::Close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger lg{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  ::close(fd_);
  fd_ = -1;
}

bool RawConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawConnection::Fill(size_t n) {
  char chunk[16384];
  while (buffer_.size() < n) {
    const ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

StatusOr<std::string> RawConnection::ReadLine() {
  while (true) {
    const size_t end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return line;
    }
    if (!Fill(buffer_.size() + 1)) return absl::UnavailableError("connection closed or timed out");
  }
}

namespace {

StatusOr<RawResponse> ParseHead(const std::function<StatusOr<std::string>()>& read_line) {
  RawResponse response;
  TF_ASSIGN_OR_RETURN(std::string status_line, read_line());
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
    return absl::DataLossError(fmt::format("bad status line '{}'", status_line));
  }
  response.status = std::stoi(status_line.substr(9, 3));
  while (true) {
    TF_ASSIGN_OR_RETURN(std::string line, read_line());
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) return absl::DataLossError("bad header line");
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    response.headers.Add(line.substr(0, colon), value);
  }
  const auto te = response.headers.Get("Transfer-Encoding");
  response.chunked = te.has_value() && EqualsIgnoreCase(*te, "chunked");
  return response;
}

}  // namespace

StatusOr<RawResponse> RawConnection::ReadResponse() {
  TF_ASSIGN_OR_RETURN(RawResponse response, ParseHead([this] { return ReadLine(); }));
  if (response.status == 100) return response;
  if (response.chunked) {
    while (true) {
      TF_ASSIGN_OR_RETURN(std::string size_line, ReadLine());
      const size_t size = std::stoul(size_line, nullptr, 16);
      if (size == 0) {
        TF_ASSIGN_OR_RETURN(std::string end, ReadLine());
        break;
      }
      if (!Fill(size + 2)) return absl::UnavailableError("connection closed mid-chunk");
      response.body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
    }
  } else if (const auto length = response.headers.Get("Content-Length")) {
    const size_t size = std::stoul(std::string(*length));
    if (!Fill(size)) return absl::UnavailableError("connection closed mid-body");
    response.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
  } else {
    while (Fill(buffer_.size() + 1)) {
    }
    response.body = std::move(buffer_);
    buffer_.clear();
  }
  return response;
}

StatusOr<int> RawConnection::ReadChunkedStream(
    const std::function<void(std::string_view data)>& on_data) {
  TF_ASSIGN_OR_RETURN(RawResponse response, ParseHead([this] { return ReadLine(); }));
  if (!response.chunked) return absl::DataLossError("response is not chunked");
  while (true) {
    TF_ASSIGN_OR_RETURN(std::string size_line, ReadLine());
    const size_t size = std::stoul(size_line, nullptr, 16);
    if (size == 0) {
      TF_ASSIGN_OR_RETURN(std::string end, ReadLine());
      return response.status;
    }
    if (!Fill(size + 2)) return absl::UnavailableError("connection closed mid-chunk");
    on_data(std::string_view(buffer_).substr(0, size));
    buffer_.erase(0, size + 2);
  }
}

bool RawConnection::WaitForClose() {
  char chunk[4096];
  while (true) {
    const ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got == 0) return true;
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno == ECONNRESET;  // EAGAIN: the timeout passed with the connection open
    }
  }
}

RawListener::RawListener(std::function<void(int fd)> serve) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listen_fd_, 16);
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  const int listen_fd = listen_fd_;
  thread_ = std::thread([this, listen_fd, serve = std::move(serve)] {
    const int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) return;
    {
      absl::MutexLock lock(&mu_);
      ::close(listen_fd_);
      listen_fd_ = -1;
    }
    serve(fd);
    ::close(fd);
  });
}

RawListener::~RawListener() {
  {
    absl::MutexLock lock(&mu_);
    if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);  // wakes a blocked accept()
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string RawListener::ReadHead(int fd) {
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd, &c, 1, 0) != 1) break;
    head.push_back(c);
  }
  return head;
}

void RawListener::WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

EventThread::EventThread() : thread_([this] { Loop(); }) {}

EventThread::~EventThread() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

void EventThread::RunAfter(std::chrono::microseconds delay, std::function<void()> fn) {
  {
    absl::MutexLock lock(&mu_);
    queue_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
  }
  cv_.SignalAll();
}

void EventThread::Loop() {
  mu_.Lock();
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const auto due = queue_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      cv_.WaitWithTimeout(&mu_, absl::FromChrono(due - std::chrono::steady_clock::now()));
      continue;
    }
    std::function<void()> fn = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    mu_.Unlock();
    fn();
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace tokenfab::net::testing
