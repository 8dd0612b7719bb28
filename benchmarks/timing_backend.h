// benchmarks/timing_backend.h: a Backend that forwards every call to another
// one and times each op call: the instrumented pass of the end-to-end bench.
//
// Each op is bracketed by synchronize() on the inner backend, so its time is
// the op alone (on a GPU: the kernels plus one launch, since the op is
// repeated `repeats` times between the two synchronizes and averaged, which
// hides the launch+sync latency just as back-to-back launches do in the
// uninstrumented step). Repeating is safe because every op overwrites its
// outputs from inputs it does not modify; sgd_update is the exception
// (it updates w in place) and always runs once.
//
// The records of the last step are kept in call order; a step starts at each
// gather() (the first call of a training step in TrainState::run_epoch).
#pragma once

#include <string>
#include <vector>

#include "convnet/backend.h"

namespace convnet::bench {

struct OpCall {
  std::string op;                // "conv2d_forward", ...
  std::vector<double> seconds;   // one per recorded step
};

class TimingBackend final : public Backend {
 public:
  TimingBackend(Backend& inner, int repeats) : in_(inner), repeats_(repeats < 1 ? 1 : repeats) {}

  // Per-call-site times of every recorded step, in call order; the number
  // of steps recorded (gather() calls since reset()); whether every step
  // made the same sequence of calls. Calls before the first gather() are
  // not recorded.
  const std::vector<OpCall>& calls() const { return calls_; }
  int steps() const { return steps_; }
  bool consistent() const { return consistent_; }
  void reset() { calls_.clear(); steps_ = 0; pos_ = 0; consistent_ = true; }

  BackendKind kind() const override { return in_.kind(); }
  std::string name() const override { return in_.name() + "+timing"; }
  std::map<std::string, std::string> provenance() const override { return in_.provenance(); }

  void* alloc_bytes(size_t bytes) override;
  void free_bytes(void* p) override;
  void upload(void* dst, const void* src, size_t bytes) override { in_.upload(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { in_.download(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { in_.copy(dst, src, bytes); }
  void zero(void* dst, size_t bytes) override { in_.zero(dst, bytes); }
  void synchronize() override { in_.synchronize(); }

  size_t conv2d_workspace_bytes(const Conv2dParams& p) override { return in_.conv2d_workspace_bytes(p); }
  void conv2d_forward(const Conv2dParams& p, const float* x, const float* w, const float* b, float* y,
                      void* ws) override;
  void conv2d_backward_data(const Conv2dParams& p, const float* dy, const float* w, float* dx, void* ws) override;
  void conv2d_backward_weights(const Conv2dParams& p, const float* x, const float* dy, float* dw, float* db,
                               void* ws) override;
  void maxpool2d_forward(const Pool2dParams& p, const float* x, float* y, int32_t* argmax) override;
  void maxpool2d_backward(const Pool2dParams& p, const float* dy, const int32_t* argmax, float* dx) override;
  // The plan-time hooks go straight through, so the instrumented pass runs
  // the very ops training runs (cudnn: pool backward from x and y).
  void plan_conv2d(const std::string& layer, const Conv2dParams& p) override { in_.plan_conv2d(layer, p); }
  void plan_relu(const std::string& layer, int64_t n) override { in_.plan_relu(layer, n); }
  bool plan_maxpool2d(const std::string& layer, const Pool2dParams& p) override {
    return in_.plan_maxpool2d(layer, p);
  }
  void maxpool2d_backward_from_xy(const Pool2dParams& p, const float* x, const float* y, const float* dy,
                                  float* dx) override;
  void relu_forward(int64_t n, const float* x, float* y) override;
  void relu_backward(int64_t n, const float* y, const float* dy, float* dx) override;
  void linear_forward(const LinearParams& p, const float* x, const float* W, const float* b, float* y) override;
  void linear_backward(const LinearParams& p, const float* x, const float* W, const float* dy, float* dx,
                       float* dW, float* db) override;
  void softmax_ce(int N, int K, const float* logits, const int32_t* labels, float* dlogits, float* loss_out,
                  int32_t* correct, int32_t* first_bad_step, int32_t step) override;
  void sgd_update(const SgdParams& s, int64_t n, float* w, const float* g, float* v) override;
  void shuffle(int32_t* perm, int32_t n, uint64_t seed) override { in_.shuffle(perm, n, seed); }
  void gather(const float* images, const int32_t* labels, int64_t image_elems, const int32_t* perm,
              int64_t offset, int count, float* x, int32_t* y) override;
  double sum_f32(const float* p, int64_t n) override { return in_.sum_f32(p, n); }
  int64_t sum_i32(const int32_t* p, int64_t n) override { return in_.sum_i32(p, n); }

 private:
  // Runs f `times` times between two synchronizes and records the mean.
  template <class F>
  void timed(const char* op, int times, F f);

  Backend& in_;
  int repeats_;
  std::vector<OpCall> calls_;
  int steps_ = 0;
  size_t pos_ = 0;  // call index within the current step
  bool consistent_ = true;
};

}  // namespace convnet::bench
