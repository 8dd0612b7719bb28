// host/cpu/relu.cpp: ReLU forward and backward (elementwise).
#include "convnet/cpu_ops.h"

namespace convnet::cpu {

// Elementwise loops are memory bound; threads help only for big arrays.
// The loops are written as selects (no data-dependent branch: on random
// signs a branch mispredicts half the time) and marked simd for -O2.
static int elementwise_threads(int64_t n) { return n < (1 << 16) ? 1 : num_threads(); }

template <class T>
void relu_forward(int64_t n, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) num_threads(elementwise_threads(n))
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[i];
    y[i] = v > T(0) ? v : T(0);
  }
}

// Uses the OUTPUT y: where y > 0 the input was > 0. At exactly 0 the
// gradient is 0 (the subgradient every backend agrees on).
template <class T>
void relu_backward(int64_t n, const T* y, const T* dy, T* dx) {
#pragma omp parallel for simd schedule(static) num_threads(elementwise_threads(n))
  for (int64_t i = 0; i < n; ++i) {
    const T g = dy[i];  // loaded unconditionally: a select, not a branch
    dx[i] = y[i] > T(0) ? g : T(0);
  }
}

template void relu_forward<float>(int64_t, const float*, float*);
template void relu_forward<double>(int64_t, const double*, double*);
template void relu_backward<float>(int64_t, const float*, const float*, float*);
template void relu_backward<double>(int64_t, const double*, const double*, double*);

}  // namespace convnet::cpu
