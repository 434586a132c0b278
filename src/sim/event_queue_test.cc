#include "tokenfab/sim/event_queue.h"

#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::sim {
namespace {

class Recorder final : public EventHandler {
 public:
  explicit Recorder(EventCore& core) : core_(core) {}
  void OnEvent(const Event& event) override {
    seen.push_back(event.data);
    times.push_back(core_.now_us());
  }
  std::vector<uint64_t> seen;
  std::vector<int64_t> times;

 private:
  EventCore& core_;
};

TEST(EventQueueTest, PopsInTimeOrderAndTiesInSchedulingOrder) {
  EventQueue queue;
  queue.Push(30, 0, 0, 1);
  queue.Push(10, 0, 0, 2);
  queue.Push(30, 0, 0, 3);
  queue.Push(20, 0, 0, 4);
  queue.Push(10, 0, 0, 5);
  std::vector<uint64_t> order;
  while (!queue.empty()) order.push_back(queue.Pop().data);
  EXPECT_EQ(order, (std::vector<uint64_t>{2, 5, 4, 1, 3}));
}

TEST(EventQueueTest, ManyTiesKeepSchedulingOrder) {
  EventQueue queue;
  for (uint64_t i = 0; i < 1000; ++i) queue.Push(static_cast<int64_t>(i % 7), 0, 0, i);
  int64_t last_time = -1;
  uint64_t last_data = 0;
  while (!queue.empty()) {
    const Event e = queue.Pop();
    if (e.time_us == last_time) {
      EXPECT_GT(e.data, last_data);
    }
    EXPECT_GE(e.time_us, last_time);
    last_time = e.time_us;
    last_data = e.data;
  }
}

TEST(EventCoreTest, AdvancesTheClockAndStopsAtTheEnd) {
  EventCore core(7);
  core.At(100, 1, 0, 1);
  core.At(50, 1, 0, 2);
  core.At(400, 1, 0, 3);
  Recorder recorder(core);
  EXPECT_EQ(core.RunUntil(300, recorder), 2u);
  EXPECT_EQ(recorder.seen, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(recorder.times, (std::vector<int64_t>{50, 100}));
  EXPECT_EQ(core.now_us(), 100);
  EXPECT_EQ(core.NextEventTime(), 400);
  EXPECT_EQ(core.RunUntil(1000, recorder, 0), 0u);  // max_events
  EXPECT_EQ(core.RunUntil(1000, recorder), 1u);
  EXPECT_EQ(core.events_handled(), 3u);
}

}  // namespace
}  // namespace tokenfab::sim
