// kernels/maxpool.cu: 2-D max pooling, forward (with argmax) and backward, and the
// argmax of a given output (for the cuDNN backend, whose forward writes only y).
//
// Semantics as convnet::cpu::maxpool2d_*: padded cells never win (they act as
// -infinity); among equal maxima the FIRST in row-major window order wins;
// argmax stores h*W + w inside the input (n, c) plane.
#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

// The output cell a thread owns: its (n, c) plane and position, from the flat
// NCHW index.
struct PoolOutputCell {
  int64_t plane;  // n * C + c
  int oh, ow;
};

static __device__ __forceinline__ PoolOutputCell pool_output_cell(const Pool2dParams& p, int64_t idx) {
  const int OH = p.OH(), OW = p.OW();
  return PoolOutputCell{idx / (int64_t(OW) * OH), int((idx / OW) % OH), int(idx % OW)};
}

// Visits the real (not padded) input cells of output (oh, ow)'s window in
// row-major window order, passing each cell's index ih * W + iw inside the
// plane, until visit returns true. Both kernels below scan this one way, so
// "first in row-major order" means the same thing in each.
template <class Visit>
static __device__ __forceinline__ void scan_window(const Pool2dParams& p, int oh, int ow, Visit visit) {
  for (int kh = 0; kh < p.KH; ++kh) {
    const int ih = oh * p.stride_h - p.pad_h + kh;
    if (ih < 0 || ih >= p.H) continue;
    for (int kw = 0; kw < p.KW; ++kw) {
      const int iw = ow * p.stride_w - p.pad_w + kw;
      if (iw < 0 || iw >= p.W) continue;
      if (visit(int32_t(ih * p.W + iw))) return;
    }
  }
}

// One thread per output. A cell replaces the best only when strictly
// greater, which is the first-max rule. The best starts at the first real
// cell (not -infinity) so an all -inf window still names a real cell.
__global__ void maxpool2d_forward_kernel(Pool2dParams p, const float* x, float* y,
                                         int32_t* argmax) {
  const int64_t total = p.y_size();
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const PoolOutputCell o = pool_output_cell(p, idx);
    const float* xp = x + o.plane * p.H * p.W;
    float best = 0.0f;
    int32_t best_i = -1;
    scan_window(p, o.oh, o.ow, [&](int32_t i) {
      if (best_i < 0 || xp[i] > best) {
        best = xp[i];
        best_i = i;
      }
      return false;  // every cell of the window is looked at
    });
    y[idx] = best;
    argmax[idx] = best_i;
  }
}

void maxpool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* argmax,
                       cudaStream_t stream) {
  const int threads = 256;
  cn_launch(maxpool2d_forward_kernel, dim3(grid_1d(p.y_size(), threads)), dim3(threads), 0, stream,
            p, x, y, argmax);
  CN_LAUNCH_CHECK("maxpool2d_forward ", shape_str(p));
}

// The argmax of a pooling whose output y was computed elsewhere (the cuDNN
// backend's forward): per window, the first cell in row-major order whose
// value equals y, which is exactly the first-max rule because y is the
// window's maximum. A window with no equal cell (y is NaN) names its first
// real cell, as the forward kernel does for a window that starts with NaN.
__global__ void maxpool2d_argmax_kernel(Pool2dParams p, const float* x, const float* y,
                                        int32_t* argmax) {
  const int64_t total = p.y_size();
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const PoolOutputCell o = pool_output_cell(p, idx);
    const float* xp = x + o.plane * p.H * p.W;
    const float best = y[idx];
    int32_t first = -1, hit = -1;
    scan_window(p, o.oh, o.ow, [&](int32_t i) {
      if (first < 0) first = i;
      if (xp[i] == best) hit = i;
      return hit >= 0;  // stop at the first equal cell
    });
    argmax[idx] = hit >= 0 ? hit : first;
  }
}

void maxpool2d_argmax_from_output(const Pool2dParams& p, const float* x, const float* y,
                                  int32_t* argmax, cudaStream_t stream) {
  const int threads = 256;
  cn_launch(maxpool2d_argmax_kernel, dim3(grid_1d(p.y_size(), threads)), dim3(threads), 0, stream,
            p, x, y, argmax);
  CN_LAUNCH_CHECK("maxpool2d_argmax_from_output ", shape_str(p));
}

// One thread per INPUT cell, gathering from the windows that contain it and
// whose argmax names it. Why gather instead of scattering dy to argmax:
// overlapping windows (stride < kernel) may route several gradients to one
// cell, and a scatter would need float atomics (order-dependent sums). The
// windows are visited in (oh, ow) order, the order the CPU scatter adds them.
__global__ void maxpool2d_backward_kernel(Pool2dParams p, const float* dy, const int32_t* argmax,
                                          float* dx) {
  const int OH = p.OH(), OW = p.OW();
  const int64_t total = p.x_size();
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int iw = int(idx % p.W);
    const int ih = int((idx / p.W) % p.H);
    const int64_t plane = idx / (int64_t(p.W) * p.H);
    const int32_t me = ih * p.W + iw;
    // Windows containing ih: oh*sh - ph <= ih <= oh*sh - ph + KH - 1.
    const int hnum = ih + p.pad_h - (p.KH - 1);
    const int wnum = iw + p.pad_w - (p.KW - 1);
    const int oh_lo = hnum <= 0 ? 0 : (hnum + p.stride_h - 1) / p.stride_h;
    const int ow_lo = wnum <= 0 ? 0 : (wnum + p.stride_w - 1) / p.stride_w;
    const int oh_hi = min(OH - 1, (ih + p.pad_h) / p.stride_h);
    const int ow_hi = min(OW - 1, (iw + p.pad_w) / p.stride_w);
    float acc = 0.0f;
    for (int oh = oh_lo; oh <= oh_hi; ++oh) {
      for (int ow = ow_lo; ow <= ow_hi; ++ow) {
        const int64_t o = (plane * OH + oh) * OW + ow;
        if (argmax[o] == me) acc += dy[o];
      }
    }
    dx[idx] = acc;
  }
}

void maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax, float* dx,
                        cudaStream_t stream) {
  const int threads = 256;
  cn_launch(maxpool2d_backward_kernel, dim3(grid_1d(p.x_size(), threads)), dim3(threads), 0,
            stream, p, dy, argmax, dx);
  CN_LAUNCH_CHECK("maxpool2d_backward ", shape_str(p));
}

}  // namespace convnet::cuda
