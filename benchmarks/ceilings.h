// benchmarks/ceilings.h: the machine's own ceilings, measured by the bench,
// against which every op row reports "% of ceiling".
//
//   CPU   sgemm    a large cblas_sgemm (OpenBLAS as the environment sets it
//                  up: OPENBLAS_CORETYPE, the pthread build) on the bench's
//                  thread count: what a tuned GEMM reaches here.
//         fma      the processor's FMA peak: a register-only loop of
//                  independent vector FMAs (AVX-512 or AVX2, chosen at run
//                  time) on every bench thread: the arithmetic roof.
//         memcpy   a large memcpy split across the bench threads: the
//                  bandwidth roof (bytes read + bytes written).
//   GPU   sgemm    the backend's linear_forward (cuBLAS SGEMM, TF32 off) on
//                  an 8192^3 shape.
//         copy     Backend::copy of 1 GiB (device to device).
// Each ceiling is the BEST of a few runs (a ceiling, not a typical value).
#pragma once

#include <string>

#include "convnet/backend.h"

namespace convnet::bench {

struct Ceilings {
  double sgemm_gflops = 0;   // 0 = not measured
  double fma_gflops = 0;     // CPU only
  double copy_gbs = 0;
  std::string fma_isa;       // "avx512f", "avx2+fma" or "" (none usable)
  std::string sgemm_shape;   // e.g. "2048x2048x2048"
  std::string copy_size;     // e.g. "256 MiB"
};

Ceilings measure_cpu_ceilings(int threads);
Ceilings measure_device_ceilings(Backend& be);

// The FMA-throughput loop (fma_peak.cpp): GFLOP/s of `threads` threads each
// running `iters` iterations; `isa` receives the instruction set used. Returns
// 0 when the CPU has neither AVX-512F nor AVX2+FMA.
double measure_fma_peak_gflops(int threads, long iters, std::string* isa);

}  // namespace convnet::bench
