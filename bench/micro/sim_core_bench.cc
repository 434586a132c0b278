// The simulator's core loop: events per second through EventCore (pop, clock store, virtual
// dispatch, push), with a steady population of pending events as a fleet run keeps (one step
// end per node, arrivals, responses, polls). Target: >= 5 M events/s.
#include <benchmark/benchmark.h>

#include "tokenfab/sim/event_queue.h"

namespace {

using tokenfab::sim::Event;
using tokenfab::sim::EventCore;
using tokenfab::sim::EventHandler;

// Each event schedules its successor a pseudo-random delay later, keeping the queue's size.
class Reschedule final : public EventHandler {
 public:
  explicit Reschedule(EventCore& core) : core_(core) {}
  void OnEvent(const Event& event) override {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    core_.After(static_cast<int64_t>(1 + (state_ >> 44)), event.kind, event.target, event.data);
  }

 private:
  EventCore& core_;
  uint64_t state_ = 1;
};

void BM_EventCore(benchmark::State& state) {
  const auto pending = static_cast<uint32_t>(state.range(0));
  EventCore core(1);
  core.queue().Reserve(pending + 1);
  for (uint32_t i = 0; i < pending; ++i) core.At(i, 1, i, i);
  Reschedule handler(core);
  constexpr int64_t kBatch = 100'000;
  int64_t events = 0;
  for (auto _ : state) {
    events += static_cast<int64_t>(core.RunUntil(INT64_MAX, handler, kBatch));
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EventCore)->Arg(16)->Arg(1'024)->Arg(65'536)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
