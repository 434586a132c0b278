#include "tokenfab/bench/progress.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

namespace tokenfab::bench {
namespace {

constexpr int64_t kTerminalIntervalUs = 100'000;
constexpr int kBarWidth = 30;

std::string FormatElapsed(int64_t micros) {
  const int64_t seconds = micros / 1'000'000;
  return fmt::format("{:02d}:{:02d}:{:02d}", seconds / 3600, seconds / 60 % 60, seconds % 60);
}

}  // namespace

Progress::Progress(base::Clock& clock, std::FILE* out, bool terminal, int64_t plain_interval_us)
    : clock_(clock),
      out_(out),
      terminal_(terminal),
      interval_us_(terminal ? kTerminalIntervalUs : plain_interval_us),
      start_us_(clock.NowMicros()) {}

bool Progress::StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string Progress::Render(const ProgressState& state) const {
  const int64_t elapsed_us = clock_.NowMicros() - start_us_;
  const double seconds = std::max(static_cast<double>(elapsed_us) / 1e6, 1e-9);
  std::string text;
  if (terminal_ && state.total > 0) {
    const int filled =
        static_cast<int>(kBarWidth * std::min<int64_t>(state.done, state.total) / state.total);
    text = fmt::format("[{}{}] ", std::string(filled, '#'), std::string(kBarWidth - filled, '.'));
  }
  if (state.total > 0) {
    text += fmt::format("{}/{} requests", state.done, state.total);
  } else {
    text += fmt::format("{} requests", state.done);
  }
  text += fmt::format("  {:.1f} req/s  {:.0f} tok/s  in flight {}  failed {}  {}",
                      static_cast<double>(state.done) / seconds,
                      static_cast<double>(state.output_tokens) / seconds, state.in_flight,
                      state.failed, FormatElapsed(elapsed_us));
  return text;
}

void Progress::Update(const ProgressState& state, bool force) {
  const int64_t now = clock_.NowMicros();
  if (!force && last_draw_us_ >= 0 && now - last_draw_us_ < interval_us_) return;
  if (!force && last_draw_us_ < 0 && !terminal_ && now - start_us_ < interval_us_) return;
  last_draw_us_ = now;
  if (terminal_) {
    std::fprintf(out_, "\r%s\033[K", Render(state).c_str());
  } else {
    std::fprintf(out_, "progress: %s\n", Render(state).c_str());
  }
  std::fflush(out_);
}

void Progress::Finish(const ProgressState& state) {
  if (terminal_) {
    std::fprintf(out_, "\r%s\033[K\n", Render(state).c_str());
  } else {
    std::fprintf(out_, "progress: %s (done)\n", Render(state).c_str());
  }
  std::fflush(out_);
}

}  // namespace tokenfab::bench
