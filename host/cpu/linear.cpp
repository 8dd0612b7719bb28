// host/cpu/linear.cpp: fully connected layer, y = x W^T + b.
//
// Three GEMMs (row-major):  y[N,out] = x[N,in] * W[out,in]^T
//                           dx[N,in] = dy[N,out] * W[out,in]
//                           dW[out,in] = dy[N,out]^T * x[N,in]
// each split over the rows of its result (gemm_parallel_rows), so every
// element is reduced in the same order whatever the thread count.
#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "cpu_internal.h"

namespace convnet::cpu {

static void check_linear(const LinearParams& p, const char* op) {
  CONVNET_CHECK(p.N > 0 && p.in > 0 && p.out > 0, op, ": invalid linear shape N=", p.N,
                " in=", p.in, " out=", p.out);
}

template <class T>
void linear_forward(const LinearParams& p, const T* x, const T* W, const T* b, T* y) {
  check_linear(p, "linear_forward");
  // Start from the bias, accumulate x W^T on top.
  for (int n = 0; n < p.N; ++n)
    for (int o = 0; o < p.out; ++o) y[int64_t(n) * p.out + o] = (p.has_bias && b) ? b[o] : T(0);
  detail::gemm_parallel_rows(false, true, p.N, p.out, p.in, T(1), x, p.in, W, p.in, T(1), y,
                             p.out);
}

template <class T>
void linear_backward(const LinearParams& p, const T* x, const T* W, const T* dy, T* dx, T* dW,
                     T* db) {
  check_linear(p, "linear_backward");
  if (dx != nullptr)
    detail::gemm_parallel_rows(false, false, p.N, p.in, p.out, T(1), dy, p.out, W, p.in, T(0), dx,
                               p.in);
  detail::gemm_parallel_rows(true, false, p.out, p.in, p.N, T(1), dy, p.out, x, p.in, T(0), dW,
                             p.in);
  if (p.has_bias && db != nullptr) {
    // db[o] = sum_n dy[n, o], summed in sample order.
    for (int o = 0; o < p.out; ++o) db[o] = T(0);
    for (int n = 0; n < p.N; ++n)
      for (int o = 0; o < p.out; ++o) db[o] += dy[int64_t(n) * p.out + o];
  }
}

template void linear_forward<float>(const LinearParams&, const float*, const float*, const float*,
                                    float*);
template void linear_forward<double>(const LinearParams&, const double*, const double*,
                                     const double*, double*);
template void linear_backward<float>(const LinearParams&, const float*, const float*, const float*,
                                     float*, float*, float*);
template void linear_backward<double>(const LinearParams&, const double*, const double*,
                                      const double*, double*, double*, double*);

}  // namespace convnet::cpu
