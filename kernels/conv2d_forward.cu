// kernels/conv2d_forward.cu: y = conv2d(x, w) + b, NCHW, weights [C_out, C_in, KH, KW].
//
// Cross-correlation with per-axis padding, stride and dilation, as
// convnet::cpu::conv2d_forward. For output (n, co, oh, ow):
//   y = sum over (ci, kh, kw) of x[n, ci, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw] * w[co, ci, kh, kw]
//       (+ b[co]), input cells outside the image contribute nothing.
//
// Both variants accumulate with fmaf in the order ci, kh, kw (padding cells
// skipped, bias added last), so they are bit-identical.
#include <algorithm>

#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

// ----------------------------------------------------------------------------
// Variant 1: direct. One thread per output element, everything read from
// global memory. Why: it is the definition written as a kernel, easy to check,
// and the fastest choice when there is little reuse (tiny C_in * KH * KW).
// ----------------------------------------------------------------------------
__global__ void conv2d_forward_direct_kernel(Conv2dParams p, const float* x, const float* w,
                                             const float* b, float* y) {
  const int OH = p.OH(), OW = p.OW();
  const int64_t total = p.y_size();
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int ow = int(idx % OW);
    const int oh = int((idx / OW) % OH);
    const int co = int((idx / (int64_t(OW) * OH)) % p.C_out);
    const int n = int(idx / (int64_t(OW) * OH * p.C_out));
    float acc = 0.0f;
    for (int ci = 0; ci < p.C_in; ++ci) {
      const float* xp = x + (int64_t(n) * p.C_in + ci) * p.H * p.W;
      const float* wp = w + (int64_t(co) * p.C_in + ci) * p.KH * p.KW;
      for (int kh = 0; kh < p.KH; ++kh) {
        const int ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
        if (ih < 0 || ih >= p.H) continue;
        for (int kw = 0; kw < p.KW; ++kw) {
          const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
          if (iw < 0 || iw >= p.W) continue;
          acc = fmaf(xp[ih * p.W + iw], wp[kh * p.KW + kw], acc);
        }
      }
    }
    y[idx] = p.has_bias ? acc + b[co] : acc;
  }
}

void conv2d_forward_direct(const Conv2dParams& p, const float* x, const float* w, const float* b,
                           float* y, cudaStream_t stream) {
  const int threads = 256;
  cn_launch(conv2d_forward_direct_kernel, dim3(grid_1d(p.y_size(), threads)), dim3(threads), 0,
            stream, p, x, w, b, y);
  CN_LAUNCH_CHECK("conv2d_forward (direct) ", shape_str(p));
}

// ----------------------------------------------------------------------------
// Variant 2: tiled. One block computes a 64-position output tile (8x8, or
// 1x64 for 1-D inputs) for 16 output channels of one sample. For each chunk
// of input channels it stages the input patch that tile reads and the
// matching 16 x chunk x KH x KW weights in shared memory; each of the 256
// threads then computes one position for 4 output channels, so every input
// value read from shared memory feeds 4 FMAs and every global value is read
// once per block instead of once per output. Why: conv layers with real
// channel counts are bound by memory traffic in the direct kernel.
// ----------------------------------------------------------------------------
constexpr int kFwdPositions = 64;      // output positions per block
constexpr int kFwdCoPerThread = 4;     // output channels per thread
constexpr int kFwdCoGroups = 4;        // threads sharing one position
constexpr int kFwdCoTile = kFwdCoPerThread * kFwdCoGroups;  // 16 output channels per block
constexpr int kFwdThreads = kFwdPositions * kFwdCoGroups;   // 256
constexpr size_t kSharedLimit = 48 * 1024;  // no opt-in needed below this on any GPU

struct FwdTiling {
  int toh, tow;     // output tile (toh * tow == kFwdPositions)
  int ph, pw;       // input patch read by one tile
  int ci_tile;      // input channels staged per step
  size_t smem;      // bytes of dynamic shared memory
};

static FwdTiling fwd_tiling(const Conv2dParams& p) {
  FwdTiling t;
  t.toh = p.OH() == 1 ? 1 : 8;
  t.tow = kFwdPositions / t.toh;
  t.ph = (t.toh - 1) * p.stride_h + (p.KH - 1) * p.dil_h + 1;
  t.pw = (t.tow - 1) * p.stride_w + (p.KW - 1) * p.dil_w + 1;
  t.ci_tile = std::min(p.C_in, 8);
  for (;;) {
    t.smem = sizeof(float) * (size_t(t.ci_tile) * t.ph * t.pw +
                              size_t(kFwdCoTile) * t.ci_tile * p.KH * p.KW);
    if (t.smem <= kSharedLimit || t.ci_tile == 1) break;
    t.ci_tile = (t.ci_tile + 1) / 2;
  }
  return t;
}

__global__ void conv2d_forward_tiled_kernel(Conv2dParams p, const float* x, const float* w,
                                            const float* b, float* y, FwdTiling t, int tiles_w) {
  CN_DYNAMIC_SHARED(float, smem);
  const int KHKW = p.KH * p.KW;
  float* xs = smem;                                // [ci_tile][ph][pw]
  float* ws = smem + t.ci_tile * t.ph * t.pw;      // [kFwdCoTile][ci_tile][KH*KW]
  const int OH = p.OH(), OW = p.OW();
  const int oh0 = (int(blockIdx.x) / tiles_w) * t.toh;
  const int ow0 = (int(blockIdx.x) % tiles_w) * t.tow;
  const int co0 = int(blockIdx.y) * kFwdCoTile;
  const int n = int(blockIdx.z);
  const int tid = int(threadIdx.x);
  const int pos = tid % kFwdPositions;
  const int group = tid / kFwdPositions;
  const int r = pos / t.tow, q = pos % t.tow;     // position inside the tile
  const int oh = oh0 + r, ow = ow0 + q;
  const int ih0 = oh0 * p.stride_h - p.pad_h;     // patch origin in the input
  const int iw0 = ow0 * p.stride_w - p.pad_w;

  float acc[kFwdCoPerThread];
  for (int j = 0; j < kFwdCoPerThread; ++j) acc[j] = 0.0f;

  for (int ci0 = 0; ci0 < p.C_in; ci0 += t.ci_tile) {
    const int nci = min(t.ci_tile, p.C_in - ci0);
    // Stage the input patch (zeros outside the image; they are skipped below).
    const int patch = nci * t.ph * t.pw;
    for (int i = tid; i < patch; i += kFwdThreads) {
      const int c = i / (t.ph * t.pw);
      const int pr = (i / t.pw) % t.ph;
      const int pc = i % t.pw;
      const int ih = ih0 + pr, iw = iw0 + pc;
      float v = 0.0f;
      if (ih >= 0 && ih < p.H && iw >= 0 && iw < p.W)
        v = x[((int64_t(n) * p.C_in + ci0 + c) * p.H + ih) * p.W + iw];
      xs[i] = v;
    }
    // Stage the weights of this channel chunk (zeros past C_out).
    const int wcount = kFwdCoTile * nci * KHKW;
    for (int i = tid; i < wcount; i += kFwdThreads) {
      const int co = i / (nci * KHKW);
      const int rest = i % (nci * KHKW);
      const int c = rest / KHKW;
      const int k = rest % KHKW;
      float v = 0.0f;
      if (co0 + co < p.C_out) v = w[((int64_t(co0 + co) * p.C_in + ci0 + c)) * KHKW + k];
      ws[(co * t.ci_tile + c) * KHKW + k] = v;
    }
    __syncthreads();
    if (oh < OH && ow < OW) {
      for (int c = 0; c < nci; ++c) {
        for (int kh = 0; kh < p.KH; ++kh) {
          const int ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
          if (ih < 0 || ih >= p.H) continue;
          const float* xrow = xs + (c * t.ph + r * p.stride_h + kh * p.dil_h) * t.pw;
          for (int kw = 0; kw < p.KW; ++kw) {
            const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
            if (iw < 0 || iw >= p.W) continue;
            const float xv = xrow[q * p.stride_w + kw * p.dil_w];
            for (int j = 0; j < kFwdCoPerThread; ++j) {
              const int co = group * kFwdCoPerThread + j;
              acc[j] = fmaf(xv, ws[(co * t.ci_tile + c) * KHKW + kh * p.KW + kw], acc[j]);
            }
          }
        }
      }
    }
    __syncthreads();  // the next chunk overwrites xs and ws
  }

  if (oh < OH && ow < OW) {
    for (int j = 0; j < kFwdCoPerThread; ++j) {
      const int co = co0 + group * kFwdCoPerThread + j;
      if (co >= p.C_out) break;
      y[((int64_t(n) * p.C_out + co) * OH + oh) * OW + ow] = p.has_bias ? acc[j] + b[co] : acc[j];
    }
  }
}

bool conv2d_forward_tiled_supported(const Conv2dParams& p) {
  return fwd_tiling(p).smem <= kSharedLimit && p.N <= 65535 &&
         (p.C_out + kFwdCoTile - 1) / kFwdCoTile <= 65535;
}

void conv2d_forward_tiled(const Conv2dParams& p, const float* x, const float* w, const float* b,
                          float* y, cudaStream_t stream) {
  CONVNET_CHECK(conv2d_forward_tiled_supported(p), "conv2d_forward (tiled) ", shape_str(p),
                ": shape too large for the tiled kernel (needs ", fwd_tiling(p).smem,
                " bytes of shared memory, limit ", kSharedLimit, "); use the direct variant");
  const FwdTiling t = fwd_tiling(p);
  const int tiles_h = (p.OH() + t.toh - 1) / t.toh;
  const int tiles_w = (p.OW() + t.tow - 1) / t.tow;
  const dim3 grid(unsigned(tiles_h * tiles_w), unsigned((p.C_out + kFwdCoTile - 1) / kFwdCoTile),
                  unsigned(p.N));
  cn_launch(conv2d_forward_tiled_kernel, grid, dim3(kFwdThreads), t.smem, stream, p, x, w, b, y, t,
            tiles_w);
  CN_LAUNCH_CHECK("conv2d_forward (tiled) ", shape_str(p));
}

}  // namespace convnet::cuda
