// kernels/reduce.cu: the Thrust-based pieces: sums to the host and the shuffle.
//
// Under nvcc Thrust runs on the device on our stream (thrust::cuda::par.on).
// In the emulated build Thrust's device system is CPP (see cmake/cuda.cmake),
// so the same calls run sequentially on the host over the emulator's
// "device" memory, after the stream has drained.
#include <thrust/execution_policy.h>
#include <thrust/functional.h>
#include <thrust/random.h>
#include <thrust/reduce.h>
#include <thrust/sequence.h>
#include <thrust/shuffle.h>

#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

#if defined(__CUDACC__)
#define CN_THRUST_POLICY(stream) thrust::cuda::par.on(stream)
#else
#define CN_THRUST_POLICY(stream) thrust::cpp::par
#endif

// Before host-side Thrust touches memory, earlier kernels on the stream must be done.
static void drain_for_host_thrust(cudaStream_t stream, const char* what) {
#if !defined(__CUDACC__)
  CN_CUDA_CHECK(cudaStreamSynchronize(stream), what, ": waiting for the stream");
#else
  (void)stream;
  (void)what;
#endif
}

// Why double: a float running sum over ~10^5 elements loses digits; the sums
// feed accuracy counts and test statistics. Thrust's reduction tree is fixed
// for a given n and device, so the result is reproducible.
double sum_f32(const float* p, int64_t n, cudaStream_t stream) {
  if (n <= 0) return 0.0;
  drain_for_host_thrust(stream, "sum_f32");
  try {
    return thrust::reduce(CN_THRUST_POLICY(stream), p, p + n, 0.0, thrust::plus<double>());
  } catch (const std::exception& e) {
    throw_error("sum_f32 n=", n, ": thrust::reduce failed: ", e.what());
  }
}

int64_t sum_i32(const int32_t* p, int64_t n, cudaStream_t stream) {
  if (n <= 0) return 0;
  drain_for_host_thrust(stream, "sum_i32");
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
  if (n <= 0) return;
  drain_for_host_thrust(stream, "shuffle");
  const uint32_t folded = uint32_t(seed ^ (seed >> 32));
  try {
    thrust::sequence(CN_THRUST_POLICY(stream), perm, perm + n);
    thrust::shuffle(CN_THRUST_POLICY(stream), perm, perm + n,
                    thrust::default_random_engine(folded));
  } catch (const std::exception& e) {
    throw_error("shuffle n=", n, " seed=", seed, ": thrust::shuffle failed: ", e.what());
  }
  CN_LAUNCH_CHECK("shuffle n=", n, " seed=", seed);
}

}  // namespace convnet::cuda
