// Test utilities for the net layer: a blocking raw-socket HTTP client that sends exact bytes (so
// tests can send malformed, oversized, slow or pipelined requests) and reads responses, and an
// "engine" thread that runs callbacks at given times, the way a real engine thread produces
// tokens for streams it does not own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/status.h"
#include "tokenfab/net/http_message.h"

namespace tokenfab::net::testing {

struct RawResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // de-chunked
  bool chunked = false;
};

// One TCP connection to 127.0.0.1:port. Every read waits at most `timeout`. Not thread-safe.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends all of `bytes`; false when the connection is broken.
  bool Send(std::string_view bytes);
  // Reads one response (Content-Length, chunked, or until close). A `100 Continue` interim
  // response is returned like any other.
  StatusOr<RawResponse> ReadResponse();
  // Reads the head of a chunked response, then `on_data` with each piece of body as it arrives
  // until the last chunk; returns the status. For watching a stream as it comes.
  StatusOr<int> ReadChunkedStream(const std::function<void(std::string_view data)>& on_data);
  // True when the server closes the connection (EOF or reset) within the timeout; bytes that
  // arrive first are discarded.
  bool WaitForClose();
  // Closes the socket; `reset` sends a TCP RST instead of a FIN.
  void Close(bool reset = false);

 private:
  // Reads until `buffer_` holds at least `n` bytes; false on EOF, error or timeout.
  bool Fill(size_t n);
  StatusOr<std::string> ReadLine();

  int fd_ = -1;
  std::string buffer_;  // received, not yet consumed
};

// A listening socket on 127.0.0.1 that serves one connection with a given function on its own
// thread, then stops listening (later connects are refused): for playing a misbehaving server
// byte by byte.
class RawListener {
 public:
  // `serve(fd)` runs on a thread once a client connects; the fd is closed after it returns.
  explicit RawListener(std::function<void(int fd)> serve);
  ~RawListener();  // joins the thread (closes the listener first)
  uint16_t port() const { return port_; }

  // For `serve`: reads until "\r\n\r\n" (returns what was read); writes all bytes.
  static std::string ReadHead(int fd);
  static void WriteAll(int fd, std::string_view bytes);

 private:
  absl::Mutex mu_;
  int listen_fd_ ABSL_GUARDED_BY(mu_) = -1;  // -1 once closed
  uint16_t port_ = 0;
  std::thread thread_;
};

// Raises the soft limit of open files to the hard limit; returns the new soft limit.
uint64_t RaiseOpenFileLimit();

// A thread that runs scheduled callbacks at their times (steady clock), in time order.
class EventThread {
 public:
  EventThread();
  ~EventThread();  // runs nothing more; joins
  void RunAfter(std::chrono::microseconds delay, std::function<void()> fn);
  void Run(std::function<void()> fn) { RunAfter(std::chrono::microseconds(0), std::move(fn)); }

 private:
  void Loop();
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> queue_
      ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tokenfab::net::testing
