// Atomics: across blocks of one launch, and across OS threads (launches from
// several host threads at once, and the atomic functions called directly).
#include <thread>
#include <vector>

#include "common/random_fill.h"
#include "simt_test_util.h"

using simt_test::DeviceArray;

namespace {

__global__ void histogram_and_sums(const int* values, int n, int* bins, float* fsum, double* dsum,
                                   unsigned long long* usum, int* imax, int* imin, unsigned* umax) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const int v = values[i];
    atomicAdd(&bins[(v + 1000) % 10], 1);
    atomicAdd(fsum, static_cast<float>(v));  // small integers: every partial sum exact
    atomicAdd(dsum, static_cast<double>(v) * 0.5);
    atomicAdd(usum, static_cast<unsigned long long>(v + 1000));
    atomicMax(imax, v);
    atomicMin(imin, v);
    atomicMax(umax, static_cast<unsigned>(v + 1000));
  }
}

TEST(SimtAtomics, AtomicsAcrossBlocksGiveExactTotals) {
  convnet::Rng rng(convnet::test::case_seed(11));
  const int n = 10000;
  std::vector<int> values(n);
  for (int& v : values) v = static_cast<int>(rng.below(2001)) - 1000;
  DeviceArray<int> dv(values), bins(10), imax(1), imin(1);
  DeviceArray<float> fsum(1);
  DeviceArray<double> dsum(1);
  DeviceArray<unsigned long long> usum(1);
  DeviceArray<unsigned> umax(1);
  SIMT_OK(cudaMemset(bins.get(), 0, 10 * sizeof(int)));
  SIMT_OK(cudaMemset(fsum.get(), 0, sizeof(float)));
  SIMT_OK(cudaMemset(dsum.get(), 0, sizeof(double)));
  SIMT_OK(cudaMemset(usum.get(), 0, sizeof(unsigned long long)));
  SIMT_OK(cudaMemset(umax.get(), 0, sizeof(unsigned)));
  imax.upload({INT_MIN});
  imin.upload({INT_MAX});
  cn_launch(histogram_and_sums, dim3(7), dim3(128), 0, nullptr, dv.get(), n, bins.get(), fsum.get(), dsum.get(),
            usum.get(), imax.get(), imin.get(), umax.get());
  SIMT_OK(cudaGetLastError());
  std::vector<int> expect_bins(10, 0);
  long long total = 0;
  int mx = INT_MIN, mn = INT_MAX;
  for (int v : values) {
    ++expect_bins[static_cast<size_t>((v + 1000) % 10)];
    total += v;
    mx = std::max(mx, v);
    mn = std::min(mn, v);
  }
  EXPECT_EQ(bins.download(), expect_bins);
  EXPECT_EQ(fsum.download()[0], static_cast<float>(total));
  EXPECT_EQ(dsum.download()[0], static_cast<double>(total) * 0.5);
  EXPECT_EQ(usum.download()[0], static_cast<unsigned long long>(total + 1000LL * n));
  EXPECT_EQ(imax.download()[0], mx);
  EXPECT_EQ(imin.download()[0], mn);
  EXPECT_EQ(umax.download()[0], static_cast<unsigned>(mx + 1000));
}

// A spin lock built from atomicCAS/atomicExch guarding a non-atomic update.
// One thread per block takes the lock (a whole warp spinning on a lock that
// a sibling lane holds is a deadlock on pre-Volta GPUs).
__global__ void locked_increment(int* lock, int* counter, int* subs) {
  if (threadIdx.x == 0) {
    while (atomicCAS(lock, 0, 1) != 0) {
    }
    *counter += 1;
    atomicExch(lock, 0);
  }
  atomicSub(subs, 1);
}

TEST(SimtAtomics, CasExchAndSub) {
  DeviceArray<int> lock(1), counter(1), subs(1);
  SIMT_OK(cudaMemset(lock.get(), 0, sizeof(int)));
  SIMT_OK(cudaMemset(counter.get(), 0, sizeof(int)));
  subs.upload({1000});
  cn_launch(locked_increment, dim3(50), dim3(10), 0, nullptr, lock.get(), counter.get(), subs.get());
  SIMT_OK(cudaGetLastError());
  EXPECT_EQ(counter.download()[0], 50);
  EXPECT_EQ(subs.download()[0], 500);
  EXPECT_EQ(lock.download()[0], 0);
  unsigned long long u = 5;
  EXPECT_EQ(atomicCAS(&u, 5ull, 9ull), 5ull);
  EXPECT_EQ(atomicCAS(&u, 5ull, 7ull), 9ull);
  EXPECT_EQ(u, 9ull);
  float f = 1.5f;
  EXPECT_EQ(atomicExch(&f, 2.5f), 1.5f);
  EXPECT_EQ(f, 2.5f);
}

__global__ void add_ones(float* sum, int* isum) {
  atomicAdd(sum, 1.0f);
  atomicAdd(isum, 1);
}

TEST(SimtAtomics, LaunchesFromSeveralHostThreadsShareMemorySafely) {
  // Each host thread runs its own launches (its own fibers); the atomics on
  // the shared counters must not lose updates between OS threads.
  DeviceArray<float> sum(1);
  DeviceArray<int> isum(1);
  SIMT_OK(cudaMemset(sum.get(), 0, sizeof(float)));
  SIMT_OK(cudaMemset(isum.get(), 0, sizeof(int)));
  const int host_threads = 4, launches = 50, per_launch = 8 * 128;
  std::vector<std::thread> pool;
  for (int h = 0; h < host_threads; ++h) {
    pool.emplace_back([&] {
      for (int i = 0; i < launches; ++i) cn_launch(add_ones, dim3(8), dim3(128), 0, nullptr, sum.get(), isum.get());
    });
  }
  for (std::thread& t : pool) t.join();
  const int total = host_threads * launches * per_launch;  // 204800 < 2^24: exact in float
  EXPECT_EQ(isum.download()[0], total);
  EXPECT_EQ(sum.download()[0], static_cast<float>(total));
}

TEST(SimtAtomics, FloatAndDoubleAddAreAtomicAcrossOsThreads) {
  float f = 0.0f;
  double d = 0.0;
  int mx = 0;
  std::vector<std::thread> pool;
  for (int h = 0; h < 4; ++h) {
    pool.emplace_back([&, h] {
      for (int i = 0; i < 100000; ++i) {
        atomicAdd(&f, 1.0f);
        atomicAdd(&d, 0.25);
        atomicMax(&mx, h * 100000 + i);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  EXPECT_EQ(f, 400000.0f);
  EXPECT_EQ(d, 100000.0);
  EXPECT_EQ(mx, 399999);
}

}  // namespace
