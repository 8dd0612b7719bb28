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

template <class T>
void maxpool2d_forward(const Pool2dParams& p, const T* x, T* y, int32_t* argmax) {
  check_pool(p, "maxpool2d_forward");
  const int OH = p.OH(), OW = p.OW();
  const int64_t planes = int64_t(p.N) * p.C;
  const int threads = planes * p.H * p.W < 16384 ? 1 : num_threads();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* xp = x + pl * p.H * p.W;
    T* yp = y + pl * OH * OW;
    int32_t* ap = argmax + pl * OH * OW;
    for (int oh = 0; oh < OH; ++oh) {
      const int h0 = oh * p.stride_h - p.pad_h;
      const int kh0 = std::max(0, -h0), kh1 = std::min(p.KH, p.H - h0);
      for (int ow = 0; ow < OW; ++ow) {
        const int w0 = ow * p.stride_w - p.pad_w;
        const int kw0 = std::max(0, -w0), kw1 = std::min(p.KW, p.W - w0);
        int32_t best = -1;
        T best_v = T(0);
        for (int kh = kh0; kh < kh1; ++kh)
          for (int kw = kw0; kw < kw1; ++kw) {
            const int32_t idx = (h0 + kh) * p.W + (w0 + kw);
            const T v = xp[idx];
            if (best < 0 || v > best_v) best = idx, best_v = v;
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
