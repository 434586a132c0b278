#include "tokenfab/registry/heartbeat_loop.h"

#include <atomic>
#include <deque>
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "absl/synchronization/mutex.h"

namespace tokenfab::registry {
namespace {

using namespace std::chrono_literals;

// Routes the default logger into a string for the test's duration.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
    spdlog::set_level(spdlog::level::info);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  int Count(const std::string& what) const {
    const std::string s = text();
    int n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Heartbeats answering from a script (then OK), each counted.
class ScriptedBeats {
 public:
  explicit ScriptedBeats(std::deque<Status> script) : script_(std::move(script)) {}
  Status Beat() {
    absl::MutexLock lock(&mu_);
    ++beats_;
    if (script_.empty()) return absl::OkStatus();
    Status s = script_.front();
    script_.pop_front();
    return s;
  }
  int beats() const {
    absl::MutexLock lock(&mu_);
    return beats_;
  }
  bool WaitForBeats(int n) const {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return beats_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }

 private:
  mutable absl::Mutex mu_;
  std::deque<Status> script_ ABSL_GUARDED_BY(mu_);
  int beats_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(HeartbeatLoopTest, BeatsEveryPeriodUntilStopped) {
  ScriptedBeats beats({});
  HeartbeatLoop loop(
      "/k/s/n", 5ms, [&] { return beats.Beat(); }, absl::OkStatus());
  ASSERT_TRUE(beats.WaitForBeats(3));
  loop.Stop();
  const int after_stop = beats.beats();
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(beats.beats(), after_stop) << "a heartbeat ran after Stop()";
  loop.Stop();  // idempotent
}

TEST(HeartbeatLoopTest, StopDoesNotWaitOutThePeriod) {
  ScriptedBeats beats({});
  HeartbeatLoop loop(
      "/k/s/n", std::chrono::hours(1), [&] { return beats.Beat(); }, absl::OkStatus());
  const auto started = std::chrono::steady_clock::now();
  loop.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(beats.beats(), 0);
}

TEST(HeartbeatLoopTest, LogsAFailureOnceAndItsRecoveryOnce) {
  CapturedLog log;
  const Status down = absl::UnavailableError("registry away");
  ScriptedBeats beats({absl::OkStatus(), down, down, down, absl::OkStatus(), down});
  HeartbeatLoop loop(
      "/k/s/n", 2ms, [&] { return beats.Beat(); }, absl::OkStatus());
  ASSERT_TRUE(beats.WaitForBeats(8));
  loop.Stop();
  EXPECT_FALSE(loop.failing());
  EXPECT_EQ(log.Count("heartbeat of /k/s/n failed: registry away"), 2) << log.text();
  EXPECT_EQ(log.Count("heartbeats of /k/s/n resumed"), 2) << log.text();
}

TEST(HeartbeatLoopTest, AFailedFirstRegistrationIsLoggedAndItsRecoveryToo) {
  CapturedLog log;
  const Status down = absl::UnavailableError("registry away");
  ScriptedBeats beats({down});
  HeartbeatLoop loop(
      "/k/s/n", 2ms, [&] { return beats.Beat(); }, down);
  EXPECT_TRUE(loop.failing());
  ASSERT_TRUE(beats.WaitForBeats(3));
  loop.Stop();
  EXPECT_EQ(log.Count("cannot register /k/s/n yet (retrying): registry away"), 1) << log.text();
  // The first heartbeat failing again is not news; the second succeeding is.
  EXPECT_EQ(log.Count("heartbeat of /k/s/n failed"), 0) << log.text();
  EXPECT_EQ(log.Count("heartbeats of /k/s/n resumed"), 1) << log.text();
}

}  // namespace
}  // namespace tokenfab::registry
