// benchmarks/ceilings.cpp: measured sgemm, FMA and copy ceilings.
#include "ceilings.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bench_stats.h"
#include "convnet/error.h"

namespace convnet::bench {

namespace {

// OpenBLAS's own thread count for the ceiling, restored afterwards: the CPU
// ops pin OpenBLAS to 1 thread and parallelise with OpenMP themselves.
class BlasThreads {
 public:
  explicit BlasThreads(int n) : saved_(openblas_get_num_threads()) { openblas_set_num_threads(n); }
  ~BlasThreads() { openblas_set_num_threads(saved_); }

 private:
  int saved_;
};

double cpu_sgemm_gflops(int threads, int n) {
  BlasThreads bt(threads);
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n, 0.0f);
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {  // the first is a warm-up (thread pool, page faults)
    const double t0 = now_seconds();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    const double dt = now_seconds() - t0;
    if (rep > 0) best = std::max(best, 2.0 * n * double(n) * n / dt);
  }
  return best * 1e-9;
}

double cpu_copy_gbs(int threads, size_t bytes) {
  // Page the buffers in first, so the timing sees copies, not page faults.
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = now_seconds();
#pragma omp parallel num_threads(threads)
    {
      const size_t T = size_t(omp_get_num_threads()), t = size_t(omp_get_thread_num());
      const size_t lo = bytes * t / T, hi = bytes * (t + 1) / T;
      std::memcpy(dst.data() + lo, src.data() + lo, hi - lo);
    }
    const double dt = now_seconds() - t0;
    best = std::max(best, 2.0 * double(bytes) / dt);  // read + write
  }
  CONVNET_CHECK(dst[bytes / 2] == 1, "internal: memcpy ceiling copied nothing");
  return best * 1e-9;
}

}  // namespace

Ceilings measure_cpu_ceilings(int threads) {
  Ceilings c;
  const int n = 2048;
  c.sgemm_shape = std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n);
  c.sgemm_gflops = cpu_sgemm_gflops(threads, n);
  c.fma_gflops = measure_fma_peak_gflops(threads, 50'000'000L, &c.fma_isa);
  const size_t bytes = size_t(256) << 20;
  c.copy_size = "256 MiB";
  c.copy_gbs = cpu_copy_gbs(threads, bytes);
  return c;
}

Ceilings measure_device_ceilings(Backend& be) {
  Ceilings c;
  // sgemm through the backend's linear op (cuBLAS on the CUDA backends).
  LinearParams p;
  p.N = p.in = p.out = 8192;
  c.sgemm_shape = "8192x8192x8192 (linear_forward)";
  const size_t elems = size_t(p.N) * p.in;
  float* x = static_cast<float*>(be.alloc_bytes(elems * 4));
  float* w = static_cast<float*>(be.alloc_bytes(elems * 4));
  float* y = static_cast<float*>(be.alloc_bytes(elems * 4));
  float* b = static_cast<float*>(be.alloc_bytes(size_t(p.out) * 4));
  {
    std::vector<float> host(elems, 0.01f);
    be.upload(x, host.data(), elems * 4);
    be.upload(w, host.data(), elems * 4);
    be.zero(b, size_t(p.out) * 4);
  }
  double best = 0;
  for (int rep = 0; rep < 6; ++rep) {
    be.synchronize();
    const double t0 = now_seconds();
    be.linear_forward(p, x, w, b, y);
    be.synchronize();
    const double dt = now_seconds() - t0;
    if (rep > 0) best = std::max(best, 2.0 * p.N * double(p.in) * p.out / dt);
  }
  c.sgemm_gflops = best * 1e-9;
  be.free_bytes(x);
  be.free_bytes(w);
  be.free_bytes(y);
  be.free_bytes(b);

  // Device-to-device copy of 1 GiB: counts the bytes read plus written.
  const size_t bytes = size_t(1) << 30;
  c.copy_size = "1 GiB";
  void* src = be.alloc_bytes(bytes);
  void* dst = be.alloc_bytes(bytes);
  be.zero(src, bytes);
  best = 0;
  for (int rep = 0; rep < 6; ++rep) {
    be.synchronize();
    const double t0 = now_seconds();
    be.copy(dst, src, bytes);
    be.synchronize();
    const double dt = now_seconds() - t0;
    if (rep > 0) best = std::max(best, 2.0 * double(bytes) / dt);
  }
  c.copy_gbs = best * 1e-9;
  be.free_bytes(src);
  be.free_bytes(dst);
  return c;
}

}  // namespace convnet::bench
