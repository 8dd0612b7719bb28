// The whole cuda backend, not only its kernels, against the cpu backend:
// LeNet-5 training steps through the same Network/TrainState code.
//
// Emulated (test_gpu_emu) this runs every kernel of a training step through
// the SIMT emulator, the CUDA runtime stand-ins, Thrust on its CPP system and
// the cuBLAS stand-in (host BLAS with cuBLAS's exact arguments, so the
// row/column-major mapping is checked). On a real GPU it runs on the device.
//
// Bounds (see docs/testing.md):
//  - one step from identical weights: every tensor t (logits, each parameter
//    gradient) must satisfy max|gpu - cpu| <= K_t * u * max|cpu|, where u =
//    2^-24 is float's unit roundoff and K_t the longest chain of additions
//    that produced t: the forward reductions (C1 25, C3 150, C5 400, F6 120,
//    F7 84 = 779), the same chain backwards, plus the weight-gradient
//    reduction over batch and positions (N*OH*OW <= 8*28*28 = 6272). So
//    K = 779 + 779 + 6272 = 7830 for the gradients and 779 for the logits.
//  - free-running steps: the trajectories separate where a ReLU or max-pool
//    decision flips on a rounding difference; the per-step loss difference is
//    held to a band measured on this test (docs/testing.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "convnet/backend.h"
#include "convnet/cuda_backend.h"
#include "convnet/graph.h"
#include "convnet/model.h"
#include "convnet/rng.h"
#include "convnet/training.h"
#include "lenet_fixture.h"

namespace convnet {
namespace {

using test::lenet;
using test::synthetic_digits;
using test::free_running_losses;

constexpr double kUnitRoundoff = 5.9604644775390625e-08;  // 2^-24

#define SKIP_WITHOUT_CUDA_DEVICE()                                           \
  do {                                                                       \
    const std::string why = cuda_device_unavailable_reason();                \
    if (!why.empty()) GTEST_SKIP() << "no usable CUDA device: " << why;      \
  } while (0)


double max_abs(const std::vector<float>& v, size_t begin, size_t end) {
  double m = 0;
  for (size_t i = begin; i < end; ++i) m = std::max(m, double(std::fabs(v[i])));
  return m;
}

TEST(CudaEndToEnd, OneStepFromIdenticalWeightsMatchesCpu) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const int B = 8;
  auto cpu = make_cpu_backend(BackendOptions{1});
  auto gpu = make_cuda_backend(BackendOptions{});
  Network a(lenet(), B, *cpu), b(lenet(), B, *gpu);
  const std::vector<float> w0 = initial_params(a, "he-normal", 11);
  a.upload_params(w0);
  b.upload_params(w0);
  const Dataset d = synthetic_digits(B, 5);
  for (Network* net : {&a, &b}) {
    net->backend().upload(net->input(), d.images.data(), d.images.size() * sizeof(float));
    net->backend().upload(net->labels(), d.labels.data(), d.labels.size() * sizeof(int32_t));
  }
  float* loss_a = static_cast<float*>(cpu->alloc_bytes(sizeof(float)));
  float* loss_b = static_cast<float*>(gpu->alloc_bytes(sizeof(float)));
  a.forward(B); a.loss(B, loss_a, nullptr, nullptr, 0); a.backward(B);
  b.forward(B); b.loss(B, loss_b, nullptr, nullptr, 0); b.backward(B);

  std::vector<float> logits_a(size_t(B) * 10), logits_b(logits_a.size());
  cpu->download(logits_a.data(), a.logits(), logits_a.size() * sizeof(float));
  gpu->download(logits_b.data(), b.logits(), logits_b.size() * sizeof(float));
  const double logit_bound = 779 * kUnitRoundoff * max_abs(logits_a, 0, logits_a.size());
  for (size_t i = 0; i < logits_a.size(); ++i)
    EXPECT_NEAR(logits_b[i], logits_a[i], logit_bound) << "logit " << i;

  float la = 0, lb = 0;
  cpu->download(&la, loss_a, sizeof(float));
  gpu->download(&lb, loss_b, sizeof(float));
  EXPECT_NEAR(lb, la, 800 * kUnitRoundoff * std::max(1.0f, std::fabs(la)));

  std::vector<float> ga(size_t(a.param_count())), gb(ga.size());
  cpu->download(ga.data(), a.grads(), ga.size() * sizeof(float));
  gpu->download(gb.data(), b.grads(), gb.size() * sizeof(float));
  for (const ParamSlice& s : a.param_slices()) {
    const size_t lo = size_t(s.offset), hi = size_t(s.offset + s.count);
    const double bound = 7830 * kUnitRoundoff * max_abs(ga, lo, hi);
    double worst = 0;
    size_t worst_i = lo;
    for (size_t i = lo; i < hi; ++i) {
      ASSERT_TRUE(std::isfinite(gb[i])) << s.name << " element " << i - lo << " is not finite";
      const double diff = std::fabs(double(gb[i]) - double(ga[i]));
      if (diff > worst) { worst = diff; worst_i = i; }
    }
    EXPECT_LE(worst, bound) << s.name << ": worst element " << worst_i - lo << " gpu " << gb[worst_i] << " cpu "
                            << ga[worst_i] << " (bound " << bound << ")";
  }
  cpu->free_bytes(loss_a);
  gpu->free_bytes(loss_b);
}

// The measured band: per-step |loss_gpu - loss_cpu| <= kBandAbs + kBandRel * loss_cpu.
// Measured on this test (emulated): see docs/testing.md for the numbers.
constexpr double kBandAbs = 2e-4;
constexpr double kBandRel = 2e-3;


TEST(CudaEndToEnd, FiftyFreeRunningStepsTrackTheCpu) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const int B = 8, steps = 50;
  auto cpu = make_cpu_backend(BackendOptions{1});
  auto gpu = make_cuda_backend(BackendOptions{});
  const std::vector<float> lc = free_running_losses(*cpu, steps, B);
  const std::vector<float> lg = free_running_losses(*gpu, steps, B);
  ASSERT_EQ(lc.size(), size_t(steps));
  ASSERT_EQ(lg.size(), size_t(steps));
  double worst = 0;
  for (int s = 0; s < steps; ++s) {
    const double diff = std::fabs(double(lg[size_t(s)]) - double(lc[size_t(s)]));
    worst = std::max(worst, diff);
    EXPECT_LE(diff, kBandAbs + kBandRel * lc[size_t(s)]) << "step " << s + 1 << ": gpu " << lg[size_t(s)]
                                                         << " cpu " << lc[size_t(s)];
  }
  std::printf("50 free-running LeNet-5 steps: worst |loss_gpu - loss_cpu| = %.3g (first loss %.4f, last %.4f)\n",
              worst, lc.front(), lc.back());
  EXPECT_LT(lc.back(), lc.front()) << "the run should learn, or the comparison proves little";
}

TEST(CudaEndToEnd, TrainingLoopDoesNotAllocateOrSync) {
  SKIP_WITHOUT_CUDA_DEVICE();
  auto gpu = make_cuda_backend(BackendOptions{});
  Network net(lenet(), 8, *gpu);
  net.upload_params(initial_params(net, "he-normal", 1));
  DeviceDataset train(*gpu, synthetic_digits(64, 2));
  DeviceDataset val(*gpu, synthetic_digits(16, 3));
  TrainState state(net, train, &val, 16);
  const int64_t before = gpu->allocation_count();
  TrainOptions opt;
  state.run_epoch(1, opt);
  state.run_epoch(2, opt);
  EXPECT_EQ(gpu->allocation_count(), before) << "the training loop allocated device memory";
}

TEST(CudaEndToEnd, SameSeedSameLossesBitForBit) {
  SKIP_WITHOUT_CUDA_DEVICE();
  // A whole epoch through TrainState: device shuffle, gather, steps.
  auto epoch_losses = [](Backend& be) {
    Network net(lenet(), 8, be);
    net.upload_params(initial_params(net, "he-normal", 4));
    DeviceDataset train(be, synthetic_digits(96, 6));
    TrainState state(net, train, nullptr, 0);
    TrainOptions opt;
    opt.seed = 17;
    return state.run_epoch(1, opt).step_losses;
  };
  auto g1 = make_cuda_backend(BackendOptions{});
  auto g2 = make_cuda_backend(BackendOptions{});
  const auto a = epoch_losses(*g1);
  const auto b = epoch_losses(*g2);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
}

}  // namespace
}  // namespace convnet
