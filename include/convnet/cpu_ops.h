// convnet/cpu_ops.h: the CPU reference-and-baseline ops, forward and backward.
//
// Every op is a function template instantiated for float (training) and
// double (finite-difference gradient checks), so one body of code is both
// the fast path and the thing we check gradients on.
//
// Conventions:
//  - Layouts as in op_params.h (NCHW, weights [C_out, C_in, KH, KW]).
//  - Backward functions OVERWRITE their outputs (dx, dw, db); they never
//    accumulate into what was there.
//  - `ws` is caller-owned scratch of at least conv2d_workspace_elems(p)
//    elements: the ops never allocate, so the training loop never does.
//  - Threading is OpenMP with static schedules, so results are bit-identical
//    for a given thread count (no reductions combined in arrival order).
#pragma once

#include <cstddef>
#include <cstdint>

#include "convnet/op_params.h"

namespace convnet::cpu {

// Threads used by the CPU ops (and by the BLAS they call). 0 = all cores.
void set_num_threads(int n);
int num_threads();

// ---- Conv2d (cross-correlation) -----------------------------------------
template <class T>
size_t conv2d_workspace_elems(const Conv2dParams& p);
template <class T>
void conv2d_forward(const Conv2dParams& p, const T* x, const T* w, const T* b, T* y, T* ws);
template <class T>
void conv2d_backward_data(const Conv2dParams& p, const T* dy, const T* w, T* dx, T* ws);
// db may be null when !p.has_bias.
template <class T>
void conv2d_backward_weights(const Conv2dParams& p, const T* x, const T* dy, T* dw, T* db, T* ws);

// ---- MaxPool2d ------------------------------------------------------------
// Tie rule (all backends): the FIRST maximum in row-major window order wins
// and alone receives the gradient. argmax holds h*W + w in the input plane.
template <class T>
void maxpool2d_forward(const Pool2dParams& p, const T* x, T* y, int32_t* argmax);
template <class T>
void maxpool2d_backward(const Pool2dParams& p, const T* dy, const int32_t* argmax, T* dx);

// ---- ReLU -------------------------------------------------------------------
// Backward uses the forward OUTPUT y: dx = dy where y > 0, else 0 (so the
// gradient at exactly 0 is 0).
template <class T>
void relu_forward(int64_t n, const T* x, T* y);
template <class T>
void relu_backward(int64_t n, const T* y, const T* dy, T* dx);

// ---- Linear: y[N,out] = x[N,in] * W[out,in]^T + b --------------------------
template <class T>
void linear_forward(const LinearParams& p, const T* x, const T* W, const T* b, T* y);
// dx may be null (first layer).
template <class T>
void linear_backward(const LinearParams& p, const T* x, const T* W, const T* dy, T* dx, T* dW,
                     T* db);

// ---- Softmax cross-entropy, mean over the batch ------------------------------
// Returns the mean loss. dlogits (nullable) gets d(mean loss)/d(logits).
// correct (nullable) gets 1 where argmax(logits) == label else 0 (first
// maximum wins ties).
template <class T>
T softmax_ce(int N, int K, const T* logits, const int32_t* labels, T* dlogits, int32_t* correct);

// ---- SGD --------------------------------------------------------------------
// v = momentum * v + (g + wd * w);  w -= lr * v   (v unused when momentum == 0)
template <class T>
void sgd_update(const SgdParams& s, int64_t n, T* w, const T* g, T* v);

}  // namespace convnet::cpu
