// host/cpu/softmax_ce.cpp: softmax cross-entropy, mean over the batch.
//
// Per sample, with m = max_k z_k (the prediction, first max on ties) and
// S = sum_k exp(z_k - m) (every term <= 1: no overflow, and S >= 1):
//   loss_n = (m - z_label) + log S      (= log sum_k exp z_k - z_label)
//   dz_k   = (exp(z_k - m) / S - [k == label]) / N
// Keeping m - z_label apart from log S avoids cancelling two large numbers.
// Samples are few (a batch) and K small, so this runs on one thread; the
// loss is summed in sample order, in double.
#include <cmath>

#include "convnet/cpu_ops.h"
#include "convnet/error.h"

namespace convnet::cpu {

template <class T>
T softmax_ce(int N, int K, const T* logits, const int32_t* labels, T* dlogits, int32_t* correct) {
  CONVNET_CHECK(N > 0 && K > 0, "softmax_ce: invalid shape N=", N, " K=", K);
  double total = 0.0;
  for (int n = 0; n < N; ++n) {
    const T* z = logits + int64_t(n) * K;
    const int32_t label = labels[n];
    CONVNET_CHECK(label >= 0 && label < K, "softmax_ce: label ", label, " of sample ", n,
                  " is outside [0, ", K, ")");
    int best = 0;
    for (int k = 1; k < K; ++k)
      if (z[k] > z[best]) best = k;
    const T m = z[best];
    T sum = 0;
    for (int k = 0; k < K; ++k) sum += std::exp(z[k] - m);
    total += double((m - z[label]) + std::log(sum));
    if (dlogits != nullptr) {
      T* d = dlogits + int64_t(n) * K;
      for (int k = 0; k < K; ++k) d[k] = (std::exp(z[k] - m) / sum - (k == label ? T(1) : T(0))) / T(N);
    }
    if (correct != nullptr) correct[n] = (best == label) ? 1 : 0;
  }
  return T(total / N);
}

template float softmax_ce<float>(int, int, const float*, const int32_t*, float*, int32_t*);
template double softmax_ce<double>(int, int, const double*, const int32_t*, double*, int32_t*);

}  // namespace convnet::cpu
