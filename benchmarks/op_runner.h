// benchmarks/op_runner.h: validate, then time, one op case on one backend.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench_stats.h"
#include "convnet/backend.h"
#include "op_counts.h"
#include "op_reference.h"

namespace convnet::bench {

struct OpRunConfig {
  int reps = 20;              // timed launches (CPU: one sample each)
  int gpu_launches = 10;      // GPU: launches per timed sample (reps / this = samples, >= 5)
  uint64_t seed = 1;          // fresh inputs per case: seed is mixed with the case
  size_t rotate_bytes = 0;    // rotate among buffer sets totalling at least this
};

// One row of the op table.
struct OpRow {
  std::string name;    // "conv_fwd/C3/b64/cpu"
  std::string op, shape, impl;
  int batch = 0;
  std::string status;  // "ok", "FAILED" (wrong result, not timed), "SKIPPED" (op declined the shape)
  std::string note;    // failure detail, the op's error message, cuDNN's algorithm...
  TimeStats time;      // seconds per launch
  int64_t flops = 0, bytes = 0;
  double gflops = 0, gbs = 0;  // at the median time
  double pct_sgemm = -1, pct_fma = -1, pct_copy = -1;  // -1 = no such ceiling
  double worst_err = 0;        // max |err|/tol of the validation run
  int buffer_sets = 1;
  int launches_per_sample = 1;
};

// `reference` caches the double-precision expected outputs of this case
// across implementations (the inputs depend only on the case and the seed):
// pass an empty vector for the first implementation and the same one after.
OpRow run_op_case(Backend& be, const std::string& impl, const OpCase& c, const OpRunConfig& cfg,
                  std::vector<Expected>& reference);

}  // namespace convnet::bench
