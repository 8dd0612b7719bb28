// benchmarks/bench_stats.cpp: steady clock and median/percentile summary.
#include "bench_stats.h"

#include <algorithm>
#include <chrono>

namespace convnet::bench {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

namespace {

// The q-quantile (0 <= q <= 1) of sorted values, interpolating linearly.
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * double(sorted.size() - 1);
  const size_t lo = size_t(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - double(lo);
  return sorted[lo] * (1.0 - frac) + sorted[hi] * frac;
}

}  // namespace

TimeStats summarize(std::vector<double> seconds) {
  TimeStats s;
  if (seconds.empty()) return s;
  std::sort(seconds.begin(), seconds.end());
  s.samples = int(seconds.size());
  s.min = seconds.front();
  s.max = seconds.back();
  s.median = quantile(seconds, 0.5);
  s.p10 = quantile(seconds, 0.1);
  s.p90 = quantile(seconds, 0.9);
  return s;
}

}  // namespace convnet::bench
