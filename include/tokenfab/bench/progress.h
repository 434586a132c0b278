// Progress: what a running benchmark shows while it runs, on stderr (stdout is for results).
// On a terminal, a bar redrawn in place at most 10 times a second; otherwise (a log, a pipe) one
// plain line every `plain_interval`. Driven by Update() calls from one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "tokenfab/base/clock.h"

namespace tokenfab::bench {

struct ProgressState {
  int64_t done = 0;  // requests finished (completed or failed)
  int64_t failed = 0;
  int64_t in_flight = 0;
  int64_t total = 0;  // requests planned; 0 when unknown
  int64_t output_tokens = 0;
};

class Progress {
 public:
  // `out` receives the display; `terminal` selects the bar form.
  Progress(base::Clock& clock, std::FILE* out, bool terminal,
           int64_t plain_interval_us = 10'000'000);
  // True when stderr is a terminal.
  static bool StderrIsTerminal();

  // Redraws if enough time has passed since the last draw (or `force`).
  void Update(const ProgressState& state, bool force = false);
  // Draws the final state and ends the line.
  void Finish(const ProgressState& state);

  // The text of one update (no carriage return or newline), for tests.
  std::string Render(const ProgressState& state) const;

 private:
  base::Clock& clock_;
  std::FILE* out_;
  const bool terminal_;
  const int64_t interval_us_;
  const int64_t start_us_;
  int64_t last_draw_us_ = -1;
};

}  // namespace tokenfab::bench
