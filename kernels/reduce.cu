// kernels/reduce.cu: the Thrust-based pieces: sums to the host and the shuffle.
//
// Under nvcc Thrust runs on the device on our stream (thrust::cuda::par.on).
// In the emulated build Thrust's device system is CPP (see cmake/cuda.cmake),
// so the sums run sequentially on the host over the emulator's "device"
// memory (plain host memory); the shuffle's sort uses the standard library
// there (see shuffle()).
//
// Why this file does not include simt/cuda_compat.h in the emulated build:
// CCCL's headers include the real <cuda_runtime_api.h> whenever the host
// compiler can see it (here /usr/local/include has the toolkit's headers),
// and its dim3/float2/... clash with the emulator's. Nothing here needs the
// emulator: it runs every launch to completion before returning, so there is
// no stream to drain, and cudaStream_t is the same opaque pointer type in
// both worlds (struct CUstream_st*), so the signatures still match kernels.h.
#include <thrust/execution_policy.h>
#include <thrust/functional.h>
#include <thrust/reduce.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <vector>

#include "convnet/error.h"
#include "convnet/op_params.h"  // CONVNET_HD

#if defined(__CUDACC__)
#include <thrust/sequence.h>
#include <thrust/sort.h>
#include <thrust/transform.h>

#include "cuda_check.h"
#include "kernels.h"
#define CN_THRUST_POLICY(stream) thrust::cuda::par.on(stream)
#else
struct CUstream_st;
typedef CUstream_st* cudaStream_t;
#define CN_THRUST_POLICY(stream) thrust::cpp::par
#endif

namespace convnet::cuda {

// Why double: a float running sum over ~10^5 elements loses digits; the sums
// feed accuracy counts and test statistics. Thrust's reduction tree is fixed
// for a given n and device, so the result is reproducible.
double sum_f32(const float* p, int64_t n, cudaStream_t stream) {
  (void)stream;
  if (n <= 0) return 0.0;
  try {
    return thrust::reduce(CN_THRUST_POLICY(stream), p, p + n, 0.0, thrust::plus<double>());
  } catch (const std::exception& e) {
    throw_error("sum_f32 n=", n, ": thrust::reduce failed: ", e.what());
  }
}

int64_t sum_i32(const int32_t* p, int64_t n, cudaStream_t stream) {
  (void)stream;
  if (n <= 0) return 0;
  try {
    return thrust::reduce(CN_THRUST_POLICY(stream), p, p + n, int64_t(0), thrust::plus<int64_t>());
  } catch (const std::exception& e) {
    throw_error("sum_i32 n=", n, ": thrust::reduce failed: ", e.what());
  }
}

// The shuffle sorts 0..n-1 by random 64-bit keys: key(i) = splitmix64 of
// (seed, i), a pure function, so the permutation depends only on the seed and
// n, and the GPU and the emulated build produce the SAME permutation (Thrust's
// own thrust::shuffle differs between its CUDA and CPP systems, and its CPP
// version trips UBSan inside Thrust). The stable sort makes even a key
// collision deterministic. Cost: one n-element key buffer and one radix sort
// (n is a data set size, done once per epoch).
struct ShuffleKey {
  uint64_t seed;
  CONVNET_HD uint64_t operator()(int32_t i) const {
    uint64_t z = seed + (uint64_t(uint32_t(i)) + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

void shuffle(int32_t* perm, int32_t n, uint64_t seed, cudaStream_t stream) {
  (void)stream;
  if (n <= 0) return;
#if defined(__CUDACC__)
  // Stream-ordered scratch and a no-sync policy: the shuffle stays queued on
  // our stream like every other op (a device_vector would fill on the legacy
  // default stream, which our non-blocking stream does not wait for).
  auto policy = thrust::cuda::par_nosync.on(stream);
  uint64_t* keys = nullptr;
  CN_CUDA_CHECK(cudaMallocAsync(&keys, sizeof(uint64_t) * size_t(n), stream),
                "shuffle n=", n, ": key buffer");
  try {
    thrust::sequence(policy, perm, perm + n);
    thrust::transform(policy, perm, perm + n, keys, ShuffleKey{seed});
    thrust::stable_sort_by_key(policy, keys, keys + n, perm);
  } catch (const std::exception& e) {
    cudaFreeAsync(keys, stream);
    throw_error("shuffle n=", n, " seed=", seed, ": thrust sort by random keys failed: ", e.what());
  }
  CN_LAUNCH_CHECK("shuffle n=", n, " seed=", seed);
  CN_CUDA_CHECK(cudaFreeAsync(keys, stream), "shuffle n=", n, ": free key buffer");
#else
  // Emulated build: the same three steps with the standard library, giving
  // the identical permutation. (Thrust's CPP-system sort binds a reference to
  // a null execution policy inside Thrust, which the UBSan run rejects.)
  std::vector<uint64_t> keys(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    perm[i] = i;
    keys[size_t(i)] = ShuffleKey{seed}(i);
  }
  std::stable_sort(perm, perm + n, [&](int32_t a, int32_t b) { return keys[size_t(a)] < keys[size_t(b)]; });
#endif
}

}  // namespace convnet::cuda
