// tests/gpu/test_ops.cpp: CUDA maxpool, relu, linear, softmax-CE and SGD against the CPU ops.
//
// Fresh random inputs per case, outputs poisoned before every run. Ops with
// no arithmetic (pool forward, argmax, relu) must match exactly; pool
// backward adds in the same order as the CPU, so it must match exactly too.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/random_fill.h"
#include "common/shape_grid.h"
#include "common/tolerance.h"
#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "gpu_test_util.h"
#if defined(CONVNET_SIMT)
#include "kernels.h"  // the emulated build can call a kernel launcher directly
#endif

namespace {

using namespace convnet;
using namespace convnet::test;

class CudaOps : public GpuTest {};

// ---- maxpool --------------------------------------------------------------------
void check_pool_case(Backend& be, const Pool2dParams& p, const std::vector<float>& x_host,
                     const std::vector<float>& dy_host) {
  std::vector<float> y_cpu(p.y_size()), dx_cpu(p.x_size());
  std::vector<int32_t> a_cpu(p.y_size());
  cpu::maxpool2d_forward(p, x_host.data(), y_cpu.data(), a_cpu.data());
  cpu::maxpool2d_backward(p, dy_host.data(), a_cpu.data(), dx_cpu.data());

  DeviceBuf<float> x(be, x_host), dy(be, dy_host), y(be, p.y_size()), dx(be, p.x_size());
  DeviceBuf<int32_t> a(be, p.y_size());
  y.poison(kNaNf);
  dx.poison(kNaNf);
  a.poison(kPoisonI32);
  be.maxpool2d_forward(p, x.get(), y.get(), a.get());
  be.maxpool2d_backward(p, dy.get(), a.get(), dx.get());
  const auto y_gpu = y.download(), dx_gpu = dx.download();
  const auto a_gpu = a.download();
  EXPECT_TRUE(check_equal("maxpool y", y_gpu.data(), y_cpu.data(), p.y_size()));
  EXPECT_TRUE(check_equal("maxpool argmax", a_gpu.data(), a_cpu.data(), p.y_size()));
  EXPECT_TRUE(check_equal("maxpool dx", dx_gpu.data(), dx_cpu.data(), p.x_size()));
}

TEST_F(CudaOps, MaxPoolGridMatchesCpu) {
  auto be = backend();
  const auto grid = pool_grid();
  ASSERT_GT(grid.size(), 5u);
  for (size_t i = 0; i < grid.size(); ++i) {
    const Pool2dParams& p = grid[i];
    SCOPED_TRACE(describe(p));
    Rng rng(case_seed(100 + i));
    check_pool_case(*be, p, random_vector<float>(p.x_size(), rng),
                    random_vector<float>(p.y_size(), rng));
    if (HasFailure()) break;
  }
}

// Ties everywhere: inputs drawn from {0, 1} (many equal maxima per window) and
// all-negative inputs with padding (a padded cell, if it counted as 0, would
// win). The first maximum in row-major window order must win.
TEST_F(CudaOps, MaxPoolTiesAndPadding) {
  auto be = backend();
  const auto grid = pool_grid();
  for (size_t i = 0; i < grid.size(); ++i) {
    const Pool2dParams& p = grid[i];
    SCOPED_TRACE(describe(p));
    Rng rng(case_seed(300 + i));
    std::vector<float> x(p.x_size()), negative(p.x_size());
    for (auto& v : x) v = float(rng.below(2));
    for (auto& v : negative) v = float(rng.uniform(-2.0, -1.0));
    const auto dy = random_vector<float>(p.y_size(), rng);
    check_pool_case(*be, p, x, dy);
    check_pool_case(*be, p, negative, dy);
    if (HasFailure()) break;
  }
  // Hand-checked: a constant 4x4 plane, 2x2 windows stride 2: each argmax is
  // the window's top-left cell.
  Pool2dParams p;
  p.H = p.W = 4;
  DeviceBuf<float> x(*be, std::vector<float>(16, 3.0f)), y(*be, 4);
  DeviceBuf<int32_t> a(*be, 4);
  a.poison(kPoisonI32);
  be->maxpool2d_forward(p, x.get(), y.get(), a.get());
  EXPECT_EQ(a.download(), (std::vector<int32_t>{0, 2, 8, 10}));
}

#if defined(CONVNET_SIMT)
// The argmax-from-output kernel (kernels/maxpool.cu), which the cuDNN backend
// runs after cudnnPoolingForward when a caller wants argmax: given the window
// maxima y, it must name the same cell as the forward kernel (first maximum
// in row-major order), ties and padding included. Emulated build only: the
// real-GPU build of this file cannot include the kernel header; on a GPU
// test_cudnn checks the kernel through the cuDNN backend.
TEST_F(CudaOps, ArgmaxFromOutputMatchesTheFirstMaxRule) {
  auto be = backend();
  const auto grid = pool_grid();
  for (size_t i = 0; i < grid.size(); ++i) {
    const Pool2dParams& p = grid[i];
    SCOPED_TRACE(describe(p));
    Rng rng(case_seed(400 + i));
    std::vector<float> ties(p.x_size()), negative(p.x_size());
    for (auto& v : ties) v = float(rng.below(2));
    for (auto& v : negative) v = float(rng.uniform(-2.0, -1.0));
    for (const auto* xh : {&ties, &negative}) {
      std::vector<float> y_cpu(p.y_size());
      std::vector<int32_t> a_cpu(p.y_size());
      cpu::maxpool2d_forward(p, xh->data(), y_cpu.data(), a_cpu.data());
      DeviceBuf<float> x(*be, *xh), y(*be, y_cpu);
      DeviceBuf<int32_t> a(*be, p.y_size());
      a.poison(kPoisonI32);
      cuda::maxpool2d_argmax_from_output(p, x.get(), y.get(), a.get(), nullptr);
      const auto a_gpu = a.download();
      EXPECT_TRUE(check_equal("argmax from output", a_gpu.data(), a_cpu.data(), p.y_size()));
    }
    if (HasFailure()) break;
  }
}
#endif

// ---- relu -------------------------------------------------------------------------
TEST_F(CudaOps, ReluMatchesCpuIncludingZero) {
  auto be = backend();
  for (int64_t n : {int64_t(1), int64_t(1000), int64_t(70001)}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    Rng rng(case_seed(500 + uint64_t(n)));
    auto x_host = random_vector<float>(n, rng);
    for (int64_t i = 0; i < n; i += 3) x_host[size_t(i)] = 0.0f;  // exact zeros: gradient 0
    const auto dy_host = random_vector<float>(n, rng);
    std::vector<float> y_cpu(n), dx_cpu(n);
    cpu::relu_forward(n, x_host.data(), y_cpu.data());
    cpu::relu_backward(n, y_cpu.data(), dy_host.data(), dx_cpu.data());
    DeviceBuf<float> x(*be, x_host), dy(*be, dy_host), y(*be, n), dx(*be, n);
    y.poison(kNaNf);
    dx.poison(kNaNf);
    be->relu_forward(n, x.get(), y.get());
    be->relu_backward(n, y.get(), dy.get(), dx.get());
    const auto y_gpu = y.download(), dx_gpu = dx.download();
    EXPECT_TRUE(check_equal("relu y", y_gpu.data(), y_cpu.data(), n));
    EXPECT_TRUE(check_equal("relu dx", dx_gpu.data(), dx_cpu.data(), n));
    EXPECT_EQ(dx_gpu[0], 0.0f) << "the gradient at exactly 0 must be 0";
  }
}

// ---- linear (cuBLAS + bias kernels) ------------------------------------------------------
void check_linear_case(Backend& be, const LinearParams& p, uint64_t seed, bool with_dx) {
  SCOPED_TRACE("linear N=" + std::to_string(p.N) + " in=" + std::to_string(p.in) +
               " out=" + std::to_string(p.out) + (p.has_bias ? " bias" : " no-bias") +
               (with_dx ? "" : " dx=null"));
  Rng rng(seed);
  const auto x_h = random_vector<float>(int64_t(p.N) * p.in, rng);
  const auto w_h = random_vector<float>(int64_t(p.out) * p.in, rng);
  const auto b_h = random_vector<float>(p.out, rng);
  const auto dy_h = random_vector<float>(int64_t(p.N) * p.out, rng);
  const int64_t ny = int64_t(p.N) * p.out, nx = int64_t(p.N) * p.in, nw = int64_t(p.out) * p.in;

  // CPU in double on the values and on their magnitudes.
  const auto xd = to_double(x_h), wd = to_double(w_h), bd = to_double(b_h), dyd = to_double(dy_h);
  std::vector<double> y_ref(ny), y_mag(ny), dx_ref(nx), dx_mag(nx), dw_ref(nw), dw_mag(nw),
      db_ref(p.out), db_mag(p.out);
  cpu::linear_forward(p, xd.data(), wd.data(), bd.data(), y_ref.data());
  cpu::linear_backward(p, xd.data(), wd.data(), dyd.data(), dx_ref.data(), dw_ref.data(), db_ref.data());
  const auto xa = abs_of(xd), wa = abs_of(wd), ba = abs_of(bd), dya = abs_of(dyd);
  cpu::linear_forward(p, xa.data(), wa.data(), ba.data(), y_mag.data());
  cpu::linear_backward(p, xa.data(), wa.data(), dya.data(), dx_mag.data(), dw_mag.data(), db_mag.data());

  DeviceBuf<float> x(be, x_h), w(be, w_h), b(be, b_h), dy(be, dy_h);
  DeviceBuf<float> y(be, ny), dx(be, nx), dw(be, nw), db(be, p.out);
  for (DeviceBuf<float>* o : {&y, &dx, &dw, &db}) o->poison(kNaNf);
  be.linear_forward(p, x.get(), w.get(), p.has_bias ? b.get() : nullptr, y.get());
  be.linear_backward(p, x.get(), w.get(), dy.get(), with_dx ? dx.get() : nullptr, dw.get(),
                     p.has_bias ? db.get() : nullptr);
  const auto y_g = y.download(), dx_g = dx.download(), dw_g = dw.download(), db_g = db.download();
  EXPECT_TRUE(check_close("linear y", y_g.data(), y_ref.data(), y_mag.data(), ny, p.in + 1));
  if (with_dx)
    EXPECT_TRUE(check_close("linear dx", dx_g.data(), dx_ref.data(), dx_mag.data(), nx, p.out));
  else
    for (float v : dx_g) ASSERT_TRUE(std::isnan(v)) << "dx=null must leave the buffer alone";
  EXPECT_TRUE(check_close("linear dW", dw_g.data(), dw_ref.data(), dw_mag.data(), nw, p.N));
  if (p.has_bias)
    EXPECT_TRUE(check_close("linear db", db_g.data(), db_ref.data(), db_mag.data(), p.out, p.N));
}

TEST_F(CudaOps, LinearMatchesCpu) {
  auto be = backend();
  const LinearParams cases[] = {
      {1, 1, 1, true},   {1, 84, 10, true},   {64, 400, 120, true}, {64, 120, 84, false},
      {7, 3, 300, true}, {33, 257, 65, true}, {2, 1000, 1, true},
  };
  uint64_t i = 700;
  for (const auto& p : cases) {
    check_linear_case(*be, p, case_seed(i++), true);
    if (HasFailure()) return;
  }
  check_linear_case(*be, {5, 16, 8, true}, case_seed(i++), false);
}

// ---- softmax cross-entropy --------------------------------------------------------------
struct SoftmaxGpu {
  float loss;
  std::vector<float> dlogits;
  std::vector<int32_t> correct;
  int32_t first_bad;
};

SoftmaxGpu run_softmax(Backend& be, int N, int K, const std::vector<float>& logits,
                       const std::vector<int32_t>& labels, int32_t first_bad_in, int32_t step) {
  DeviceBuf<float> l(be, logits), d(be, int64_t(N) * K), loss(be, 1);
  DeviceBuf<int32_t> lab(be, labels), corr(be, N), bad(be, std::vector<int32_t>{first_bad_in});
  d.poison(kNaNf);
  loss.poison(kNaNf);
  corr.poison(kPoisonI32);
  be.softmax_ce(N, K, l.get(), lab.get(), d.get(), loss.get(), corr.get(), bad.get(), step);
  return {loss.download()[0], d.download(), corr.download(), bad.download()[0]};
}

TEST_F(CudaOps, SoftmaxCrossEntropyMatchesCpu) {
  auto be = backend();
  const int shapes[][2] = {{1, 10}, {64, 10}, {37, 3}, {300, 17}, {5, 1}};
  uint64_t i = 800;
  for (const auto& s : shapes) {
    const int N = s[0], K = s[1];
    SCOPED_TRACE("N=" + std::to_string(N) + " K=" + std::to_string(K));
    Rng rng(case_seed(i++));
    const auto logits = random_vector<float>(int64_t(N) * K, rng, -8.0, 8.0);
    std::vector<int32_t> labels(N);
    fill_labels(labels.data(), N, K, rng);
    std::vector<double> d_ref(size_t(N) * K);
    std::vector<int32_t> c_ref(N);
    const double loss_ref = cpu::softmax_ce<double>(N, K, to_double(logits).data(), labels.data(),
                                                    d_ref.data(), c_ref.data());
    const SoftmaxGpu g = run_softmax(*be, N, K, logits, labels, -1, 5);
    // Per sample: max, a K-term sum of exps and a log; then a mean of N terms.
    // Loss magnitudes are O(|logits|), so bound with that scale.
    const double mag = 2.0 * (8.0 + std::log(double(K)) + 1.0);
    EXPECT_TRUE(check_close_mag_scalar("loss", &g.loss, &loss_ref, mag, 1, N + K, 4.0));
    EXPECT_TRUE(check_close_mag_scalar("dlogits", g.dlogits.data(), d_ref.data(), 1.0 / N,
                                       int64_t(N) * K, K, 4.0));
    EXPECT_TRUE(check_equal("correct", g.correct.data(), c_ref.data(), N));
    EXPECT_EQ(g.first_bad, -1) << "a finite loss must not set first_bad_step";
  }
}

// Ties: the first maximum is the prediction (as on the CPU).
TEST_F(CudaOps, SoftmaxCorrectFlagsUseFirstMaxOnTies) {
  auto be = backend();
  const int N = 4, K = 3;
  const std::vector<float> logits = {1, 1, 0,  // tie 0/1 -> predicts 0
                                     2, 5, 5,  // tie 1/2 -> predicts 1
                                     7, 7, 7,  // all tied -> predicts 0
                                     0, 0, 9};
  const std::vector<int32_t> labels = {1, 1, 0, 2};
  const SoftmaxGpu g = run_softmax(*be, N, K, logits, labels, -1, 0);
  EXPECT_EQ(g.correct, (std::vector<int32_t>{0, 1, 1, 1}));
  std::vector<int32_t> c_cpu(N);
  cpu::softmax_ce<float>(N, K, logits.data(), labels.data(), nullptr, c_cpu.data());
  EXPECT_EQ(g.correct, c_cpu);
}

// The non-finite flag: set to the step once, never overwritten, never set by a
// finite loss; inf/NaN logits and an out-of-range label all trip it.
TEST_F(CudaOps, SoftmaxNonFiniteLossSetsFirstBadStepOnce) {
  auto be = backend();
  const int N = 3, K = 4;
  const std::vector<int32_t> labels = {0, 1, 2};
  std::vector<float> finite = {0.5f, -1, 2, 0, 1, 1, 1, 1, -3, 0, 4, 2};
  EXPECT_EQ(run_softmax(*be, N, K, finite, labels, -1, 11).first_bad, -1);

  std::vector<float> with_nan = finite;
  with_nan[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(run_softmax(*be, N, K, with_nan, labels, -1, 12).first_bad, 12);
  EXPECT_EQ(run_softmax(*be, N, K, with_nan, labels, 3, 12).first_bad, 3)
      << "an earlier bad step must not be overwritten";

  std::vector<float> with_inf = finite;
  with_inf[0] = -std::numeric_limits<float>::infinity();  // the label-0 logit: loss = +inf
  const SoftmaxGpu g = run_softmax(*be, N, K, with_inf, labels, -1, 13);
  EXPECT_EQ(g.first_bad, 13);
  EXPECT_FALSE(std::isfinite(g.loss));

  const std::vector<int32_t> bad_labels = {0, 4, 2};  // 4 is outside [0, K)
  const SoftmaxGpu gl = run_softmax(*be, N, K, finite, bad_labels, -1, 14);
  EXPECT_EQ(gl.first_bad, 14);
  EXPECT_TRUE(std::isnan(gl.loss));
  EXPECT_EQ(gl.correct[1], 0);

  // Large but finite logits stay finite (log-sum-exp).
  std::vector<float> big = {1e30f, 0, 0, 0, 0, 3e38f, 0, 0, 0, 0, -3e38f, 0};
  const SoftmaxGpu gb = run_softmax(*be, N, K, big, labels, -1, 15);
  EXPECT_TRUE(std::isfinite(gb.loss)) << gb.loss;
  EXPECT_EQ(gb.first_bad, -1);
}

// ---- SGD ----------------------------------------------------------------------------------
TEST_F(CudaOps, SgdMatchesCpuWithMomentumAndWeightDecay) {
  auto be = backend();
  const SgdParams settings[] = {{0.1f, 0.0f, 0.0f}, {0.05f, 0.9f, 0.0f}, {0.01f, 0.9f, 5e-4f},
                                {0.2f, 0.0f, 1e-2f}};
  const int64_t n = 12345;
  uint64_t i = 900;
  for (const SgdParams& s : settings) {
    SCOPED_TRACE("lr=" + std::to_string(s.lr) + " momentum=" + std::to_string(s.momentum) +
                 " wd=" + std::to_string(s.weight_decay));
    Rng rng(case_seed(i++));
    auto w_cpu = random_vector<float>(n, rng);
    auto v_cpu = std::vector<float>(n, 0.0f);
    DeviceBuf<float> w(*be, w_cpu), g(*be, n), v(*be, v_cpu);
    for (int step = 0; step < 3; ++step) {
      const auto g_h = random_vector<float>(n, rng);
      g.upload(g_h);
      cpu::sgd_update(s, n, w_cpu.data(), g_h.data(), s.momentum != 0.0f ? v_cpu.data() : nullptr);
      be->sgd_update(s, n, w.get(), g.get(), s.momentum != 0.0f ? v.get() : nullptr);
    }
    // A handful of roundings per step (the GPU may fuse multiply-adds), over
    // 3 steps; magnitudes are O(1).
    std::vector<double> w_ref(w_cpu.begin(), w_cpu.end());
    const auto w_gpu = w.download();
    EXPECT_TRUE(check_close_mag_scalar("sgd w", w_gpu.data(), w_ref.data(), 2.0, n, 8, 2.0));
    if (s.momentum != 0.0f) {
      std::vector<double> v_ref(v_cpu.begin(), v_cpu.end());
      const auto v_gpu = v.download();
      EXPECT_TRUE(check_close_mag_scalar("sgd v", v_gpu.data(), v_ref.data(), 4.0, n, 8, 2.0));
    } else {
      for (float x : v.download()) ASSERT_EQ(x, 0.0f) << "momentum 0 must not touch v";
    }
  }
}

TEST_F(CudaOps, SgdMomentumWithoutVelocityThrows) {
  auto be = backend();
  DeviceBuf<float> w(*be, 4), g(*be, 4);
  try {
    be->sgd_update({0.1f, 0.9f, 0.0f}, 4, w.get(), g.get(), nullptr);
    FAIL() << "momentum SGD ran without a velocity buffer";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sgd_update"), std::string::npos) << e.what();
  }
}

}  // namespace
