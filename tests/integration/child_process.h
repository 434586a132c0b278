// ChildProcess: a server the integration tests start as a separate process (`tokenfab gateway`,
// `tokenfab node`, llama.cpp's llama-server), its output going to a log file. The port comes
// from the first "http://HOST:PORT" (or https://) the process prints on stdout, or is given. The child gets
// SIGKILL if the test process dies (parent-death signal), and on destruction.
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::testing_process {

class ChildProcess {
 public:
  // Starts argv[0] with argv. When `port_from_stdout`, waits up to `timeout` for the
  // "http://HOST:PORT" line.
  [[nodiscard]] static StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path, bool port_from_stdout,
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~ChildProcess();  // SIGKILL and reap when still running

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // For a process told its port on the command line.
  void set_port(int port) { port_ = port; }
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;  // the log so far

  // Sends `signal`.
  void Signal(int signal);
  // Waits for the exit (at most `timeout`; then SIGKILL). Returns the wait status.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running();

  // Polls GET http://127.0.0.1:port`path` until it answers 200, at most `timeout`.
  [[nodiscard]] Status WaitHealthy(const std::string& path = "/health",
                                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  std::string log_path_;
};

// A free TCP port on 127.0.0.1 (it was free a moment ago).
[[nodiscard]] StatusOr<int> FreePort();

}  // namespace tokenfab::testing_process
