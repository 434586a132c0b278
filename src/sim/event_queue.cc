#include "tokenfab/sim/event_queue.h"

#include <utility>

#include "tokenfab/base/check.h"

namespace tokenfab::sim {

uint64_t EventQueue::Push(int64_t time_us, uint32_t kind, uint32_t target, uint64_t data) {
  const uint64_t seq = next_seq_++;
  heap_.push_back(Event{time_us, seq, kind, target, data});
  SiftUp(heap_.size() - 1);
  return seq;
}

Event EventQueue::Pop() {
  TF_CHECK(!heap_.empty());
  Event top = heap_.front();
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) SiftDown(0);
  return top;
}

void EventQueue::SiftUp(size_t i) {
  const Event moving = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!Later(heap_[parent], moving)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = moving;
}

void EventQueue::SiftDown(size_t i) {
  const size_t n = heap_.size();
  const Event moving = heap_[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Later(heap_[child], heap_[child + 1])) ++child;
    if (!Later(moving, heap_[child])) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = moving;
}

uint64_t EventCore::At(int64_t time_us, uint32_t kind, uint32_t target, uint64_t data) {
  TF_CHECK(time_us >= now_us()) << "event scheduled in the past: " << time_us << " < " << now_us();
  return queue_.Push(time_us, kind, target, data);
}

uint64_t EventCore::RunUntil(int64_t end_us, EventHandler& handler, uint64_t max_events) {
  uint64_t handled = 0;
  while (handled < max_events && !queue_.empty() && queue_.Top().time_us <= end_us) {
    const Event event = queue_.Pop();
    if (event.time_us > clock_.NowMicros()) clock_.Set(event.time_us);
    handler.OnEvent(event);
    ++handled;
  }
  events_handled_ += handled;
  return handled;
}

}  // namespace tokenfab::sim
