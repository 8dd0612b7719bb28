// kernels/bias.cu: the two bias helpers of the linear layer (its GEMMs are cuBLAS).
#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

// y[r, c] += b[c]: the forward bias, added after the GEMM wrote x * W^T.
__global__ void add_bias_rows_kernel(int rows, int cols, const float* b, float* y) {
  const int64_t total = int64_t(rows) * cols;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] += b[i % cols];
}

// out[c] = sum over r of m[r, c]: the bias gradient (sum of dy over the
// batch). One thread per column walking the rows in order: deterministic,
// and adjacent threads read adjacent addresses (coalesced).
__global__ void sum_rows_kernel(int rows, int cols, const float* m, float* out) {
  for (int c = int(blockIdx.x) * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x) {
    float acc = 0.0f;
    for (int r = 0; r < rows; ++r) acc += m[int64_t(r) * cols + c];
    out[c] = acc;
  }
}

void add_bias_rows(int rows, int cols, const float* b, float* y, cudaStream_t stream) {
  if (int64_t(rows) * cols <= 0) return;
  const int threads = 256;
  cn_launch(add_bias_rows_kernel, dim3(grid_1d(int64_t(rows) * cols, threads)), dim3(threads), 0,
            stream, rows, cols, b, y);
  CN_LAUNCH_CHECK("linear bias add rows=", rows, " cols=", cols);
}

void sum_rows(int rows, int cols, const float* m, float* out, cudaStream_t stream) {
  if (cols <= 0) return;
  const int threads = 256;
  cn_launch(sum_rows_kernel, dim3(grid_1d(cols, threads)), dim3(threads), 0, stream, rows, cols, m,
            out);
  CN_LAUNCH_CHECK("linear bias gradient rows=", rows, " cols=", cols);
}

}  // namespace convnet::cuda
