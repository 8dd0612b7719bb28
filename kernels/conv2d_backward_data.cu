// kernels/conv2d_backward_data.cu: dx = d(loss)/dx of conv2d, overwriting dx.
//
// Input cell (n, ci, h, w) received x * w[co, ci, kh, kw] in every output
// (n, co, oh, ow) with oh*sh - ph + kh*dh == h and ow*sw - pw + kw*dw == w, so
//   dx[n, ci, h, w] = sum over (co, kh, kw) of dy[n, co, oh, ow] * w[co, ci, kh, kw]
// over the (kh, kw) for which oh = (h + ph - kh*dh) / sh is an integer in
// [0, OH) (and the same for ow). Gathering per input cell (instead of
// scattering per output) needs no atomics, so the result is deterministic.
//
// Both variants accumulate with fmaf in the order co, kh, kw: bit-identical.
#include <algorithm>

#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

// Output row/column that input coordinate `i` meets through kernel tap `k`,
// or -1 when that tap does not line up with a stride step or leaves [0, out).
static __device__ __forceinline__ int source_index(int i, int pad, int k, int dil, int stride, int out) {
  const int num = i + pad - k * dil;
  if (num < 0 || num % stride != 0) return -1;
  const int o = num / stride;
  return o < out ? o : -1;
}

// ----------------------------------------------------------------------------
// Variant 1: direct. One thread per dx element, dy and w read from global
// memory. Why: the definition as a kernel; fine when C_out * KH * KW is small.
// ----------------------------------------------------------------------------
__global__ void conv2d_backward_data_direct_kernel(Conv2dParams p, const float* dy,
                                                   const float* w, float* dx) {
  const int OH = p.OH(), OW = p.OW();
  const int64_t total = p.x_size();
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int iw = int(idx % p.W);
    const int ih = int((idx / p.W) % p.H);
    const int ci = int((idx / (int64_t(p.W) * p.H)) % p.C_in);
    const int n = int(idx / (int64_t(p.W) * p.H * p.C_in));
    float acc = 0.0f;
    for (int co = 0; co < p.C_out; ++co) {
      const float* dyp = dy + (int64_t(n) * p.C_out + co) * OH * OW;
      const float* wp = w + (int64_t(co) * p.C_in + ci) * p.KH * p.KW;
      for (int kh = 0; kh < p.KH; ++kh) {
        const int oh = source_index(ih, p.pad_h, kh, p.dil_h, p.stride_h, OH);
        if (oh < 0) continue;
        for (int kw = 0; kw < p.KW; ++kw) {
          const int ow = source_index(iw, p.pad_w, kw, p.dil_w, p.stride_w, OW);
          if (ow < 0) continue;
          acc = fmaf(dyp[oh * OW + ow], wp[kh * p.KW + kw], acc);
        }
      }
    }
    dx[idx] = acc;
  }
}

void conv2d_backward_data_direct(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                                 cudaStream_t stream) {
  const int threads = 256;
  cn_launch(conv2d_backward_data_direct_kernel, dim3(grid_1d(p.x_size(), threads)), dim3(threads),
            0, stream, p, dy, w, dx);
  CN_LAUNCH_CHECK("conv2d_backward_data (direct) ", shape_str(p));
}

// ----------------------------------------------------------------------------
// Variant 2: tiled. One block computes a 64-cell input tile (8x8, or 1x64 for
// 1-D inputs) for 16 input channels of one sample. For each chunk of output
// channels it stages the dy patch that can reach the tile and the matching
// weights in shared memory; each thread computes one cell for 4 input
// channels, reusing every dy value for 4 FMAs. Why: the same reuse argument
// as the forward tiled kernel, with the roles of x and y swapped.
// ----------------------------------------------------------------------------
constexpr int kBwdPositions = 64;
constexpr int kBwdCiPerThread = 4;
constexpr int kBwdCiGroups = 4;
constexpr int kBwdCiTile = kBwdCiPerThread * kBwdCiGroups;  // 16 input channels per block
constexpr int kBwdThreads = kBwdPositions * kBwdCiGroups;   // 256
constexpr size_t kSharedLimit = 48 * 1024;

struct BwdTiling {
  int th, tw;       // input tile (th * tw == kBwdPositions)
  int ph, pw;       // upper bound of the dy patch that reaches the tile
  int co_tile;      // output channels staged per step
  size_t smem;
};

static __device__ __forceinline__ int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static BwdTiling bwd_tiling(const Conv2dParams& p) {
  BwdTiling t;
  t.th = p.H == 1 ? 1 : 8;
  t.tw = kBwdPositions / t.th;
  // floor(a/s) - floor(b/s) <= floor((a-b)/s) + 1, so the number of output
  // rows reaching th input rows is at most this:
  t.ph = (t.th - 1 + (p.KH - 1) * p.dil_h) / p.stride_h + 2;
  t.pw = (t.tw - 1 + (p.KW - 1) * p.dil_w) / p.stride_w + 2;
  t.co_tile = std::min(p.C_out, 8);
  for (;;) {
    t.smem = sizeof(float) * (size_t(t.co_tile) * t.ph * t.pw +
                              size_t(t.co_tile) * kBwdCiTile * p.KH * p.KW);
    if (t.smem <= kSharedLimit || t.co_tile == 1) break;
    t.co_tile = (t.co_tile + 1) / 2;
  }
  return t;
}

__global__ void conv2d_backward_data_tiled_kernel(Conv2dParams p, const float* dy, const float* w,
                                                  float* dx, BwdTiling t, int tiles_w) {
  CN_DYNAMIC_SHARED(float, smem);
  const int KHKW = p.KH * p.KW;
  float* dys = smem;                                // [co_tile][ph][pw]
  float* ws = smem + t.co_tile * t.ph * t.pw;       // [co_tile][kBwdCiTile][KH*KW]
  const int OH = p.OH(), OW = p.OW();
  const int h0 = (int(blockIdx.x) / tiles_w) * t.th;
  const int w0 = (int(blockIdx.x) % tiles_w) * t.tw;
  const int ci0 = int(blockIdx.y) * kBwdCiTile;
  const int n = int(blockIdx.z);
  const int tid = int(threadIdx.x);
  const int pos = tid % kBwdPositions;
  const int group = tid / kBwdPositions;
  const int ih = h0 + pos / t.tw, iw = w0 + pos % t.tw;
  // First output row/column that can reach this tile.
  const int oh_lo = floor_div(h0 + p.pad_h - (p.KH - 1) * p.dil_h, p.stride_h);
  const int ow_lo = floor_div(w0 + p.pad_w - (p.KW - 1) * p.dil_w, p.stride_w);

  float acc[kBwdCiPerThread];
  for (int j = 0; j < kBwdCiPerThread; ++j) acc[j] = 0.0f;

  for (int co0 = 0; co0 < p.C_out; co0 += t.co_tile) {
    const int nco = min(t.co_tile, p.C_out - co0);
    const int patch = nco * t.ph * t.pw;
    for (int i = tid; i < patch; i += kBwdThreads) {
      const int c = i / (t.ph * t.pw);
      const int oh = oh_lo + (i / t.pw) % t.ph;
      const int ow = ow_lo + i % t.pw;
      float v = 0.0f;
      if (oh >= 0 && oh < OH && ow >= 0 && ow < OW)
        v = dy[((int64_t(n) * p.C_out + co0 + c) * OH + oh) * OW + ow];
      dys[i] = v;
    }
    const int wcount = nco * kBwdCiTile * KHKW;
    for (int i = tid; i < wcount; i += kBwdThreads) {
      const int c = i / (kBwdCiTile * KHKW);
      const int rest = i % (kBwdCiTile * KHKW);
      const int cin = rest / KHKW;
      const int k = rest % KHKW;
      float v = 0.0f;
      if (ci0 + cin < p.C_in) v = w[(int64_t(co0 + c) * p.C_in + ci0 + cin) * KHKW + k];
      ws[i] = v;
    }
    __syncthreads();
    if (ih < p.H && iw < p.W) {
      for (int c = 0; c < nco; ++c) {
        for (int kh = 0; kh < p.KH; ++kh) {
          const int oh = source_index(ih, p.pad_h, kh, p.dil_h, p.stride_h, OH);
          if (oh < 0) continue;
          for (int kw = 0; kw < p.KW; ++kw) {
            const int ow = source_index(iw, p.pad_w, kw, p.dil_w, p.stride_w, OW);
            if (ow < 0) continue;
            const float g = dys[(c * t.ph + oh - oh_lo) * t.pw + ow - ow_lo];
            for (int j = 0; j < kBwdCiPerThread; ++j) {
              const int cin = group * kBwdCiPerThread + j;
              acc[j] = fmaf(g, ws[(c * kBwdCiTile + cin) * KHKW + kh * p.KW + kw], acc[j]);
            }
          }
        }
      }
    }
    __syncthreads();
  }

  if (ih < p.H && iw < p.W) {
    for (int j = 0; j < kBwdCiPerThread; ++j) {
      const int ci = ci0 + group * kBwdCiPerThread + j;
      if (ci >= p.C_in) break;
      dx[((int64_t(n) * p.C_in + ci) * p.H + ih) * p.W + iw] = acc[j];
    }
  }
}

bool conv2d_backward_data_tiled_supported(const Conv2dParams& p) {
  return bwd_tiling(p).smem <= kSharedLimit && p.N <= 65535 &&
         (p.C_in + kBwdCiTile - 1) / kBwdCiTile <= 65535;
}

void conv2d_backward_data_tiled(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                                cudaStream_t stream) {
  CONVNET_CHECK(conv2d_backward_data_tiled_supported(p), "conv2d_backward_data (tiled) ",
                shape_str(p), ": shape too large for the tiled kernel (needs ", bwd_tiling(p).smem,
                " bytes of shared memory, limit ", kSharedLimit, "); use the direct variant");
  const BwdTiling t = bwd_tiling(p);
  const int tiles_h = (p.H + t.th - 1) / t.th;
  const int tiles_w = (p.W + t.tw - 1) / t.tw;
  const dim3 grid(unsigned(tiles_h * tiles_w), unsigned((p.C_in + kBwdCiTile - 1) / kBwdCiTile),
                  unsigned(p.N));
  cn_launch(conv2d_backward_data_tiled_kernel, grid, dim3(kBwdThreads), t.smem, stream, p, dy, w,
            dx, t, tiles_w);
  CN_LAUNCH_CHECK("conv2d_backward_data (tiled) ", shape_str(p));
}

}  // namespace convnet::cuda
