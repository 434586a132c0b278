// EventQueue and EventCore: the simulator's discrete-event heart. An event is a time (µs of
// simulated time), a kind, a target and one word of payload; the queue hands them out in time
// order, and events at the same time in the order they were scheduled (a sequence number breaks
// every tie), so a run is a pure function of its inputs and seed.
//
// EventCore owns the queue, the ManualClock it advances to each event's time before handing the
// event over, and the run's one Random (seeded from --seed); every component draws from it or
// from a Fork() of it taken in a fixed order.
//
// Events are plain values in a binary heap (no allocation per event once the heap has grown, no
// std::function): the core loop is a pop, a clock store and a virtual call.
// Not thread-safe: one simulation runs on one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/random.h"

namespace tokenfab::sim {

// One scheduled happening. Plain data.
struct Event {
  int64_t time_us = 0;  // simulated µs from the start of the run
  uint64_t seq = 0;     // scheduling order: the tie-break at equal times
  uint32_t kind = 0;    // what happens (the handler's own enum)
  uint32_t target = 0;  // whom it happens to (a node index, a request slot, ...)
  uint64_t data = 0;    // one word of payload (a request id, a step number, ...)
};

// Time-ordered, ties in scheduling order.
class EventQueue {
 public:
  // Schedules an event; returns its sequence number.
  uint64_t Push(int64_t time_us, uint32_t kind, uint32_t target, uint64_t data);
  // REQUIRES: !empty().
  Event Pop();
  // REQUIRES: !empty().
  const Event& Top() const { return heap_.front(); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  void Reserve(size_t n) { heap_.reserve(n); }

 private:
  // True when a must come out after b.
  static bool Later(const Event& a, const Event& b) {
    return a.time_us != b.time_us ? a.time_us > b.time_us : a.seq > b.seq;
  }
  void SiftUp(size_t i);
  void SiftDown(size_t i);

  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
};

// Receives the events of an EventCore.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void OnEvent(const Event& event) = 0;
};

class EventCore {
 public:
  // The clock starts at 0; its wall reading at `wall_origin_us` (µs since the Unix epoch), which
  // sets the hour of day for electricity prices.
  explicit EventCore(uint64_t seed, int64_t wall_origin_us = kDefaultWallOrigin)
      : clock_(0, wall_origin_us), random_(seed) {}

  // 2026-01-05T00:00:00Z, a Monday.
  static constexpr int64_t kDefaultWallOrigin = 1'767'571'200'000'000;

  // Schedules `kind` at absolute time `time_us`. REQUIRES: time_us >= now_us().
  uint64_t At(int64_t time_us, uint32_t kind, uint32_t target = 0, uint64_t data = 0);
  // Schedules `kind` `delay_us` (>= 0) from now.
  uint64_t After(int64_t delay_us, uint32_t kind, uint32_t target = 0, uint64_t data = 0) {
    return At(now_us() + delay_us, kind, target, data);
  }

  // Hands events to `handler` in order, advancing the clock to each, until the queue is empty
  // or the next event lies after `end_us`, or `max_events` were handled; the clock then stands
  // at the last event handled. Returns the number of events handled.
  uint64_t RunUntil(int64_t end_us, EventHandler& handler, uint64_t max_events = UINT64_MAX);

  // The time of the next event, or INT64_MAX when none is queued.
  int64_t NextEventTime() const { return queue_.empty() ? INT64_MAX : queue_.Top().time_us; }

  int64_t now_us() const { return clock_.NowMicros(); }
  base::ManualClock& clock() { return clock_; }
  base::Random& random() { return random_; }
  EventQueue& queue() { return queue_; }
  uint64_t events_handled() const { return events_handled_; }

 private:
  EventQueue queue_;
  base::ManualClock clock_;
  base::Random random_;
  uint64_t events_handled_ = 0;
};

}  // namespace tokenfab::sim
