// The device math and bit intrinsics kernels call unqualified, as in CUDA.
#include <cfloat>
#include <cmath>
#include <vector>

#include "common/random_fill.h"
#include "simt_test_util.h"

using simt_test::DeviceArray;

namespace {

__global__ void math_kernel(const float* x, float* out, int* iout) {
  const float v = __ldg(&x[threadIdx.x]);
  float* o = out + threadIdx.x * 8;
  o[0] = __expf(v) - expf(v);
  o[1] = rsqrtf(fabsf(v) + 1.0f) - 1.0f / sqrtf(fabsf(v) + 1.0f);
  o[2] = __fdividef(v, 3.0f) - v / 3.0f;
  o[3] = fmaf(v, 2.0f, 1.0f) - (v * 2.0f + 1.0f);
  o[4] = fmaxf(v, 0.0f) - max(v, 0.0f);
  o[5] = fminf(v, 0.0f) - min(v, 0.0f);
  o[6] = __logf(fabsf(v) + 1.0f) - logf(fabsf(v) + 1.0f);
  o[7] = __int_as_float(__float_as_int(v)) - v;
  int* io = iout + threadIdx.x * 6;
  io[0] = isfinite(v / 0.0f) ? 1 : 0;     // +-inf (v != 0 by construction)
  io[1] = isnan(v - v) ? 1 : 0;
  io[2] = isfinite(v) ? 1 : 0;
  io[3] = min(static_cast<int>(threadIdx.x), 5) + max(-3, static_cast<int>(threadIdx.x) - 10);
  io[4] = __popc(threadIdx.x) + __ffs(static_cast<int>(threadIdx.x)) * 100;
  io[5] = -INFINITY < v && v < FLT_MAX ? 1 : 0;
}

TEST(SimtMath, IntrinsicsAgreeWithTheirDefinitions) {
  convnet::Rng rng(convnet::test::case_seed(500));
  std::vector<float> x(32);
  for (float& v : x) {
    v = static_cast<float>(rng.uniform(0.1, 5.0));
    if (rng.below(2)) v = -v;
  }
  DeviceArray<float> dx(x), dout(32 * 8);
  DeviceArray<int> diout(32 * 6);
  cn_launch(math_kernel, dim3(1), dim3(32), 0, nullptr, dx.get(), dout.get(), diout.get());
  SIMT_OK(cudaGetLastError());
  const std::vector<float> out = dout.download();
  const std::vector<int> iout = diout.download();
  for (int t = 0; t < 32; ++t) {
    for (int j = 0; j < 8; ++j) {
      // Fast intrinsics are the accurate functions here; fmaf may round once
      // where the unfused form rounds twice: allow that one rounding.
      const float tol = j == 3 ? 4.0f * FLT_EPSILON * (std::fabs(x[static_cast<size_t>(t)]) * 2 + 1) : 0.0f;
      EXPECT_LE(std::fabs(out[static_cast<size_t>(t * 8 + j)]), tol) << "thread " << t << " item " << j;
    }
    const int* io = &iout[static_cast<size_t>(t * 6)];
    EXPECT_EQ(io[0], 0);
    EXPECT_EQ(io[1], 0);
    EXPECT_EQ(io[2], 1);
    EXPECT_EQ(io[3], std::min(t, 5) + std::max(-3, t - 10));
    EXPECT_EQ(io[4], __builtin_popcount(static_cast<unsigned>(t)) + __builtin_ffs(t) * 100);
    EXPECT_EQ(io[5], 1);
  }
}

}  // namespace
