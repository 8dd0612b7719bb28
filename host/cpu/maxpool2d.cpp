// host/cpu/maxpool2d.cpp: max pooling with argmax, forward and backward.
//
// Each (n, c) plane is independent, so planes are split over threads. The
// window is scanned in row-major order with a strict '>' so the FIRST
// maximum wins ties; padded cells are skipped, so they never win.
#include <omp.h>

#include <algorithm>

#include "convnet/cpu_ops.h"
#include "convnet/error.h"

namespace convnet::cpu {

static void check_pool(const Pool2dParams& p, const char* op) {
  CONVNET_CHECK(p.N > 0 && p.C > 0 && p.H > 0 && p.W > 0 && p.KH > 0 && p.KW > 0 &&
                    p.stride_h > 0 && p.stride_w > 0 && p.pad_h >= 0 && p.pad_w >= 0,
                op, ": invalid pool parameters (N=", p.N, " C=", p.C, " H=", p.H, " W=", p.W,
                " K=", p.KH, "x", p.KW, ")");
  CONVNET_CHECK(p.OH() > 0 && p.OW() > 0, op, ": the ", p.KH, "x", p.KW,
                " window does not fit the ", p.H, "x", p.W, " input");
  CONVNET_CHECK(p.pad_h < p.KH && p.pad_w < p.KW, op, ": padding ", p.pad_h, ",", p.pad_w,
                " must be smaller than the ", p.KH, "x", p.KW, " window");
}

// Max pooling of one plane when every window lies inside the input (no
// padding): sweep a whole output row per window cell, (kh, kw) in row-major
// order, so the inner loop is a branch-free select over ow that vectorizes.
// SW is the column stride as a compile-time constant (strided loads
// vectorize only with a known stride); SW = 0 means "use p.stride_w".
template <class T, int SW>
void pool_row_sweep(const Pool2dParams& p, const T* xp, T* yp, int32_t* ap) {
  const int OH = p.OH(), OW = p.OW(), sw = SW > 0 ? SW : p.stride_w;
  for (int oh = 0; oh < OH; ++oh) {
    T* yrow = yp + oh * OW;
    int32_t* arow = ap + oh * OW;
    const int h0 = oh * p.stride_h;
    for (int ow = 0; ow < OW; ++ow) {
      arow[ow] = h0 * p.W + ow * sw;
      yrow[ow] = xp[arow[ow]];
    }
    for (int kh = 0; kh < p.KH; ++kh)
      for (int kw = (kh == 0 ? 1 : 0); kw < p.KW; ++kw) {
        const int32_t base = (h0 + kh) * p.W + kw;
        const T* r = xp + base;
#pragma omp simd
        for (int ow = 0; ow < OW; ++ow) {
          const T v = r[ow * sw];
          const T cur = yrow[ow];
          // The index select as a bit mask (all ones where v wins): GCC
          // vectorizes this form, not an int ternary on a float compare.
          const int32_t wins = -int32_t(v > cur);
          yrow[ow] = v > cur ? v : cur;
          arow[ow] = (arow[ow] & ~wins) | ((base + ow * sw) & wins);
        }
      }
  }
}

template <class T>
void maxpool2d_forward(const Pool2dParams& p, const T* x, T* y, int32_t* argmax) {
  check_pool(p, "maxpool2d_forward");
  const int OH = p.OH(), OW = p.OW();
  const int64_t planes = int64_t(p.N) * p.C;
  const int threads = planes * p.H * p.W < 16384 ? 1 : num_threads();
  const bool unpadded = p.pad_h == 0 && p.pad_w == 0;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* xp = x + pl * p.H * p.W;
    T* yp = y + pl * OH * OW;
    int32_t* ap = argmax + pl * OH * OW;
    if (unpadded) {
      if (p.stride_w == 2) {
        pool_row_sweep<T, 2>(p, xp, yp, ap);
      } else if (p.stride_w == 1) {
        pool_row_sweep<T, 1>(p, xp, yp, ap);
      } else {
        pool_row_sweep<T, 0>(p, xp, yp, ap);
      }
      continue;
    }
    for (int oh = 0; oh < OH; ++oh) {
      const int h0 = oh * p.stride_h - p.pad_h;
      const int kh0 = std::max(0, -h0), kh1 = std::min(p.KH, p.H - h0);
      for (int ow = 0; ow < OW; ++ow) {
        const int w0 = ow * p.stride_w - p.pad_w;
        const int kw0 = std::max(0, -w0), kw1 = std::min(p.KW, p.W - w0);
        // Start at the first real cell; a strictly greater value replaces
        // it (selects, not branches: random data defeats branch prediction).
        int32_t best = (h0 + kh0) * p.W + (w0 + kw0);
        T best_v = xp[best];
        for (int kh = kh0; kh < kh1; ++kh) {
          const T* row = xp + (h0 + kh) * p.W + w0;
          for (int kw = kw0; kw < kw1; ++kw) {
            const T v = row[kw];
            const bool greater = v > best_v;
            best_v = greater ? v : best_v;
            best = greater ? (h0 + kh) * p.W + (w0 + kw) : best;
          }
        }
        // pad < kernel (checked) guarantees every window holds a real cell.
        yp[oh * OW + ow] = best_v;
        ap[oh * OW + ow] = best;
      }
    }
  }
}

template <class T>
void maxpool2d_backward(const Pool2dParams& p, const T* dy, const int32_t* argmax, T* dx) {
  check_pool(p, "maxpool2d_backward");
  const int64_t out_plane = int64_t(p.OH()) * p.OW(), in_plane = int64_t(p.H) * p.W;
  const int64_t planes = int64_t(p.N) * p.C;
  const int threads = planes * in_plane < 16384 ? 1 : num_threads();
  // Overlapping windows may route several dy to one cell; within a plane the
  // sum runs in output order, so the result is deterministic.
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t pl = 0; pl < planes; ++pl) {
    T* dxp = dx + pl * in_plane;
    std::fill(dxp, dxp + in_plane, T(0));
    const T* dyp = dy + pl * out_plane;
    const int32_t* ap = argmax + pl * out_plane;
    for (int64_t o = 0; o < out_plane; ++o)
      if (ap[o] >= 0) dxp[ap[o]] += dyp[o];
  }
}

template void maxpool2d_forward<float>(const Pool2dParams&, const float*, float*, int32_t*);
template void maxpool2d_forward<double>(const Pool2dParams&, const double*, double*, int32_t*);
template void maxpool2d_backward<float>(const Pool2dParams&, const float*, const int32_t*, float*);
template void maxpool2d_backward<double>(const Pool2dParams&, const double*, const int32_t*,
                                         double*);

}  // namespace convnet::cpu
