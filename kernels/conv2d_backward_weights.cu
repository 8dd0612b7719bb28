// kernels/conv2d_backward_weights.cu: dw and db of conv2d, overwriting both.
//
//   dw[co, ci, kh, kw] = sum over (n, oh, ow) of dy[n, co, oh, ow] * x[n, ci, ih, iw]
//                        with ih = oh*sh - ph + kh*dh, iw = ow*sw - pw + kw*dw inside the image
//   db[co]             = sum over (n, oh, ow) of dy[n, co, oh, ow]
//
// Reproducibility bit for bit forbids atomics here (float addition in arrival
// order is not deterministic). Instead every weight is reduced in ONE fixed
// order that both variants follow:
//   the batch is cut into S contiguous segments (conv2d_backward_weights_segments,
//   a function of the shape only); each segment is summed in (n, oh, ow) order
//   with fmaf; the S segment sums are then added in segment order.
// The segments give the GPU S times more parallel work for the same order.
#include <algorithm>

#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

int conv2d_backward_weights_segments(const Conv2dParams& p) {
  // Enough segments to fill a GPU for small layers (LeNet's conv1 has 150
  // weights), capped so the partial sums stay under ~16 MiB.
  const int64_t per_segment = p.w_size() + p.C_out;
  int64_t s = std::min<int64_t>(p.N, 64);
  s = std::min<int64_t>(s, std::max<int64_t>(1, (int64_t(4) << 20) / per_segment));
  return int(std::max<int64_t>(s, 1));
}

size_t conv2d_backward_weights_workspace_bytes(const Conv2dParams& p) {
  return sizeof(float) * size_t(conv2d_backward_weights_segments(p)) *
         size_t(p.w_size() + p.C_out);
}

// Samples [n0, n1) of segment s out of S.
static __host__ __device__ __forceinline__ void segment_range(int N, int S, int s, int* n0, int* n1) {
  *n0 = int(int64_t(N) * s / S);
  *n1 = int(int64_t(N) * (s + 1) / S);
}

// ----------------------------------------------------------------------------
// Variant 1: direct. One thread per weight (and one per bias), each walking
// its whole reduction from global memory. Why: the definition as a kernel;
// it has only w_size threads, so it is slow for small layers, and it is the
// reference the tiled variant must match bit for bit.
// ----------------------------------------------------------------------------
__global__ void conv2d_backward_weights_direct_kernel(Conv2dParams p, int S, const float* x,
                                                      const float* dy, float* dw) {
  const int OH = p.OH(), OW = p.OW();
  const int64_t total = p.w_size();
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int kw = int(idx % p.KW);
    const int kh = int((idx / p.KW) % p.KH);
    const int ci = int((idx / (int64_t(p.KW) * p.KH)) % p.C_in);
    const int co = int(idx / (int64_t(p.KW) * p.KH * p.C_in));
    float total_sum = 0.0f;
    for (int s = 0; s < S; ++s) {
      int n0, n1;
      segment_range(p.N, S, s, &n0, &n1);
      float seg = 0.0f;
      for (int n = n0; n < n1; ++n) {
        const float* xp = x + (int64_t(n) * p.C_in + ci) * p.H * p.W;
        const float* dyp = dy + (int64_t(n) * p.C_out + co) * OH * OW;
        for (int oh = 0; oh < OH; ++oh) {
          const int ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
          if (ih < 0 || ih >= p.H) continue;
          for (int ow = 0; ow < OW; ++ow) {
            const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
            if (iw < 0 || iw >= p.W) continue;
            seg = fmaf(dyp[oh * OW + ow], xp[ih * p.W + iw], seg);
          }
        }
      }
      total_sum += seg;
    }
    dw[idx] = total_sum;
  }
}

__global__ void conv2d_backward_bias_direct_kernel(Conv2dParams p, int S, const float* dy,
                                                   float* db) {
  const int OHW = p.OH() * p.OW();
  const int co = int(blockIdx.x) * blockDim.x + threadIdx.x;
  if (co >= p.C_out) return;
  float total_sum = 0.0f;
  for (int s = 0; s < S; ++s) {
    int n0, n1;
    segment_range(p.N, S, s, &n0, &n1);
    float seg = 0.0f;
    for (int n = n0; n < n1; ++n) {
      const float* dyp = dy + (int64_t(n) * p.C_out + co) * OHW;
      for (int i = 0; i < OHW; ++i) seg += dyp[i];
    }
    total_sum += seg;
  }
  db[co] = total_sum;
}

void conv2d_backward_weights_direct(const Conv2dParams& p, const float* x, const float* dy,
                                    float* dw, float* db, cudaStream_t stream) {
  const int S = conv2d_backward_weights_segments(p);
  const int threads = 128;
  cn_launch(conv2d_backward_weights_direct_kernel, dim3(grid_1d(p.w_size(), threads)),
            dim3(threads), 0, stream, p, S, x, dy, dw);
  CN_LAUNCH_CHECK("conv2d_backward_weights (direct) ", shape_str(p));
  if (p.has_bias) {
    cn_launch(conv2d_backward_bias_direct_kernel, dim3(grid_1d(p.C_out, threads)), dim3(threads),
              0, stream, p, S, dy, db);
    CN_LAUNCH_CHECK("conv2d_backward_bias (direct) ", shape_str(p));
  }
}

// ----------------------------------------------------------------------------
// Variant 2: tiled. Grid = (output-channel tiles, input-channel tiles,
// segments). A block owns the co_t x ci_t x KH x KW weights of its tile and
// walks its segment R output rows at a time: it stages dy[n, co tile, rows,
// :] and the x rows those output rows read, x[n, ci tile, rows', :], in
// shared memory, and each thread adds the contributions to the weights it
// owns (accumulators in shared memory, one owner each, so no races). Each
// block writes its segment's partial sums to the workspace; a second kernel
// adds the S partials in segment order. Why: every staged dy value is reused
// ci_t * KH * KW times and every x value up to co_t * KH * KW times, and the
// segments spread small layers over many blocks.
// ----------------------------------------------------------------------------
constexpr int kWgtThreads = 256;
constexpr size_t kSharedLimit = 48 * 1024;

struct WgtTiling {
  int co_t, ci_t;  // channel tile
  int rows;        // output rows staged per step
  int xrows;       // input rows those output rows read
  size_t smem;
};

static size_t wgt_smem(const Conv2dParams& p, const WgtTiling& t) {
  return sizeof(float) * (size_t(t.co_t) * t.rows * p.OW() + size_t(t.ci_t) * t.xrows * p.W +
                          size_t(t.co_t) * t.ci_t * p.KH * p.KW);
}

static WgtTiling wgt_tiling(const Conv2dParams& p) {
  WgtTiling t;
  t.co_t = std::min(p.C_out, 8);
  t.ci_t = std::min(p.C_in, 8);
  // About 256 output positions per step, whole rows.
  t.rows = std::max(1, std::min(p.OH(), 256 / std::max(1, p.OW())));
  for (;;) {
    t.xrows = (t.rows - 1) * p.stride_h + (p.KH - 1) * p.dil_h + 1;
    t.smem = wgt_smem(p, t);
    if (t.smem <= kSharedLimit) break;
    if (t.rows > 1) t.rows = (t.rows + 1) / 2;
    else if (t.ci_t > 1) t.ci_t = (t.ci_t + 1) / 2;
    else if (t.co_t > 1) t.co_t = (t.co_t + 1) / 2;
    else break;
  }
  return t;
}

__global__ void conv2d_backward_weights_tiled_kernel(Conv2dParams p, int S, WgtTiling t,
                                                     const float* x, const float* dy,
                                                     float* partial) {
  CN_DYNAMIC_SHARED(float, smem);
  const int OH = p.OH(), OW = p.OW();
  const int KHKW = p.KH * p.KW;
  float* dys = smem;                              // [co_t][rows][OW]
  float* xs = dys + t.co_t * t.rows * OW;         // [ci_t][xrows][W]
  float* acc = xs + t.ci_t * t.xrows * p.W;       // [co_t][ci_t][KH*KW], one owner each
  const int co0 = int(blockIdx.x) * t.co_t;
  const int ci0 = int(blockIdx.y) * t.ci_t;
  const int s = int(blockIdx.z);
  const int nco = min(t.co_t, p.C_out - co0);
  const int nci = min(t.ci_t, p.C_in - ci0);
  const int nweights = nco * nci * KHKW;
  const int tid = int(threadIdx.x);
  for (int e = tid; e < nweights; e += kWgtThreads) acc[e] = 0.0f;

  int n0, n1;
  segment_range(p.N, S, s, &n0, &n1);
  for (int n = n0; n < n1; ++n) {
    for (int oh0 = 0; oh0 < OH; oh0 += t.rows) {
      const int nrows = min(t.rows, OH - oh0);
      const int ih_lo = oh0 * p.stride_h - p.pad_h;
      __syncthreads();  // previous step's readers are done with dys/xs
      for (int i = tid; i < nco * nrows * OW; i += kWgtThreads) {
        const int c = i / (nrows * OW);
        const int rest = i % (nrows * OW);
        dys[(c * t.rows) * OW + rest] = dy[(int64_t(n) * p.C_out + co0 + c) * OH * OW +
                                           int64_t(oh0) * OW + rest];
      }
      for (int i = tid; i < nci * t.xrows * p.W; i += kWgtThreads) {
        const int c = i / (t.xrows * p.W);
        const int r = (i / p.W) % t.xrows;
        const int col = i % p.W;
        const int ih = ih_lo + r;
        float v = 0.0f;
        if (ih >= 0 && ih < p.H) v = x[((int64_t(n) * p.C_in + ci0 + c) * p.H + ih) * p.W + col];
        xs[i] = v;
      }
      __syncthreads();
      for (int e = tid; e < nweights; e += kWgtThreads) {
        const int kw = e % p.KW;
        const int kh = (e / p.KW) % p.KH;
        const int c_in = (e / KHKW) % nci;
        const int c_out = e / (KHKW * nci);
        float a = acc[e];
        for (int r = 0; r < nrows; ++r) {
          const int ih = (oh0 + r) * p.stride_h - p.pad_h + kh * p.dil_h;
          if (ih < 0 || ih >= p.H) continue;
          const float* dyrow = dys + (c_out * t.rows + r) * OW;
          const float* xrow = xs + (c_in * t.xrows + (ih - ih_lo)) * p.W;
          for (int ow = 0; ow < OW; ++ow) {
            const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
            if (iw < 0 || iw >= p.W) continue;
            a = fmaf(dyrow[ow], xrow[iw], a);
          }
        }
        acc[e] = a;
      }
    }
  }
  // partial[s][w_size]: this block's weights of segment s.
  float* out = partial + int64_t(s) * p.w_size();
  for (int e = tid; e < nweights; e += kWgtThreads) {
    const int k = e % KHKW;
    const int c_in = (e / KHKW) % nci;
    const int c_out = e / (KHKW * nci);
    out[(int64_t(co0 + c_out) * p.C_in + ci0 + c_in) * KHKW + k] = acc[e];
  }
}

// One thread per (co, segment): the segment's bias sum in (n, oh, ow) order.
__global__ void conv2d_backward_bias_partial_kernel(Conv2dParams p, int S, const float* dy,
                                                    float* partial) {
  const int OHW = p.OH() * p.OW();
  const int i = int(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= S * p.C_out) return;
  const int s = i / p.C_out, co = i % p.C_out;
  int n0, n1;
  segment_range(p.N, S, s, &n0, &n1);
  float seg = 0.0f;
  for (int n = n0; n < n1; ++n) {
    const float* dyp = dy + (int64_t(n) * p.C_out + co) * OHW;
    for (int k = 0; k < OHW; ++k) seg += dyp[k];
  }
  partial[int64_t(s) * p.C_out + co] = seg;
}

// out[e] = sum over s of partial[s][e], in segment order.
__global__ void sum_segments_kernel(int64_t count, int S, const float* partial, float* out) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += int64_t(gridDim.x) * blockDim.x) {
    float total_sum = 0.0f;
    for (int s = 0; s < S; ++s) total_sum += partial[int64_t(s) * count + e];
    out[e] = total_sum;
  }
}

bool conv2d_backward_weights_tiled_supported(const Conv2dParams& p) {
  const WgtTiling t = wgt_tiling(p);
  return t.smem <= kSharedLimit && (p.C_out + t.co_t - 1) / t.co_t <= 65535 &&
         (p.C_in + t.ci_t - 1) / t.ci_t <= 65535;
}

void conv2d_backward_weights_tiled(const Conv2dParams& p, const float* x, const float* dy,
                                   float* dw, float* db, float* ws, cudaStream_t stream) {
  const WgtTiling t = wgt_tiling(p);
  CONVNET_CHECK(conv2d_backward_weights_tiled_supported(p), "conv2d_backward_weights (tiled) ",
                shape_str(p), ": shape too large for the tiled kernel (needs ", t.smem,
                " bytes of shared memory, limit ", kSharedLimit, "); use the direct variant");
  CONVNET_CHECK(ws != nullptr, "conv2d_backward_weights (tiled) ", shape_str(p),
                ": needs a workspace of ", conv2d_backward_weights_workspace_bytes(p),
                " bytes, got none");
  const int S = conv2d_backward_weights_segments(p);
  float* wpart = ws;                               // [S][w_size]
  float* bpart = ws + int64_t(S) * p.w_size();     // [S][C_out]
  const dim3 grid(unsigned((p.C_out + t.co_t - 1) / t.co_t), unsigned((p.C_in + t.ci_t - 1) / t.ci_t),
                  unsigned(S));
  cn_launch(conv2d_backward_weights_tiled_kernel, grid, dim3(kWgtThreads), t.smem, stream, p, S, t,
            x, dy, wpart);
  CN_LAUNCH_CHECK("conv2d_backward_weights (tiled) ", shape_str(p));
  const int threads = 256;
  cn_launch(sum_segments_kernel, dim3(grid_1d(p.w_size(), threads)), dim3(threads), 0, stream,
            p.w_size(), S, static_cast<const float*>(wpart), dw);
  CN_LAUNCH_CHECK("conv2d_backward_weights (tiled, segment sum) ", shape_str(p));
  if (p.has_bias) {
    cn_launch(conv2d_backward_bias_partial_kernel, dim3(grid_1d(int64_t(S) * p.C_out, threads)),
              dim3(threads), 0, stream, p, S, dy, bpart);
    CN_LAUNCH_CHECK("conv2d_backward_bias (segments) ", shape_str(p));
    cn_launch(sum_segments_kernel, dim3(grid_1d(p.C_out, threads)), dim3(threads), 0, stream,
              int64_t(p.C_out), S, static_cast<const float*>(bpart), db);
    CN_LAUNCH_CHECK("conv2d_backward_bias (segment sum) ", shape_str(p));
  }
}

}  // namespace convnet::cuda
