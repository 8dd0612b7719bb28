// benchmarks/timing_backend.cpp: the forwarding, timing Backend.
#include "timing_backend.h"

#include "bench_stats.h"

namespace convnet::bench {

template <class F>
void TimingBackend::timed(const char* op, int times, F f) {
  in_.synchronize();
  const double t0 = now_seconds();
  for (int i = 0; i < times; ++i) f();
  in_.synchronize();
  const double dt = (now_seconds() - t0) / times;
  if (steps_ == 0) return;  // outside a training step
  if (steps_ == 1) calls_.push_back({op, {}});  // the first step defines the sequence
  if (pos_ < calls_.size() && calls_[pos_].op == op) {
    calls_[pos_].seconds.push_back(dt);
  } else {
    consistent_ = false;
  }
  ++pos_;
}

void* TimingBackend::alloc_bytes(size_t bytes) {
  return in_.alloc_bytes(bytes);
}

void TimingBackend::free_bytes(void* p) { in_.free_bytes(p); }

void TimingBackend::conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* b,
                                   float* y, void* ws) {
  timed("conv2d_forward", repeats_, [&] { in_.conv2d_forward(p, x, w, b, y, ws); });
}
void TimingBackend::conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                                         void* ws) {
  timed("conv2d_backward_data", repeats_, [&] { in_.conv2d_backward_data(p, dy, w, dx, ws); });
}
void TimingBackend::conv2d_backward_weights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                                            float* db, void* ws) {
  timed("conv2d_backward_weights", repeats_, [&] { in_.conv2d_backward_weights(p, x, dy, dw, db, ws); });
}
void TimingBackend::maxpool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* argmax) {
  timed("maxpool2d_forward", repeats_, [&] { in_.maxpool2d_forward(p, x, y, argmax); });
}
void TimingBackend::maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax,
                                       float* dx) {
  timed("maxpool2d_backward", repeats_, [&] { in_.maxpool2d_backward(p, dy, argmax, dx); });
}
void TimingBackend::maxpool2d_backward_from_xy(const Pool2dParams& p, const float* x, const float* y,
                                               const float* dy, float* dx) {
  timed("maxpool2d_backward", repeats_, [&] { in_.maxpool2d_backward_from_xy(p, x, y, dy, dx); });
}
void TimingBackend::relu_forward(int64_t n, const float* x, float* y) {
  timed("relu_forward", repeats_, [&] { in_.relu_forward(n, x, y); });
}
void TimingBackend::relu_backward(int64_t n, const float* y, const float* dy, float* dx) {
  timed("relu_backward", repeats_, [&] { in_.relu_backward(n, y, dy, dx); });
}
void TimingBackend::linear_forward(const LinearParams& p, const float* x, const float* W, const float* b,
                                   float* y) {
  timed("linear_forward", repeats_, [&] { in_.linear_forward(p, x, W, b, y); });
}
void TimingBackend::linear_backward(const LinearParams& p, const float* x, const float* W, const float* dy,
                                    float* dx, float* dW, float* db) {
  timed("linear_backward", repeats_, [&] { in_.linear_backward(p, x, W, dy, dx, dW, db); });
}
void TimingBackend::softmax_ce(int N, int K, const float* logits, const int32_t* labels, float* dlogits,
                               float* loss_out, int32_t* correct, int32_t* first_bad_step, int32_t step) {
  timed("softmax_ce", repeats_,
        [&] { in_.softmax_ce(N, K, logits, labels, dlogits, loss_out, correct, first_bad_step, step); });
}
void TimingBackend::sgd_update(const SgdParams& s, int64_t n, float* w, const float* g, float* v) {
  timed("sgd_update", 1, [&] { in_.sgd_update(s, n, w, g, v); });
}
void TimingBackend::gather(const float* images, const int32_t* labels, int64_t image_elems, const int32_t* perm,
                           int64_t offset, int count, float* x, int32_t* y) {
  // A gather opens a training step.
  if (steps_ > 0 && pos_ != calls_.size()) consistent_ = false;
  ++steps_;
  pos_ = 0;
  timed("gather", repeats_, [&] { in_.gather(images, labels, image_elems, perm, offset, count, x, y); });
}

}  // namespace convnet::bench

