// benchmarks/fma_peak.cpp: the processor's FMA peak, measured.
//
// The binary is built for plain x86-64 (no -march=native), so the wide
// loops are compiled per function with __attribute__((target(...))) and
// chosen at run time with __builtin_cpu_supports: the same binary measures
// AVX-512 on a Xeon and AVX2 on this AMD EPYC.
//
// Why 12 accumulators: an FMA has a latency of ~4 cycles and modern cores
// issue 2 per cycle, so at least 8 independent chains are needed to keep
// both pipes full; 12 leaves margin and still fits the 16 AVX2 registers
// with the two constants. acc = acc * a + b with a < 1 converges to a fixed
// point, so the values stay normal (no denormal slow path, no overflow).
#include <immintrin.h>
#include <omp.h>

#include <cstring>
#include <string>

#include "bench_stats.h"
#include "ceilings.h"

namespace convnet::bench {

namespace {

constexpr int kAcc = 12;

#define CONVNET_FMA_BODY(VEC, SET1, FMADD, ADD, LANES)                                   \
  const VEC a = SET1(0.999999f), b = SET1(1e-6f);                                       \
  VEC c0 = SET1(1.0f), c1 = SET1(1.1f), c2 = SET1(1.2f), c3 = SET1(1.3f);               \
  VEC c4 = SET1(1.4f), c5 = SET1(1.5f), c6 = SET1(1.6f), c7 = SET1(1.7f);               \
  VEC c8 = SET1(1.8f), c9 = SET1(1.9f), c10 = SET1(2.0f), c11 = SET1(2.1f);             \
  for (long i = 0; i < iters; ++i) {                                                    \
    c0 = FMADD(c0, a, b); c1 = FMADD(c1, a, b); c2 = FMADD(c2, a, b);                   \
    c3 = FMADD(c3, a, b); c4 = FMADD(c4, a, b); c5 = FMADD(c5, a, b);                   \
    c6 = FMADD(c6, a, b); c7 = FMADD(c7, a, b); c8 = FMADD(c8, a, b);                   \
    c9 = FMADD(c9, a, b); c10 = FMADD(c10, a, b); c11 = FMADD(c11, a, b);               \
  }                                                                                     \
  /* Fold and store so the loop cannot be optimised away. */                            \
  VEC s = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7)));            \
  s = ADD(s, ADD(ADD(c8, c9), ADD(c10, c11)));                                          \
  float lanes[LANES];                                                                   \
  std::memcpy(lanes, &s, sizeof lanes);                                                 \
  return lanes[0];

__attribute__((target("avx512f"))) float fma_loop_avx512(long iters) {
  CONVNET_FMA_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
}

__attribute__((target("avx2,fma"))) float fma_loop_avx2(long iters) {
  CONVNET_FMA_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8)
}

#undef CONVNET_FMA_BODY

}  // namespace

double measure_fma_peak_gflops(int threads, long iters, std::string* isa) {
  int lanes = 0;
  float (*loop)(long) = nullptr;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    loop = fma_loop_avx512;
    lanes = 16;
    *isa = "avx512f";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    loop = fma_loop_avx2;
    lanes = 8;
    *isa = "avx2+fma";
  } else {
    *isa = "";
    return 0.0;
  }
  volatile float sink = 0;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    float total = 0;
    const double t0 = now_seconds();
#pragma omp parallel num_threads(threads)
    {
      const float r = loop(iters);
#pragma omp atomic
      total += r;
    }
    const double dt = now_seconds() - t0;
    const double flops = double(threads) * double(iters) * kAcc * lanes * 2.0;
    if (flops / dt > best) best = flops / dt;
    sink = total;
  }
  (void)sink;
  return best * 1e-9;
}

}  // namespace convnet::bench
