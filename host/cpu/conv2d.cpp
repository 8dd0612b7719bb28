// host/cpu/conv2d.cpp: Conv2d (cross-correlation) forward and backward on the CPU.
//
// Method: im2col + GEMM (Caffe style). For one sample, im2col unrolls every
// receptive field into a column, so that
//     y[C_out, P]  = W[C_out, K] * col[K, P]               (forward)
//     dcol[K, P]   = W^T * dy[C_out, P],  dx = col2im(dcol) (backward data)
//     dW[C_out, K] = sum_n dy_n * col_n^T                  (backward weights)
// with K = C_in*KH*KW and P = OH*OW.
//
// Three ways to feed the GEMM (see choose_path):
//  - FullyConnected (kernel = whole unpadded input, e.g. LeNet's C5): col
//    is the input itself, so the conv is a linear layer, y[N, C_out] =
//    x[N, K] * W^T, and runs as the three linear-layer GEMMs.
//  - Wide (stride 1, no padding, e.g. LeNet's C1 and C3): the output plane
//    is computed W wide instead of OW wide, P' = OH*W. Then col row
//    (ci, kh, kw) is ONE contiguous slice of the input plane,
//        col'[(ci,kh,kw)][oh*W + ow] = x[ci][kh*dil_h*W + kw*dil_w + oh*W + ow],
//    so im2col is K long copies instead of K*OH short ones (short copies
//    cost more in loop overhead than the GEMM saves). The W - OW extra
//    columns per row are garbage; forward drops them, backward feeds zeros
//    in their dy so they contribute nothing.
//  - PerSample (larger P): one GEMM per sample straight into NCHW.
//  - Chunk (small P): a per-sample GEMM would
//    be a matrix-vector product, so each thread unrolls its whole chunk of
//    samples into col[K, G*P] and does ONE GEMM, moving data between NCHW
//    and the [C, G*P] layout the GEMM wants.
//
// Threads: samples are split statically over min(threads, kMaxSlots)
// threads; each thread has its own slot of the workspace. Forward and
// backward-data results do not depend on the thread count. Backward weights
// sums per-thread partial dW in thread order: bit-identical for a given
// thread count.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "cpu_internal.h"

namespace convnet::cpu {

namespace {

using detail::gemm;
using detail::split_range;

constexpr int kMaxSlots = 16;       // most threads one conv call uses
constexpr int64_t kPerSampleMinP = 32;

int slots_for(const Conv2dParams& p) { return std::min(p.N, kMaxSlots); }
int64_t plane_out(const Conv2dParams& p) { return int64_t(p.OH()) * p.OW(); }

enum class Path { FullyConnected, Wide, PerSample, Chunk };

Path choose_path(const Conv2dParams& p) {
  const int64_t P = plane_out(p);
  // The kernel covers the whole unpadded input (LeNet's C5): col is x
  // itself, and the conv is a linear layer on the flattened input.
  if (p.KH == p.H && p.KW == p.W && p.pad_h == 0 && p.pad_w == 0) return Path::FullyConnected;
  if (P < kPerSampleMinP) return Path::Chunk;
  // Wide costs W/OW times the GEMM work; worth it while that stays small.
  const bool dense = p.pad_h == 0 && p.pad_w == 0 && p.stride_h == 1 && p.stride_w == 1;
  if (dense && 2 * p.W <= 3 * p.OW()) return Path::Wide;
  return Path::PerSample;
}

// Columns of one sample's col matrix on the per-sample paths.
int64_t slot_cols(const Conv2dParams& p) {
  return choose_path(p) == Path::Wide ? int64_t(p.OH()) * p.W : plane_out(p);
}

// Workspace layout (element offsets).
// Wide / PerSample:
//   col   [slots][K * cols]        one sample's columns per thread
//   mat   [slots][C_out * cols]    Wide only: y' or dy' in the wide layout
//   part  [slots][C_out*K + C_out] per-thread partial dW and db
// Chunk:
//   col   [N][K*P]                 a thread's chunk at offset n0*K*P, laid out [K][G*P]
//   mat   [N][C_out*P]             y or dy in [C_out][G*P] layout, same chunking
//   part  [slots][C_out*K + C_out]
struct WsLayout {
  int64_t col = 0, mat = 0, part = 0, total = 0;
};

WsLayout ws_layout(const Conv2dParams& p) {
  const int64_t K = p.K(), P = plane_out(p), S = slots_for(p);
  WsLayout L;
  L.col = 0;
  switch (choose_path(p)) {
    case Path::FullyConnected:
      return L;  // no scratch at all
    case Path::Wide:
      L.mat = L.col + S * K * slot_cols(p);
      L.part = L.mat + S * p.C_out * slot_cols(p);
      break;
    case Path::PerSample:
      L.mat = L.col + S * K * P;
      L.part = L.mat;
      break;
    case Path::Chunk:
      L.mat = L.col + int64_t(p.N) * K * P;
      L.part = L.mat + int64_t(p.N) * p.C_out * P;
      break;
  }
  L.total = L.part + S * (int64_t(p.C_out) * K + p.C_out);
  return L;
}

void check_shape(const Conv2dParams& p, const char* op) {
  CONVNET_CHECK(p.N > 0 && p.C_in > 0 && p.C_out > 0 && p.H > 0 && p.W > 0 && p.KH > 0 &&
                    p.KW > 0 && p.stride_h > 0 && p.stride_w > 0 && p.dil_h > 0 && p.dil_w > 0 &&
                    p.pad_h >= 0 && p.pad_w >= 0,
                op, ": invalid conv parameters (N=", p.N, " C_in=", p.C_in, " C_out=", p.C_out,
                " H=", p.H, " W=", p.W, " K=", p.KH, "x", p.KW, ")");
  CONVNET_CHECK(p.OH() > 0 && p.OW() > 0, op, ": the ", p.KH, "x", p.KW, " kernel (dilation ",
                p.dil_h, ",", p.dil_w, ") does not fit the ", p.H, "x", p.W, " input padded by ",
                p.pad_h, ",", p.pad_w);
}

// Output positions o in [*lo, *hi) read an input cell inside [0, in) when
// the input index is o*stride + off.
inline void valid_range(int out, int in, int stride, int off, int* lo, int* hi) {
  const int l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  const int h = (in - 1 - off) < 0 ? 0 : (in - 1 - off) / stride + 1;
  *lo = std::min(l, out);
  *hi = std::max(*lo, std::min(h, out));
}

// One sample x[C_in, H, W] -> col rows (row r = (ci*KH + kh)*KW + kw, row
// stride ld), output position p = oh*OW + ow in each row.
//
// The inner loops are plain loops over one output row (often only 10-28
// long), not memcpy/fill calls: at these lengths the call overhead costs
// more than the copy. `omp simd` lets the -O2 build vectorize them.
template <class T>
void im2col(const Conv2dParams& p, const T* x, T* col, int64_t ld) {
  const int OH = p.OH(), OW = p.OW(), sw = p.stride_w;
  // kw outermost: the valid ow range depends only on kw (its divisions
  // would otherwise dominate when the output plane is tiny).
  for (int kw = 0; kw < p.KW; ++kw) {
    const int off_w = kw * p.dil_w - p.pad_w;
    int w_lo, w_hi;
    valid_range(OW, p.W, sw, off_w, &w_lo, &w_hi);
    for (int ci = 0; ci < p.C_in; ++ci)
      for (int kh = 0; kh < p.KH; ++kh) {
        T* row = col + ((int64_t(ci) * p.KH + kh) * p.KW + kw) * ld;
        const int off_h = kh * p.dil_h - p.pad_h;
        for (int oh = 0; oh < OH; ++oh) {
          T* dst = row + int64_t(oh) * OW;
          const int ih = oh * p.stride_h + off_h;
          if (ih < 0 || ih >= p.H) {
            for (int ow = 0; ow < OW; ++ow) dst[ow] = T(0);
            continue;
          }
          const T* src = x + (int64_t(ci) * p.H + ih) * p.W;  // input row ih
          for (int ow = 0; ow < w_lo; ++ow) dst[ow] = T(0);
          if (sw == 1) {
#pragma omp simd
            for (int ow = w_lo; ow < w_hi; ++ow) dst[ow] = src[ow + off_w];
          } else {
            for (int ow = w_lo; ow < w_hi; ++ow) dst[ow] = src[ow * sw + off_w];
          }
          for (int ow = w_hi; ow < OW; ++ow) dst[ow] = T(0);
        }
      }
  }
}

// The adjoint of im2col: dx[C_in, H, W] = sum of the col entries that were
// copied from each cell. dx is zeroed first.
template <class T>
void col2im(const Conv2dParams& p, const T* col, int64_t ld, T* dx) {
  const int OH = p.OH(), OW = p.OW(), sw = p.stride_w;
  const int64_t n = int64_t(p.C_in) * p.H * p.W;
  for (int64_t i = 0; i < n; ++i) dx[i] = T(0);
  for (int kw = 0; kw < p.KW; ++kw) {
    const int off_w = kw * p.dil_w - p.pad_w;
    int w_lo, w_hi;
    valid_range(OW, p.W, sw, off_w, &w_lo, &w_hi);
    for (int ci = 0; ci < p.C_in; ++ci)
      for (int kh = 0; kh < p.KH; ++kh) {
        const T* row = col + ((int64_t(ci) * p.KH + kh) * p.KW + kw) * ld;
        const int off_h = kh * p.dil_h - p.pad_h;
        for (int oh = 0; oh < OH; ++oh) {
          const int ih = oh * p.stride_h + off_h;
          if (ih < 0 || ih >= p.H) continue;
          const T* src = row + int64_t(oh) * OW;
          T* d = dx + (int64_t(ci) * p.H + ih) * p.W;  // input row ih
          if (sw == 1) {
#pragma omp simd
            for (int ow = w_lo; ow < w_hi; ++ow) d[ow + off_w] += src[ow];
          } else {
            for (int ow = w_lo; ow < w_hi; ++ow) d[ow * sw + off_w] += src[ow];
          }
        }
      }
  }
}

// ---- the Wide path (stride 1, no padding) ----------------------------------
// Row r = (ci, kh, kw) of col' starts at this offset in the sample's input.
// Reading P' = OH*W elements from there may run past the end of the input
// plane by up to (KW-1)*dil_w elements; those positions are garbage columns
// (ow >= OW), so wide_len() stops at the plane end and the rest is zero.
inline int64_t wide_offset(const Conv2dParams& p, int ci, int kh, int kw) {
  return int64_t(ci) * p.H * p.W + int64_t(kh) * p.dil_h * p.W + int64_t(kw) * p.dil_w;
}
inline int64_t wide_len(const Conv2dParams& p, int kh, int kw) {
  const int64_t in_plane = int64_t(p.H) * p.W, PW = int64_t(p.OH()) * p.W;
  return std::min(PW, in_plane - (int64_t(kh) * p.dil_h * p.W + int64_t(kw) * p.dil_w));
}

template <class T>
void im2col_wide(const Conv2dParams& p, const T* x, T* col) {
  const int64_t PW = int64_t(p.OH()) * p.W;
  for (int ci = 0; ci < p.C_in; ++ci)
    for (int kh = 0; kh < p.KH; ++kh)
      for (int kw = 0; kw < p.KW; ++kw) {
        T* row = col + ((int64_t(ci) * p.KH + kh) * p.KW + kw) * PW;
        const int64_t len = wide_len(p, kh, kw);
        std::memcpy(row, x + wide_offset(p, ci, kh, kw), sizeof(T) * size_t(len));
        for (int64_t j = len; j < PW; ++j) row[j] = T(0);
      }
}

// dx = sum over rows of dcol' scattered back (adjoint of im2col_wide).
template <class T>
void col2im_wide(const Conv2dParams& p, const T* dcol, T* dx) {
  const int64_t PW = int64_t(p.OH()) * p.W, n = int64_t(p.C_in) * p.H * p.W;
  for (int64_t i = 0; i < n; ++i) dx[i] = T(0);
  for (int ci = 0; ci < p.C_in; ++ci)
    for (int kh = 0; kh < p.KH; ++kh)
      for (int kw = 0; kw < p.KW; ++kw) {
        const T* row = dcol + ((int64_t(ci) * p.KH + kh) * p.KW + kw) * PW;
        T* d = dx + wide_offset(p, ci, kh, kw);
        const int64_t len = wide_len(p, kh, kw);
#pragma omp simd
        for (int64_t j = 0; j < len; ++j) d[j] += row[j];
      }
}

// dy[C_out, OH, OW] -> dy'[C_out, OH*W] with zeros in the garbage columns.
template <class T>
void widen(const Conv2dParams& p, const T* dy, T* dyw) {
  const int OH = p.OH(), OW = p.OW(), W = p.W;
  for (int co = 0; co < p.C_out; ++co)
    for (int oh = 0; oh < OH; ++oh) {
      const T* src = dy + (int64_t(co) * OH + oh) * OW;
      T* dst = dyw + (int64_t(co) * OH + oh) * W;
#pragma omp simd
      for (int ow = 0; ow < OW; ++ow) dst[ow] = src[ow];
      for (int ow = OW; ow < W; ++ow) dst[ow] = T(0);
    }
}

// Threads for a conv call: one slot each, never more than samples; tiny
// convs run on one thread (a fork and barrier cost more than they save).
int conv_threads(const Conv2dParams& p) {
  if (p.macs() < 100000) return 1;
  return std::max(1, std::min(num_threads(), slots_for(p)));
}

}  // namespace

template <class T>
size_t conv2d_workspace_elems(const Conv2dParams& p) {
  check_shape(p, "conv2d_workspace_elems");
  return size_t(ws_layout(p).total);
}

template <class T>
void conv2d_forward(const Conv2dParams& p, const T* x, const T* w, const T* b, T* y, T* ws) {
  check_shape(p, "conv2d_forward");
  detail::blas_single_threaded();
  const WsLayout L = ws_layout(p);
  const Path path = choose_path(p);
  const int Cout = p.C_out, K = int(p.K()), P = int(plane_out(p));
  const int64_t x_plane = int64_t(p.C_in) * p.H * p.W, y_plane = int64_t(Cout) * P;
  const bool bias = p.has_bias && b != nullptr;
  if (path == Path::FullyConnected) {
    for (int n = 0; n < p.N; ++n)
      for (int co = 0; co < Cout; ++co) y[int64_t(n) * Cout + co] = bias ? b[co] : T(0);
    detail::gemm_parallel_rows(false, true, p.N, Cout, K, T(1), x, K, w, K, T(1), y, Cout);
    return;
  }
#pragma omp parallel num_threads(conv_threads(p))
  {
    const int t = omp_get_thread_num();
    int64_t n0, n1;
    split_range(p.N, omp_get_num_threads(), t, &n0, &n1);
    if (path == Path::Wide) {
      const int PW = int(slot_cols(p)), OH = p.OH(), OW = p.OW();
      T* col = ws + L.col + t * int64_t(K) * PW;
      T* yw = ws + L.mat + t * int64_t(Cout) * PW;
      for (int64_t n = n0; n < n1; ++n) {
        im2col_wide(p, x + n * x_plane, col);
        // memset + beta = 1: OpenBLAS's own beta = 0 pass is slower than memset.
        std::memset(yw, 0, sizeof(T) * size_t(Cout) * PW);
        gemm(false, false, Cout, PW, K, T(1), w, K, col, PW, T(1), yw, PW);
        // Keep the OW real columns of each wide row, add the bias.
        T* yn = y + n * y_plane;
        for (int co = 0; co < Cout; ++co) {
          const T bv = bias ? b[co] : T(0);
          for (int oh = 0; oh < OH; ++oh) {
            const T* src = yw + (int64_t(co) * OH + oh) * p.W;
            T* dst = yn + (int64_t(co) * OH + oh) * OW;
#pragma omp simd
            for (int ow = 0; ow < OW; ++ow) dst[ow] = src[ow] + bv;
          }
        }
      }
    } else if (path == Path::PerSample) {
      T* col = ws + L.col + t * int64_t(K) * P;
      for (int64_t n = n0; n < n1; ++n) {
        T* yn = y + n * y_plane;
        // Start from the bias, then accumulate W * col on top (beta = 1).
        for (int co = 0; co < Cout; ++co)
          std::fill(yn + int64_t(co) * P, yn + int64_t(co + 1) * P, bias ? b[co] : T(0));
        im2col(p, x + n * x_plane, col, P);
        gemm(false, false, Cout, P, K, T(1), w, K, col, P, T(1), yn, P);
      }
    } else if (n1 > n0) {  // Path::Chunk
      const int G = int(n1 - n0), GP = G * P;
      T* col = ws + L.col + n0 * K * P;
      T* mat = ws + L.mat + n0 * y_plane;
      for (int g = 0; g < G; ++g) im2col(p, x + (n0 + g) * x_plane, col + int64_t(g) * P, GP);
      gemm(false, false, Cout, GP, K, T(1), w, K, col, GP, T(0), mat, GP);
      for (int g = 0; g < G; ++g)
        for (int co = 0; co < Cout; ++co) {
          const T* src = mat + int64_t(co) * GP + int64_t(g) * P;
          T* dst = y + (n0 + g) * y_plane + int64_t(co) * P;
          const T bv = bias ? b[co] : T(0);
          for (int q = 0; q < P; ++q) dst[q] = src[q] + bv;
        }
    }
  }
}

template <class T>
void conv2d_backward_data(const Conv2dParams& p, const T* dy, const T* w, T* dx, T* ws) {
  check_shape(p, "conv2d_backward_data");
  detail::blas_single_threaded();
  const WsLayout L = ws_layout(p);
  const Path path = choose_path(p);
  const int Cout = p.C_out, K = int(p.K()), P = int(plane_out(p));
  const int64_t x_plane = int64_t(p.C_in) * p.H * p.W, y_plane = int64_t(Cout) * P;
  if (path == Path::FullyConnected) {  // dx[N, K] = dy[N, C_out] * W
    detail::gemm_parallel_rows(false, false, p.N, K, Cout, T(1), dy, Cout, w, K, T(0), dx, K);
    return;
  }
#pragma omp parallel num_threads(conv_threads(p))
  {
    const int t = omp_get_thread_num();
    int64_t n0, n1;
    split_range(p.N, omp_get_num_threads(), t, &n0, &n1);
    if (path == Path::Wide) {
      const int PW = int(slot_cols(p));
      T* dcol = ws + L.col + t * int64_t(K) * PW;
      T* dyw = ws + L.mat + t * int64_t(Cout) * PW;
      for (int64_t n = n0; n < n1; ++n) {
        widen(p, dy + n * y_plane, dyw);
        std::memset(dcol, 0, sizeof(T) * size_t(K) * PW);  // see forward
        gemm(true, false, K, PW, Cout, T(1), w, K, dyw, PW, T(1), dcol, PW);
        col2im_wide(p, dcol, dx + n * x_plane);
      }
    } else if (path == Path::PerSample) {
      T* dcol = ws + L.col + t * int64_t(K) * P;
      for (int64_t n = n0; n < n1; ++n) {
        gemm(true, false, K, P, Cout, T(1), w, K, dy + n * y_plane, P, T(0), dcol, P);
        col2im(p, dcol, P, dx + n * x_plane);
      }
    } else if (n1 > n0) {  // Path::Chunk
      const int G = int(n1 - n0), GP = G * P;
      T* dcol = ws + L.col + n0 * K * P;
      T* mat = ws + L.mat + n0 * y_plane;
      for (int g = 0; g < G; ++g)  // dy chunk -> [C_out][G*P]
        for (int co = 0; co < Cout; ++co)
          std::memcpy(mat + int64_t(co) * GP + int64_t(g) * P,
                      dy + (n0 + g) * y_plane + int64_t(co) * P, sizeof(T) * P);
      gemm(true, false, K, GP, Cout, T(1), w, K, mat, GP, T(0), dcol, GP);
      for (int g = 0; g < G; ++g) col2im(p, dcol + int64_t(g) * P, GP, dx + (n0 + g) * x_plane);
    }
  }
}

template <class T>
void conv2d_backward_weights(const Conv2dParams& p, const T* x, const T* dy, T* dw, T* db, T* ws) {
  check_shape(p, "conv2d_backward_weights");
  detail::blas_single_threaded();
  const WsLayout L = ws_layout(p);
  const Path path = choose_path(p);
  const int Cout = p.C_out, K = int(p.K()), P = int(plane_out(p));
  const int64_t x_plane = int64_t(p.C_in) * p.H * p.W, y_plane = int64_t(Cout) * P;
  const int64_t part_size = int64_t(Cout) * K + Cout;  // dW then db
  const bool bias = p.has_bias && db != nullptr;
  if (path == Path::FullyConnected) {  // dW[C_out, K] = dy^T * x; db = column sums of dy
    detail::gemm_parallel_rows(true, false, Cout, K, p.N, T(1), dy, Cout, x, K, T(0), dw, K);
    if (bias) {
      for (int co = 0; co < Cout; ++co) db[co] = T(0);
      for (int n = 0; n < p.N; ++n)
        for (int co = 0; co < Cout; ++co) db[co] += dy[int64_t(n) * Cout + co];
    }
    return;
  }
  const int nthreads = conv_threads(p);
#pragma omp parallel num_threads(nthreads)
  {
    const int t = omp_get_thread_num();
    int64_t n0, n1;
    split_range(p.N, omp_get_num_threads(), t, &n0, &n1);
    T* part_w = ws + L.part + t * part_size;
    T* part_b = part_w + int64_t(Cout) * K;
    std::fill(part_w, part_w + part_size, T(0));
    if (path == Path::Wide) {
      const int PW = int(slot_cols(p));
      T* col = ws + L.col + t * int64_t(K) * PW;
      T* dyw = ws + L.mat + t * int64_t(Cout) * PW;
      for (int64_t n = n0; n < n1; ++n) {
        const T* dyn = dy + n * y_plane;
        im2col_wide(p, x + n * x_plane, col);
        widen(p, dyn, dyw);  // zero dy in the garbage columns: they add nothing
        gemm(false, true, Cout, K, PW, T(1), dyw, PW, col, PW, T(1), part_w, K);
        for (int co = 0; co < Cout; ++co) {
          T s = 0;
#pragma omp simd reduction(+ : s)  // fixed lane order: still deterministic
          for (int q = 0; q < P; ++q) s += dyn[int64_t(co) * P + q];
          part_b[co] += s;
        }
      }
    } else if (path == Path::PerSample) {
      T* col = ws + L.col + t * int64_t(K) * P;
      for (int64_t n = n0; n < n1; ++n) {
        const T* dyn = dy + n * y_plane;
        im2col(p, x + n * x_plane, col, P);
        gemm(false, true, Cout, K, P, T(1), dyn, P, col, P, T(1), part_w, K);
        for (int co = 0; co < Cout; ++co) {
          T s = 0;
#pragma omp simd reduction(+ : s)  // fixed lane order: still deterministic
          for (int q = 0; q < P; ++q) s += dyn[int64_t(co) * P + q];
          part_b[co] += s;
        }
      }
    } else if (n1 > n0) {  // Path::Chunk
      const int G = int(n1 - n0), GP = G * P;
      T* col = ws + L.col + n0 * K * P;
      T* mat = ws + L.mat + n0 * y_plane;
      for (int g = 0; g < G; ++g) {
        im2col(p, x + (n0 + g) * x_plane, col + int64_t(g) * P, GP);
        for (int co = 0; co < Cout; ++co)
          std::memcpy(mat + int64_t(co) * GP + int64_t(g) * P,
                      dy + (n0 + g) * y_plane + int64_t(co) * P, sizeof(T) * P);
      }
      gemm(false, true, Cout, K, GP, T(1), mat, GP, col, GP, T(0), part_w, K);
      for (int co = 0; co < Cout; ++co) {
        T s = 0;
        for (int q = 0; q < GP; ++q) s += mat[int64_t(co) * GP + q];
        part_b[co] = s;
      }
    }
#pragma omp barrier
    // Sum the partials in thread order; the elements are split over threads.
    const int T_ = omp_get_num_threads();
    int64_t e0, e1;
    split_range(part_size, T_, t, &e0, &e1);
    const T* parts = ws + L.part;
    for (int64_t e = e0; e < e1; ++e) {
      T s = parts[e];
      for (int u = 1; u < T_; ++u) s += parts[u * part_size + e];
      if (e < int64_t(Cout) * K) {
        dw[e] = s;
      } else if (bias) {
        db[e - int64_t(Cout) * K] = s;
      }
    }
  }
}

#define CONVNET_INSTANTIATE_CONV(T)                                                              \
  template size_t conv2d_workspace_elems<T>(const Conv2dParams&);                               \
  template void conv2d_forward<T>(const Conv2dParams&, const T*, const T*, const T*, T*, T*);  \
  template void conv2d_backward_data<T>(const Conv2dParams&, const T*, const T*, T*, T*);      \
  template void conv2d_backward_weights<T>(const Conv2dParams&, const T*, const T*, T*, T*, T*);
CONVNET_INSTANTIATE_CONV(float)
CONVNET_INSTANTIATE_CONV(double)

}  // namespace convnet::cpu
