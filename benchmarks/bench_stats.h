// benchmarks/bench_stats.h: the clock and the summary of repeated timings.
//
// Every timing in the bench is a wall-clock interval from std::chrono's
// steady_clock (monotonic; on Linux, CLOCK_MONOTONIC with ns resolution).
// A benchmark is repeated many times and summarised by its median (robust to
// the occasional preemption on a shared machine) plus its spread.
#pragma once

#include <vector>

namespace convnet::bench {

// Seconds since an arbitrary fixed point (steady_clock).
double now_seconds();

struct TimeStats {
  int samples = 0;
  double median = 0;  // seconds
  double min = 0, max = 0;
  double p10 = 0, p90 = 0;
};

// Summarises per-sample times in seconds. Percentiles by linear
// interpolation between order statistics; an empty input gives all zeros.
TimeStats summarize(std::vector<double> seconds);

}  // namespace convnet::bench
