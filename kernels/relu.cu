// kernels/relu.cu: y = max(x, 0); backward from the forward OUTPUT y.
//
// Semantics as convnet::cpu::relu_*: dx = dy where y > 0, else 0, so the
// gradient at exactly 0 is 0. Elementwise, one grid-stride loop each.
#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

__global__ void relu_forward_kernel(int64_t n, const float* x, float* y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__global__ void relu_backward_kernel(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void relu_forward(int64_t n, const float* x, float* y, cudaStream_t stream) {
  if (n <= 0) return;
  const int threads = 256;
  cn_launch(relu_forward_kernel, dim3(grid_1d(n, threads)), dim3(threads), 0, stream, n, x, y);
  CN_LAUNCH_CHECK("relu_forward n=", n);
}

void relu_backward(int64_t n, const float* y, const float* dy, float* dx, cudaStream_t stream) {
  if (n <= 0) return;
  const int threads = 256;
  cn_launch(relu_backward_kernel, dim3(grid_1d(n, threads)), dim3(threads), 0, stream, n, y, dy, dx);
  CN_LAUNCH_CHECK("relu_backward n=", n);
}

}  // namespace convnet::cuda
