// tests/reference/reference.cpp: naive double-precision reference ops (see reference.h).
#include "reference/reference.h"

#include <cmath>
#include <limits>

namespace convnet::ref {

// x[n, c, h, w] of an NCHW tensor with C channels and H x W planes.
static inline int64_t at(int n, int c, int h, int w, int C, int H, int W) {
  return ((int64_t(n) * C + c) * H + h) * W + w;
}

void conv2d_forward(const Conv2dParams& p, const double* x, const double* w, const double* b,
                    double* y) {
  const int OH = p.OH(), OW = p.OW();
  for (int n = 0; n < p.N; ++n)
    for (int co = 0; co < p.C_out; ++co)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          double s = (p.has_bias && b != nullptr) ? b[co] : 0.0;
          for (int ci = 0; ci < p.C_in; ++ci)
            for (int kh = 0; kh < p.KH; ++kh)
              for (int kw = 0; kw < p.KW; ++kw) {
                const int ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
                const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
                if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
                s += x[at(n, ci, ih, iw, p.C_in, p.H, p.W)] *
                     w[at(co, ci, kh, kw, p.C_in, p.KH, p.KW)];
              }
          y[at(n, co, oh, ow, p.C_out, OH, OW)] = s;
        }
}

void conv2d_backward_data(const Conv2dParams& p, const double* dy, const double* w, double* dx) {
  const int OH = p.OH(), OW = p.OW();
  for (int64_t i = 0; i < p.x_size(); ++i) dx[i] = 0.0;
  for (int n = 0; n < p.N; ++n)
    for (int co = 0; co < p.C_out; ++co)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow)
          for (int ci = 0; ci < p.C_in; ++ci)
            for (int kh = 0; kh < p.KH; ++kh)
              for (int kw = 0; kw < p.KW; ++kw) {
                const int ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
                const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
                if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
                dx[at(n, ci, ih, iw, p.C_in, p.H, p.W)] +=
                    dy[at(n, co, oh, ow, p.C_out, OH, OW)] *
                    w[at(co, ci, kh, kw, p.C_in, p.KH, p.KW)];
              }
}

void conv2d_backward_weights(const Conv2dParams& p, const double* x, const double* dy, double* dw,
                             double* db) {
  const int OH = p.OH(), OW = p.OW();
  for (int64_t i = 0; i < p.w_size(); ++i) dw[i] = 0.0;
  if (p.has_bias && db != nullptr)
    for (int co = 0; co < p.C_out; ++co) db[co] = 0.0;
  for (int n = 0; n < p.N; ++n)
    for (int co = 0; co < p.C_out; ++co)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          const double g = dy[at(n, co, oh, ow, p.C_out, OH, OW)];
          if (p.has_bias && db != nullptr) db[co] += g;
          for (int ci = 0; ci < p.C_in; ++ci)
            for (int kh = 0; kh < p.KH; ++kh)
              for (int kw = 0; kw < p.KW; ++kw) {
                const int ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
                const int iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
                if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
                dw[at(co, ci, kh, kw, p.C_in, p.KH, p.KW)] +=
                    g * x[at(n, ci, ih, iw, p.C_in, p.H, p.W)];
              }
        }
}

// Index (ih*W + iw) of the first maximum of one pooling window; -1 if the
// window holds no real cell.
static int32_t window_argmax(const Pool2dParams& p, const double* plane, int oh, int ow) {
  int32_t best = -1;
  double best_v = 0.0;
  for (int kh = 0; kh < p.KH; ++kh)
    for (int kw = 0; kw < p.KW; ++kw) {
      const int ih = oh * p.stride_h - p.pad_h + kh;
      const int iw = ow * p.stride_w - p.pad_w + kw;
      if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;  // padding never wins
      const double v = plane[ih * p.W + iw];
      if (best < 0 || v > best_v) best = ih * p.W + iw, best_v = v;  // strict >: first max wins
    }
  return best;
}

void maxpool2d_forward(const Pool2dParams& p, const double* x, double* y, int32_t* argmax) {
  const int OH = p.OH(), OW = p.OW();
  for (int n = 0; n < p.N; ++n)
    for (int c = 0; c < p.C; ++c) {
      const double* plane = x + at(n, c, 0, 0, p.C, p.H, p.W);
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          const int32_t a = window_argmax(p, plane, oh, ow);
          const int64_t o = at(n, c, oh, ow, p.C, OH, OW);
          y[o] = a >= 0 ? plane[a] : -std::numeric_limits<double>::infinity();
          if (argmax != nullptr) argmax[o] = a;
        }
    }
}

void maxpool2d_backward(const Pool2dParams& p, const double* x, const double* dy, double* dx) {
  const int OH = p.OH(), OW = p.OW();
  for (int64_t i = 0; i < p.x_size(); ++i) dx[i] = 0.0;
  for (int n = 0; n < p.N; ++n)
    for (int c = 0; c < p.C; ++c) {
      const int64_t base = at(n, c, 0, 0, p.C, p.H, p.W);
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          const int32_t a = window_argmax(p, x + base, oh, ow);
          if (a >= 0) dx[base + a] += dy[at(n, c, oh, ow, p.C, OH, OW)];
        }
    }
}

void relu_forward(int64_t n, const double* x, double* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0 ? x[i] : 0.0;
}

void relu_backward(int64_t n, const double* y, const double* dy, double* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > 0.0 ? dy[i] : 0.0;
}

void linear_forward(const LinearParams& p, const double* x, const double* W, const double* b,
                    double* y) {
  for (int n = 0; n < p.N; ++n)
    for (int o = 0; o < p.out; ++o) {
      double s = (p.has_bias && b != nullptr) ? b[o] : 0.0;
      for (int i = 0; i < p.in; ++i) s += x[int64_t(n) * p.in + i] * W[int64_t(o) * p.in + i];
      y[int64_t(n) * p.out + o] = s;
    }
}

void linear_backward(const LinearParams& p, const double* x, const double* W, const double* dy,
                     double* dx, double* dW, double* db) {
  if (dx != nullptr)
    for (int n = 0; n < p.N; ++n)
      for (int i = 0; i < p.in; ++i) {
        double s = 0.0;
        for (int o = 0; o < p.out; ++o) s += dy[int64_t(n) * p.out + o] * W[int64_t(o) * p.in + i];
        dx[int64_t(n) * p.in + i] = s;
      }
  for (int o = 0; o < p.out; ++o)
    for (int i = 0; i < p.in; ++i) {
      double s = 0.0;
      for (int n = 0; n < p.N; ++n) s += dy[int64_t(n) * p.out + o] * x[int64_t(n) * p.in + i];
      dW[int64_t(o) * p.in + i] = s;
    }
  if (p.has_bias && db != nullptr)
    for (int o = 0; o < p.out; ++o) {
      double s = 0.0;
      for (int n = 0; n < p.N; ++n) s += dy[int64_t(n) * p.out + o];
      db[o] = s;
    }
}

double softmax_ce(int N, int K, const double* logits, const int32_t* labels, double* dlogits,
                  int32_t* correct) {
  double total = 0.0;
  for (int n = 0; n < N; ++n) {
    const double* z = logits + int64_t(n) * K;
    // log-sum-exp around the maximum, which is also the prediction.
    int best = 0;
    for (int k = 1; k < K; ++k)
      if (z[k] > z[best]) best = k;
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += std::exp(z[k] - z[best]);
    const double log_z = z[best] + std::log(sum);
    total += log_z - z[labels[n]];
    if (dlogits != nullptr)
      for (int k = 0; k < K; ++k)
        dlogits[int64_t(n) * K + k] =
            (std::exp(z[k] - log_z) - (k == labels[n] ? 1.0 : 0.0)) / double(N);
    if (correct != nullptr) correct[n] = (best == labels[n]) ? 1 : 0;
  }
  return total / double(N);
}

void sgd_update(const SgdParams& s, int64_t n, double* w, const double* g, double* v) {
  for (int64_t i = 0; i < n; ++i) {
    const double grad = g[i] + double(s.weight_decay) * w[i];
    if (s.momentum != 0.0f) {
      v[i] = double(s.momentum) * v[i] + grad;
      w[i] -= double(s.lr) * v[i];
    } else {
      w[i] -= double(s.lr) * grad;
    }
  }
}

}  // namespace convnet::ref
