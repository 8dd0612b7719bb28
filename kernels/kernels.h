// kernels/kernels.h: host-side launchers for every kernel in kernels/*.cu.
//
// Each launcher takes device pointers and a stream, launches without
// synchronizing, checks the launch (cuda_check.h) and throws convnet::Error
// naming the op, the variant and the shape on failure. The CUDA backend
// (host/cuda/cuda_backend.cu) and the cuDNN backend derived from it
// (host/cudnn/) are the only callers.
//
// Numbered variants (llm.c style): every conv op has
//   *_direct  one thread per output element, reads global memory only;
//   *_tiled   stages input and weights in shared memory and reuses them.
// The variants of one op perform the SAME floating-point operations in the
// SAME order (explicit fmaf, identical loop orders), so they give bit-identical
// results and the backend may pick either per shape without changing a run.
#pragma once

#include <cstddef>
#include <cstdint>

#include "convnet/op_params.h"
#include "simt/cuda_compat.h"

namespace convnet::cuda {

// ---- conv2d_forward.cu -------------------------------------------------------
void conv2d_forward_direct(const Conv2dParams& p, const float* x, const float* w, const float* b,
                           float* y, cudaStream_t stream);
// False when the shape's input patch and weight tile do not fit in shared
// memory even with the smallest tile (a huge dilated kernel); use direct then.
bool conv2d_forward_tiled_supported(const Conv2dParams& p);
void conv2d_forward_tiled(const Conv2dParams& p, const float* x, const float* w, const float* b,
                          float* y, cudaStream_t stream);

// ---- conv2d_backward_data.cu ---------------------------------------------------
void conv2d_backward_data_direct(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                                 cudaStream_t stream);
bool conv2d_backward_data_tiled_supported(const Conv2dParams& p);
void conv2d_backward_data_tiled(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                                cudaStream_t stream);

// ---- conv2d_backward_weights.cu -------------------------------------------------
// The weight/bias gradients reduce over N*OH*OW terms. For determinism and
// parallelism the batch is cut into S contiguous segments (S depends only on
// the shape): each segment is summed in (n, oh, ow) order, then the S partial
// sums are added in segment order. Both variants follow this order exactly.
int conv2d_backward_weights_segments(const Conv2dParams& p);
// Scratch both variants may use: S * (w_size + C_out) floats.
size_t conv2d_backward_weights_workspace_bytes(const Conv2dParams& p);
void conv2d_backward_weights_direct(const Conv2dParams& p, const float* x, const float* dy,
                                    float* dw, float* db, cudaStream_t stream);
bool conv2d_backward_weights_tiled_supported(const Conv2dParams& p);
void conv2d_backward_weights_tiled(const Conv2dParams& p, const float* x, const float* dy,
                                   float* dw, float* db, float* ws, cudaStream_t stream);

// ---- maxpool.cu --------------------------------------------------------------
void maxpool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* argmax,
                       cudaStream_t stream);
void maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax, float* dx,
                        cudaStream_t stream);
// argmax for an output y that is already the window maxima (computed by
// cuDNN): the first cell in row-major window order equal to y.
void maxpool2d_argmax_from_output(const Pool2dParams& p, const float* x, const float* y,
                                  int32_t* argmax, cudaStream_t stream);

// ---- relu.cu -----------------------------------------------------------------
void relu_forward(int64_t n, const float* x, float* y, cudaStream_t stream);
void relu_backward(int64_t n, const float* y, const float* dy, float* dx, cudaStream_t stream);

// ---- bias.cu (linear layer helpers; the GEMMs are cuBLAS) ------------------------
// y[n, j] += b[j] for a row-major [rows, cols] matrix.
void add_bias_rows(int rows, int cols, const float* b, float* y, cudaStream_t stream);
// out[j] = sum over n of m[n, j] (rows summed in order), for a row-major [rows, cols] matrix.
void sum_rows(int rows, int cols, const float* m, float* out, cudaStream_t stream);

// ---- softmax_ce.cu -------------------------------------------------------------
void softmax_ce(int N, int K, const float* logits, const int32_t* labels, float* dlogits,
                float* loss_out, int32_t* correct, int32_t* first_bad_step, int32_t step,
                cudaStream_t stream);

// ---- sgd.cu ------------------------------------------------------------------
void sgd_update(const SgdParams& s, int64_t n, float* w, const float* g, float* v,
                cudaStream_t stream);

// ---- gather.cu -----------------------------------------------------------------
void gather(const float* images, const int32_t* labels, int64_t image_elems, const int32_t* perm,
            int64_t offset, int count, float* x, int32_t* y, cudaStream_t stream);

// ---- reduce.cu (Thrust) --------------------------------------------------------
// These synchronize the stream: the result lands on the host.
double sum_f32(const float* p, int64_t n, cudaStream_t stream);
int64_t sum_i32(const int32_t* p, int64_t n, cudaStream_t stream);
// perm := a random permutation of [0, n) fixed by seed (Thrust sort by random keys;
// the same permutation on a GPU and in the emulated build).
void shuffle(int32_t* perm, int32_t n, uint64_t seed, cudaStream_t stream);

// ---- small shared helpers --------------------------------------------------------
// Blocks for a 1-D grid of `threads`-wide blocks covering n elements (grid-stride
// loops handle the rest when n is larger than the cap).
inline unsigned grid_1d(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  if (blocks > 65535 * 16) blocks = 65535 * 16;
  return unsigned(blocks);
}

}  // namespace convnet::cuda
