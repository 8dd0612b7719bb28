// kernels/softmax_ce.cu: softmax + cross-entropy, forward and backward in one launch.
//
// For sample i with logits l[0..K):  m = max l,  s = sum exp(l - m),
//   loss_i = log(s) + m - l[label]             (log-sum-exp: no overflow)
//   dlogits[i, j] = (exp(l_j - m) / s - [j == label]) / N
//   correct[i] = (first argmax of l) == label
// and *loss_out = mean of loss_i. If that mean is not finite and
// *first_bad_step == -1, *first_bad_step = step: the trainer finds out which
// step went bad without a host sync per step.
// A label outside [0, K) cannot throw on the device: it makes loss_i NaN
// (and its dlogits row NaN), which the non-finite flag then reports.
//
// ONE block does everything: each thread handles samples tid, tid + 256, ...
// and adds its losses in that order; the block then combines the 256 partial
// sums with a fixed tree. Same order every run, so the loss is bit-for-bit
// reproducible, and there is no second launch or atomic. (N is a batch size:
// one block is plenty.)
#include "cuda_check.h"
#include "kernels.h"

namespace convnet::cuda {

constexpr int kSoftmaxThreads = 256;

__global__ void softmax_ce_kernel(int N, int K, const float* logits, const int32_t* labels,
                                  float* dlogits, float* loss_out, int32_t* correct,
                                  int32_t* first_bad_step, int32_t step) {
  __shared__ float partial[kSoftmaxThreads];
  const int tid = int(threadIdx.x);
  const float inv_n = 1.0f / float(N);
  float my_sum = 0.0f;
  for (int i = tid; i < N; i += kSoftmaxThreads) {
    const float* l = logits + int64_t(i) * K;
    const int label = labels[i];
    const bool label_ok = label >= 0 && label < K;
    float m = l[0];
    int arg = 0;
    for (int j = 1; j < K; ++j) {
      if (l[j] > m) {
        m = l[j];
        arg = j;
      }
    }
    float s = 0.0f;
    for (int j = 0; j < K; ++j) s += expf(l[j] - m);
    const float loss_i = label_ok ? logf(s) + m - l[label] : NAN;
    my_sum += loss_i;
    if (dlogits) {
      float* d = dlogits + int64_t(i) * K;
      for (int j = 0; j < K; ++j) {
        const float prob = expf(l[j] - m) / s;
        d[j] = label_ok ? (prob - (j == label ? 1.0f : 0.0f)) * inv_n : NAN;
      }
    }
    if (correct) correct[i] = (label_ok && arg == label) ? 1 : 0;
  }
  partial[tid] = my_sum;
  __syncthreads();
  for (int stride = kSoftmaxThreads / 2; stride > 0; stride /= 2) {
    if (tid < stride) partial[tid] += partial[tid + stride];
    __syncthreads();
  }
  if (tid == 0) {
    const float mean = partial[0] * inv_n;
    *loss_out = mean;
    if (first_bad_step && !isfinite(mean) && *first_bad_step == -1) *first_bad_step = step;
  }
}

void softmax_ce(int N, int K, const float* logits, const int32_t* labels, float* dlogits,
                float* loss_out, int32_t* correct, int32_t* first_bad_step, int32_t step,
                cudaStream_t stream) {
  CONVNET_CHECK(N > 0 && K > 0, "softmax_ce: need N > 0 and K > 0, got N=", N, " K=", K);
  cn_launch(softmax_ce_kernel, dim3(1), dim3(kSoftmaxThreads), 0, stream, N, K, logits, labels,
            dlogits, loss_out, correct, first_bad_step, step);
  CN_LAUNCH_CHECK("softmax_ce N=", N, " K=", K);
}

}  // namespace convnet::cuda
