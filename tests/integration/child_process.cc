#include "child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace tokenfab::testing_process {

StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    return absl::InternalError("no free port");
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                            const std::string& log_path,
                                                            bool port_from_stdout,
                                                            std::chrono::milliseconds timeout) {
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe failed");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(125);
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out[1], 1);
    if (log >= 0) dup2(log, 2);
    close(out[0]);
    close(out[1]);
    // The signals the test may have blocked must reach the child.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = pid;
  child->stdout_fd_ = out[0];
  child->log_path_ = log_path;
  if (!port_from_stdout) return child;
  // Read stdout until a line holds http://HOST:PORT or https://HOST:PORT; the rest goes to the
  // log.
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{child->stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) {
      if (!child->running()) break;
      continue;
    }
    char buffer[512];
    const ssize_t n = read(child->stdout_fd_, buffer, sizeof(buffer));
    if (n <= 0) break;
    seen.append(buffer, static_cast<size_t>(n));
    size_t at = seen.find("http://");
    if (at == std::string::npos) at = seen.find("https://");
    const size_t eol = at == std::string::npos ? at : seen.find('\n', at);
    if (eol != std::string::npos) {
      const std::string url = seen.substr(at, eol - at);
      child->port_ = std::atoi(url.substr(url.rfind(':') + 1).c_str());
      // Keep draining stdout into the log so the child never blocks on a full pipe.
      std::thread([fd = child->stdout_fd_, log_path] {
        char buf[4096];
        std::ofstream log(log_path, std::ios::app);
        ssize_t got;
        while ((got = read(fd, buf, sizeof(buf))) > 0) log.write(buf, got).flush();
      }).detach();
      child->stdout_fd_ = -1;
      return child;
    }
  }
  return absl::UnavailableError(fmt::format("{} printed no address:\n{}{}", argv[0], seen,
                                            child->Log()));
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void ChildProcess::Signal(int signal) {
  if (!reaped_) kill(pid_, signal);
}

bool ChildProcess::running() {
  if (reaped_) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (reaped_) return 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  reaped_ = true;
  return status;
}

Status ChildProcess::WaitHealthy(const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return absl::UnavailableError("the process exited:\n" + Log());
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string answer;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[256];
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n > 0) answer.assign(buffer, static_cast<size_t>(n));
    }
    close(fd);
    if (answer.rfind("HTTP/1.1 200", 0) == 0) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(fmt::format("{} never answered 200:\n{}", path, Log()));
}

}  // namespace tokenfab::testing_process
