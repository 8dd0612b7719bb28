// host/cpu/sgd.cpp: the SGD step over the flat parameter buffer.
#include "convnet/cpu_ops.h"

namespace convnet::cpu {

// g' = g + wd*w (L2 decay folded into the gradient);
// momentum == 0: w -= lr*g'   else: v = momentum*v + g'; w -= lr*v.
template <class T>
void sgd_update(const SgdParams& s, int64_t n, T* w, const T* g, T* v) {
  const T lr = T(s.lr), mom = T(s.momentum), wd = T(s.weight_decay);
  const int threads = n < (1 << 16) ? 1 : num_threads();
  if (s.momentum == 0.0f) {
#pragma omp parallel for simd schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
  } else {
#pragma omp parallel for simd schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; ++i) {
      v[i] = mom * v[i] + (g[i] + wd * w[i]);
      w[i] -= lr * v[i];
    }
  }
}

template void sgd_update<float>(const SgdParams&, int64_t, float*, const float*, float*);
template void sgd_update<double>(const SgdParams&, int64_t, double*, const double*, double*);

}  // namespace convnet::cpu
