// kernels/sgd.cu: one SGD step over the flat parameter buffer, in ONE launch.
//
// As convnet::cpu::sgd_update:
//   g' = g + wd * w
//   momentum != 0:  v = momentum * v + g';  w -= lr * v
//   momentum == 0:  w -= lr * g'            (v unused, may be null)
#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

__global__ void sgd_update_kernel(SgdParams s, int64_t n, float* w, const float* g, float* v) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const float grad = g[i] + s.weight_decay * w[i];
    if (s.momentum != 0.0f) {
      const float vel = s.momentum * v[i] + grad;
      v[i] = vel;
      w[i] -= s.lr * vel;
    } else {
      w[i] -= s.lr * grad;
    }
  }
}

void sgd_update(const SgdParams& s, int64_t n, float* w, const float* g, float* v,
                cudaStream_t stream) {
  if (n <= 0) return;
  CONVNET_CHECK(s.momentum == 0.0f || v != nullptr,
                "sgd_update: momentum ", s.momentum, " needs a velocity buffer, got none");
  const int threads = 256;
  cn_launch(sgd_update_kernel, dim3(grid_1d(n, threads)), dim3(threads), 0, stream, s, n, w, g, v);
  CN_LAUNCH_CHECK("sgd_update n=", n, " lr=", s.lr, " momentum=", s.momentum,
                  " weight_decay=", s.weight_decay);
}

}  // namespace convnet::cuda
