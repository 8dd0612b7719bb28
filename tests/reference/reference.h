// tests/reference/reference.h: naive double-precision reference ops.
//
// Each function is the op's definition written as plain nested loops, with
// no tricks and no code shared with host/cpu, so it is obviously correct and
// is what the optimized backends are measured against. Layouts and
// semantics are those of op_params.h / cpu_ops.h. Backward functions
// overwrite their outputs. Namespace convnet::ref.
#pragma once

#include <cstdint>

#include "convnet/op_params.h"

namespace convnet::ref {

// y[n,co,oh,ow] = b[co] + sum_{ci,kh,kw} x[n,ci,ih,iw] * w[co,ci,kh,kw],
// ih = oh*stride_h - pad_h + kh*dil_h (likewise iw); out-of-range x is 0.
// b may be null when !p.has_bias.
void conv2d_forward(const Conv2dParams& p, const double* x, const double* w, const double* b,
                    double* y);
// dx[n,ci,ih,iw] = sum over every (co,oh,ow,kh,kw) that read x[n,ci,ih,iw] of dy * w.
void conv2d_backward_data(const Conv2dParams& p, const double* dy, const double* w, double* dx);
// dw[co,ci,kh,kw] = sum_{n,oh,ow} dy[n,co,oh,ow] * x[n,ci,ih,iw];
// db[co] = sum_{n,oh,ow} dy[n,co,oh,ow] (db may be null when !p.has_bias).
void conv2d_backward_weights(const Conv2dParams& p, const double* x, const double* dy, double* dw,
                             double* db);

// Max over each window; padded cells never win; ties: first in row-major
// window order. argmax = ih*W + iw (nullable).
void maxpool2d_forward(const Pool2dParams& p, const double* x, double* y, int32_t* argmax);
// Recomputes the winners from x (independently of any argmax array) and
// routes dy to them.
void maxpool2d_backward(const Pool2dParams& p, const double* x, const double* dy, double* dx);

void relu_forward(int64_t n, const double* x, double* y);
// dx = dy where y > 0, else 0.
void relu_backward(int64_t n, const double* y, const double* dy, double* dx);

// y[n,o] = b[o] + sum_i x[n,i] * W[o,i]   (b nullable when !p.has_bias)
void linear_forward(const LinearParams& p, const double* x, const double* W, const double* b,
                    double* y);
// dx[n,i] = sum_o dy[n,o] W[o,i] (dx nullable); dW[o,i] = sum_n dy[n,o] x[n,i];
// db[o] = sum_n dy[n,o] (nullable).
void linear_backward(const LinearParams& p, const double* x, const double* W, const double* dy,
                     double* dx, double* dW, double* db);

// Mean over the batch of -log softmax(logits_n)[label_n]; dlogits (nullable)
// = (softmax - onehot) / N; correct (nullable) = argmax == label, first max wins.
double softmax_ce(int N, int K, const double* logits, const int32_t* labels, double* dlogits,
                  int32_t* correct);

// v = momentum*v + (g + wd*w); w -= lr*v (v unused when momentum == 0: w -= lr*(g + wd*w)).
void sgd_update(const SgdParams& s, int64_t n, double* w, const double* g, double* v);

}  // namespace convnet::ref
