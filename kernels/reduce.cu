// kernels/reduce.cu: the Thrust-based pieces: sums to the host and the shuffle.
//
// Under nvcc Thrust runs on the device on our stream (thrust::cuda::par.on).
// In the emulated build Thrust's device system is CPP (see cmake/cuda.cmake),
// so the same calls run sequentially on the host over the emulator's
// "device" memory (plain host memory).
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
#include <thrust/random.h>
#include <thrust/reduce.h>
#include <thrust/sequence.h>
#include <thrust/shuffle.h>

#include <cstdint>
#include <exception>

#include "convnet/error.h"

#if defined(__CUDACC__)
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

// perm = 0..n-1, then thrust::shuffle with a default_random_engine seeded
// from the 64-bit seed folded to the engine's 32 bits. Same seed, same
// permutation (on a given build: the CUDA and CPP shuffles differ).
void shuffle(int32_t* perm, int32_t n, uint64_t seed, cudaStream_t stream) {
  (void)stream;
  if (n <= 0) return;
  const uint32_t folded = uint32_t(seed ^ (seed >> 32));
  try {
    thrust::sequence(CN_THRUST_POLICY(stream), perm, perm + n);
    thrust::shuffle(CN_THRUST_POLICY(stream), perm, perm + n,
                    thrust::default_random_engine(folded));
  } catch (const std::exception& e) {
    throw_error("shuffle n=", n, " seed=", seed, ": thrust::shuffle failed: ", e.what());
  }
#if defined(__CUDACC__)
  CN_LAUNCH_CHECK("shuffle n=", n, " seed=", seed);
#endif
}

}  // namespace convnet::cuda
