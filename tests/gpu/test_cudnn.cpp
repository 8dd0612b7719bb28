// tests/gpu/test_cudnn.cpp: the cuDNN backend (host/cudnn) against the CPU
// ops and against the hand-written CUDA kernels.
//
// Every cuDNN op on the shared shape grids (tests/common/shape_grid.h), with
// NaN-poisoned outputs so an element cuDNN never writes fails, compared with
// the CPU in float and in double (bounds from tests/common/tolerance.h) and
// with the hand-written kernels of the cuda backend; then LeNet-5 training
// steps against the CPU, the forced fallback, the deterministic flag, the
// memory plan cuDNN's pooling backward needs, and the error messages.
//
// Tolerances. A conv result from a summation algorithm (implicit GEMM, GEMM,
// direct, the backward ALGO_0/1/3) obeys the per-element bound of
// tolerance.h for any order of the sum. The transform algorithms (FFT,
// FFT_TILING, WINOGRAD, WINOGRAD_NONFUSED) do not: their rounding error is
// spread over the whole output, so for those the bound uses the largest
// magnitude of the tensor (normwise) with a factor kTransformSlack. Which
// algorithm ran is asked from the backend (cudnn_conv_algorithms).
//
// Max-pool ties. Our rule: the first maximum in row-major window order
// gets the gradient. cuDNN does not document which of several equal maxima
// its pooling backward picks. So the grid comparisons run on inputs without
// ties (distinct values: a shuffled ramp), where every rule agrees, and the
// tie test only checks what any correct rule must do: in each window exactly
// one cell holding the maximum receives dy, the others 0. The argmax our
// backend derives from cuDNN's output (maxpool2d_argmax_from_output) follows
// our rule exactly, ties included.
//
// ReLU. cuDNN's backward is given y in place of x (our interface has only
// y); the gradient at exactly 0 must be 0, as on the other backends.
//
// All of it needs a GPU: without one each test skips with the reason,
// except the two that check the messages a machine without a GPU gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "common/random_fill.h"
#include "common/scoped_env.h"
#include "common/shape_grid.h"
#include "common/tolerance.h"
#include "convnet/backend.h"
#include "convnet/cpu_ops.h"
#include "convnet/cuda_backend.h"
#include "convnet/cudnn_backend.h"
#include "convnet/error.h"
#include "convnet/graph.h"
#include "convnet/model.h"
#include "convnet/rng.h"
#include "convnet/training.h"
#include "cudnn_check.h"
#include "conv_oracle.h"
#include "gpu_test_util.h"
#include "lenet_fixture.h"

namespace {

using namespace convnet;
using namespace convnet::test;

constexpr double kUnitRoundoff = 5.9604644775390625e-08;  // 2^-24
constexpr double kTransformSlack = 16.0;

std::string gpu_unavailable() { return cuda_device_unavailable_reason(); }

class CudnnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = gpu_unavailable();
    if (!why.empty()) GTEST_SKIP() << "cuDNN backend tests skipped: " << why;
  }
  static std::unique_ptr<Backend> cudnn(bool deterministic = false) {
    BackendOptions opt;
    opt.deterministic = deterministic;
    return make_cudnn_backend(opt);
  }
  static std::unique_ptr<Backend> handwritten() { return make_cuda_backend(BackendOptions{}); }
};


bool is_transform(const std::string& algo) {
  return algo.find("FFT") != std::string::npos || algo.find("WINOGRAD") != std::string::npos;
}

double max_of(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, x);
  return m;
}

// got vs a double reference: per element for summation algorithms,
// normwise (largest magnitude, kTransformSlack) for transform algorithms.
::testing::AssertionResult close_for_algo(const std::string& algo, const char* what, const float* got,
                                          const std::vector<double>& ref, const std::vector<double>& mag,
                                          int64_t n, int64_t K) {
  if (!is_transform(algo)) return check_close(what, got, ref.data(), mag.data(), n, K);
  return check_close_mag_scalar(what, got, ref.data(), max_of(mag), n, K, kTransformSlack);
}
// got vs another float result (both rounded): the same with the bound doubled.
::testing::AssertionResult close_for_algo(const std::string& algo, const char* what, const float* got,
                                          const std::vector<float>& other, const std::vector<double>& mag,
                                          int64_t n, int64_t K) {
  if (!is_transform(algo)) return check_close(what, got, other.data(), mag.data(), n, K);
  const std::vector<double> od(other.begin(), other.end());
  return check_close_mag_scalar(what, got, od.data(), max_of(mag), n, K, 2 * kTransformSlack);
}

// ---- conv ---------------------------------------------------------------------------

// The reduction lengths of the three ops (+1 for the bias in the forward).
struct ConvK {
  int64_t fwd, bwd_data, bwd_w;
};
ConvK conv_k(const Conv2dParams& p) {
  return {p.K() + 1, int64_t(p.C_out) * p.KH * p.KW, int64_t(p.N) * p.OH() * p.OW()};
}

// cuDNN vs the CPU (float and double) and vs the hand-written kernels.
void expect_conv_matches(Backend& dnn, const Conv2dParams& p, const ConvOracle& o, const ConvResult& g,
                         const ConvResult& hand) {
  const CudnnConvAlgorithms a = cudnn_conv_algorithms(dnn, p);
  SCOPED_TRACE("cuDNN algorithms: forward " + (a.forward.empty() ? "fallback" : a.forward) +
               ", backward data " + (a.backward_data.empty() ? "fallback" : a.backward_data) +
               ", backward filter " + (a.backward_filter.empty() ? "fallback" : a.backward_filter));
  const ConvK k = conv_k(p);
  EXPECT_TRUE(close_for_algo(a.forward, "y vs cpu double", g.y.data(), o.y, o.y_mag, p.y_size(), k.fwd));
  EXPECT_TRUE(close_for_algo(a.forward, "y vs cpu float", g.y.data(), o.f.y, o.y_mag, p.y_size(), k.fwd));
  EXPECT_TRUE(close_for_algo(a.forward, "y vs hand-written", g.y.data(), hand.y, o.y_mag, p.y_size(), k.fwd));
  EXPECT_TRUE(close_for_algo(a.backward_data, "dx vs cpu double", g.dx.data(), o.dx, o.dx_mag, p.x_size(),
                             k.bwd_data));
  EXPECT_TRUE(close_for_algo(a.backward_data, "dx vs cpu float", g.dx.data(), o.f.dx, o.dx_mag, p.x_size(),
                             k.bwd_data));
  EXPECT_TRUE(close_for_algo(a.backward_data, "dx vs hand-written", g.dx.data(), hand.dx, o.dx_mag,
                             p.x_size(), k.bwd_data));
  EXPECT_TRUE(close_for_algo(a.backward_filter, "dw vs cpu double", g.dw.data(), o.dw, o.dw_mag, p.w_size(),
                             k.bwd_w));
  EXPECT_TRUE(close_for_algo(a.backward_filter, "dw vs cpu float", g.dw.data(), o.f.dw, o.dw_mag, p.w_size(),
                             k.bwd_w));
  EXPECT_TRUE(close_for_algo(a.backward_filter, "dw vs hand-written", g.dw.data(), hand.dw, o.dw_mag,
                             p.w_size(), k.bwd_w));
  if (p.has_bias) {
    // The bias gradient (cudnnConvolutionBackwardBias) is a plain sum.
    EXPECT_TRUE(check_close("db vs cpu double", g.db.data(), o.db.data(), o.db_mag.data(), p.C_out, k.bwd_w));
    EXPECT_TRUE(check_close("db vs cpu float", g.db.data(), o.f.db.data(), o.db_mag.data(), p.C_out, k.bwd_w));
    EXPECT_TRUE(check_close("db vs hand-written", g.db.data(), hand.db.data(), o.db_mag.data(), p.C_out,
                            k.bwd_w));
  }
}

bool check_conv_case(Backend& dnn, Backend& hand, const Conv2dParams& p, uint64_t seed) {
  SCOPED_TRACE(describe(p) + " seed=" + std::to_string(seed));
  const ConvInputs in = random_conv_inputs(p, seed);
  const ConvOracle o = cpu_oracle(p, in);
  const ConvResult g = gpu_conv_all(dnn, p, in);
  const ConvResult h = gpu_conv_all(hand, p, in);
  expect_conv_matches(dnn, p, o, g, h);
  return !::testing::Test::HasFailure();
}

class CudnnConv : public CudnnTest {};

TEST_F(CudnnConv, GridMatchesCpuAndHandWrittenKernels) {
  auto dnn = cudnn();
  auto hand = handwritten();
  const auto grid = conv_grid();
  ASSERT_GT(grid.size(), 10u);
  for (size_t i = 0; i < grid.size(); ++i) {
    Conv2dParams p = grid[i];
    if (small_mode()) {
      p.C_in = std::min(p.C_in, 8);
      p.C_out = std::min(p.C_out, 8);
    }
    if (!check_conv_case(*dnn, *hand, p, case_seed(15000 + i))) break;
  }
}

TEST_F(CudnnConv, LeNetLayersAndLargeChannels) {
  auto dnn = cudnn();
  auto hand = handwritten();
  const int big = small_mode() ? 4 : 64;
  std::vector<Conv2dParams> cases;
  for (int N : {1, big}) {
    cases.push_back({N, 1, 32, 32, 6, 5, 5});
    cases.push_back({N, 6, 14, 14, 16, 5, 5});
    cases.push_back({N, 16, 5, 5, 120, 5, 5});
  }
  if (!small_mode()) {
    Conv2dParams a{2, 256, 6, 7, 128, 3, 3};
    a.pad_h = a.pad_w = 1;
    Conv2dParams b{2, 3, 37, 29, 5, 3, 3};
    b.stride_h = 2, b.dil_w = 2, b.pad_w = 2, b.has_bias = false;
    cases.push_back(a);
    cases.push_back(b);
  }
  uint64_t i = 16000;
  for (const auto& p : cases)
    if (!check_conv_case(*dnn, *hand, p, case_seed(i++))) return;
}

TEST_F(CudnnConv, ProvenanceRecordsAlgorithmsMathModeAndVersion) {
  auto dnn = cudnn();
  Network net(load_model_file(std::string(CONVNET_SOURCE_DIR) + "/models/lenet5.net"), 8, *dnn);
  const auto prov = dnn->provenance();
  EXPECT_EQ(prov.at("backend"), "cudnn");
  EXPECT_EQ(prov.at("cudnn_math_mode"), "CUDNN_FMA_MATH");
  EXPECT_EQ(prov.at("cudnn_deterministic"), "no");
  ASSERT_TRUE(prov.count("cudnn_version"));
  EXPECT_EQ(prov.at("cudnn_version").substr(0, 2), "9.");
  for (const char* layer : {"C1", "C3", "C5"})
    for (const char* op : {"forward", "backward_data", "backward_filter"}) {
      const std::string key = std::string("cudnn_algo.") + layer + "." + op;
      ASSERT_TRUE(prov.count(key)) << "provenance lacks " << key;
      EXPECT_FALSE(prov.at(key).empty()) << key;
    }
}

// --deterministic: every chosen algorithm is deterministic, and a step's
// gradients are bit-identical run to run.
TEST_F(CudnnConv, DeterministicFlagChoosesDeterministicAlgorithms) {
  auto dnn = cudnn(/*deterministic=*/true);
  const std::vector<Conv2dParams> cases = {{8, 1, 32, 32, 6, 5, 5}, {8, 6, 14, 14, 16, 5, 5},
                                           {8, 16, 5, 5, 120, 5, 5}, {3, 4, 9, 9, 5, 3, 3}};
  uint64_t i = 17000;
  for (const Conv2dParams& p : cases) {
    SCOPED_TRACE(describe(p));
    const ConvInputs in = random_conv_inputs(p, case_seed(i++));
    const ConvResult a = gpu_conv_all(*dnn, p, in);
    const ConvResult b = gpu_conv_all(*dnn, p, in);
    EXPECT_TRUE(check_equal("y twice", a.y.data(), b.y.data(), p.y_size()));
    EXPECT_TRUE(check_equal("dx twice", a.dx.data(), b.dx.data(), p.x_size()));
    EXPECT_TRUE(check_equal("dw twice", a.dw.data(), b.dw.data(), p.w_size()));
    EXPECT_TRUE(check_equal("db twice", a.db.data(), b.db.data(), p.C_out));
    const ConvOracle o = cpu_oracle(p, in);
    expect_conv_matches(*dnn, p, o, a, gpu_conv_all(*handwritten(), p, in));
  }
  const auto prov = dnn->provenance();
  EXPECT_EQ(prov.at("cudnn_deterministic"), "yes");
  EXPECT_EQ(prov.at("cudnn_pool_mode"), "CUDNN_POOLING_MAX_DETERMINISTIC");
  int algos = 0;
  for (const auto& [k, v] : prov) {
    if (k.rfind("cudnn_algo.", 0) != 0) continue;
    ++algos;
    const bool det = v.find("(deterministic") != std::string::npos;
    const bool fallback = v.rfind("hand-written kernel", 0) == 0;
    EXPECT_TRUE(det || fallback) << k << " = " << v;
    EXPECT_EQ(v.find("BWD_DATA_ALGO_0 "), std::string::npos) << k << " = " << v;
    EXPECT_EQ(v.find("BWD_FILTER_ALGO_0 "), std::string::npos) << k << " = " << v;
    EXPECT_EQ(v.find("BWD_FILTER_ALGO_3 "), std::string::npos) << k << " = " << v;
  }
  EXPECT_EQ(algos, 3 * int(cases.size()));
}

// A shape cuDNN may well refuse (a 40x40 kernel, a 1-D signal with a wide
// dilated kernel, padding wider than the kernel): whatever it decides, the
// results are right (cuDNN's, or the hand-written fallback's).
TEST_F(CudnnConv, UnusualShapesAreRightWhetherOrNotCudnnTakesThem) {
  auto dnn = cudnn();
  auto hand = handwritten();
  Conv2dParams a{1, 2, 42, 40, 3, 40, 40};
  Conv2dParams b{2, 2, 1, 300, 4, 1, 7};
  b.stride_w = 2, b.pad_w = 9, b.dil_w = 3;
  Conv2dParams c{1, 3, 6, 6, 2, 1, 1};
  c.pad_h = c.pad_w = 3;
  uint64_t i = 18000;
  for (const auto& p : {a, b, c})
    if (!check_conv_case(*dnn, *hand, p, case_seed(i++))) return;
}

// ---- max pool -------------------------------------------------------------------------
// n distinct values in [-1, 1), shuffled: no ties anywhere.
std::vector<float> distinct_values(int64_t n, Rng& rng) {
  std::vector<float> v(size_t(n > 0 ? n : 0));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = float(-1.0 + 2.0 * (double(i) + 0.5) / double(n));
  for (int64_t i = n - 1; i > 0; --i) std::swap(v[size_t(i)], v[size_t(rng.below(uint64_t(i) + 1))]);
  return v;
}

// Windows that may route a gradient to one input cell.
int64_t windows_per_cell(const Pool2dParams& p) {
  return int64_t((p.KH + p.stride_h - 1) / p.stride_h) * ((p.KW + p.stride_w - 1) / p.stride_w);
}

struct PoolRun {
  std::vector<float> y, dx_xy, dx_argmax;
  std::vector<int32_t> argmax;
};

// The backend's three pool paths: forward without argmax + backward from
// x, y (what the Network runs when plan_maxpool2d says so); forward with
// argmax + backward from argmax (what the bench and other callers run).
PoolRun run_pool(Backend& be, const Pool2dParams& p, const std::vector<float>& xh,
                 const std::vector<float>& dyh, bool from_xy) {
  DeviceBuf<float> x(be, xh), dy(be, dyh), y(be, p.y_size()), y2(be, p.y_size()), dx(be, p.x_size()),
      dx2(be, p.x_size());
  DeviceBuf<int32_t> a(be, p.y_size());
  for (DeviceBuf<float>* o : {&y, &y2, &dx, &dx2}) o->poison(kNaNf);
  a.poison(kPoisonI32);
  PoolRun r;
  if (from_xy) {
    be.maxpool2d_forward(p, x.get(), y.get(), nullptr);
    be.maxpool2d_backward_from_xy(p, x.get(), y.get(), dy.get(), dx.get());
    r.dx_xy = dx.download();
  }
  be.maxpool2d_forward(p, x.get(), y2.get(), a.get());
  be.maxpool2d_backward(p, dy.get(), a.get(), dx2.get());
  r.y = y2.download();
  r.argmax = a.download();
  r.dx_argmax = dx2.download();
  if (from_xy) {
    const auto y_no_argmax = y.download();
    EXPECT_TRUE(check_equal("y without vs with argmax", y_no_argmax.data(), r.y.data(), p.y_size()));
  }
  return r;
}

void check_pool_case(Backend& dnn, Backend& hand, const Pool2dParams& p, const std::vector<float>& xh,
                     const std::vector<float>& dyh) {
  std::vector<float> y_cpu(p.y_size()), dx_cpu(p.x_size());
  std::vector<int32_t> a_cpu(p.y_size());
  cpu::maxpool2d_forward(p, xh.data(), y_cpu.data(), a_cpu.data());
  cpu::maxpool2d_backward(p, dyh.data(), a_cpu.data(), dx_cpu.data());
  std::vector<double> dx_ref(p.x_size()), dx_mag(p.x_size());
  const auto dyd = to_double(dyh);
  cpu::maxpool2d_backward(p, dyd.data(), a_cpu.data(), dx_ref.data());
  cpu::maxpool2d_backward(p, abs_of(dyd).data(), a_cpu.data(), dx_mag.data());

  // False where cuDNN refused the shape (a notice on stderr says why): then
  // the hand-written kernels run, and are checked all the same.
  const bool from_xy = dnn.plan_maxpool2d("test", p);
  const PoolRun g = run_pool(dnn, p, xh, dyh, from_xy);
  const PoolRun h = run_pool(hand, p, xh, dyh, false);
  EXPECT_TRUE(check_equal("y vs cpu", g.y.data(), y_cpu.data(), p.y_size()));
  EXPECT_TRUE(check_equal("y vs hand-written", g.y.data(), h.y.data(), p.y_size()));
  EXPECT_TRUE(check_equal("argmax vs cpu", g.argmax.data(), a_cpu.data(), p.y_size()));
  EXPECT_TRUE(check_equal("dx (argmax path) vs cpu", g.dx_argmax.data(), dx_cpu.data(), p.x_size()));
  if (from_xy) {
    // cuDNN may add overlapping windows' gradients in another order.
    EXPECT_TRUE(check_close("dx (cudnnPoolingBackward) vs cpu double", g.dx_xy.data(), dx_ref.data(),
                            dx_mag.data(), p.x_size(), windows_per_cell(p)));
    EXPECT_TRUE(check_close("dx (cudnnPoolingBackward) vs hand-written", g.dx_xy.data(), h.dx_argmax.data(),
                            dx_mag.data(), p.x_size(), windows_per_cell(p)));
    if (windows_per_cell(p) == 1) {
      EXPECT_TRUE(check_equal("dx (cudnnPoolingBackward) vs cpu, one window per cell", g.dx_xy.data(),
                              dx_cpu.data(), p.x_size()));
    }
  }
}

class CudnnPool : public CudnnTest {};

TEST_F(CudnnPool, GridMatchesCpuAndHandWrittenWithoutTies) {
  auto dnn = cudnn();
  auto hand = handwritten();
  const auto grid = pool_grid();
  ASSERT_GT(grid.size(), 5u);
  for (size_t i = 0; i < grid.size(); ++i) {
    const Pool2dParams& p = grid[i];
    SCOPED_TRACE(describe(p));
    Rng rng(case_seed(19000 + i));
    const auto x = distinct_values(p.x_size(), rng);
    const auto dy = random_vector<float>(p.y_size(), rng);
    check_pool_case(*dnn, *hand, p, x, dy);
    // All negative and padded: a padded cell that counted as 0 would win.
    std::vector<float> negative = x;
    for (float& v : negative) v = -1.5f + 0.5f * v;
    check_pool_case(*dnn, *hand, p, negative, dy);
    if (HasFailure()) break;
  }
}

// Inputs from {0, 1}: many equal maxima per window. Windows that do not
// overlap, so each cell's gradient comes from one window.
TEST_F(CudnnPool, TiesGiveTheGradientToExactlyOneMaximum) {
  auto dnn = cudnn();
  int windows = 0, not_first = 0;
  for (const Pool2dParams& p0 : pool_grid()) {
    if (p0.stride_h < p0.KH || p0.stride_w < p0.KW) continue;
    const Pool2dParams& p = p0;
    SCOPED_TRACE(describe(p));
    Rng rng(case_seed(19500 + uint64_t(p.x_size())));
    std::vector<float> x(p.x_size());
    for (float& v : x) v = float(rng.below(2));
    std::vector<float> dy(p.y_size());
    for (float& v : dy) v = float(1.0 + rng.uniform());  // nonzero, so who got it is visible
    if (!dnn->plan_maxpool2d("ties", p)) continue;  // refused: no cuDNN backward to look at
    const PoolRun g = run_pool(*dnn, p, x, dy, true);
    std::vector<float> y_cpu(p.y_size());
    std::vector<int32_t> a_cpu(p.y_size());
    cpu::maxpool2d_forward(p, x.data(), y_cpu.data(), a_cpu.data());
    EXPECT_TRUE(check_equal("y", g.y.data(), y_cpu.data(), p.y_size()));
    EXPECT_TRUE(check_equal("argmax (our first-max rule, from cuDNN's y)", g.argmax.data(), a_cpu.data(),
                            p.y_size()));
    const int OH = p.OH(), OW = p.OW();
    for (int64_t plane = 0; plane < int64_t(p.N) * p.C; ++plane)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          const int64_t o = (plane * OH + oh) * OW + ow;
          int receivers = 0;
          bool bad = false;
          int32_t who = -1;
          for (int kh = 0; kh < p.KH; ++kh)
            for (int kw = 0; kw < p.KW; ++kw) {
              const int ih = oh * p.stride_h - p.pad_h + kh, iw = ow * p.stride_w - p.pad_w + kw;
              if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
              const int64_t xi = plane * p.H * p.W + int64_t(ih) * p.W + iw;
              const float d = g.dx_xy[size_t(xi)];
              if (d == 0.0f) continue;
              ++receivers;
              who = ih * p.W + iw;
              bad = bad || d != dy[size_t(o)] || x[size_t(xi)] != y_cpu[size_t(o)];
            }
          ++windows;
          not_first += receivers == 1 && who != a_cpu[size_t(o)];
          ASSERT_TRUE(receivers == 1 && !bad)
              << "window " << o << ": " << receivers << " cells got a gradient"
              << (bad ? " (a wrong value, or a cell that is not a maximum)" : "");
        }
  }
  std::printf("cuDNN pooling backward on %d windows with ties: %d gave the gradient to a maximum other than "
              "the first in row-major order (our rule)\n",
              windows, not_first);
}

// ---- relu ----------------------------------------------------------------------------
class CudnnRelu : public CudnnTest {};

TEST_F(CudnnRelu, MatchesCpuAndGradientAtZeroIsZero) {
  auto dnn = cudnn();
  for (int64_t n : {int64_t(1), int64_t(1000), int64_t(70001), int64_t(64) * 6 * 28 * 28}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    Rng rng(case_seed(20000 + uint64_t(n)));
    auto xh = random_vector<float>(n, rng);
    for (int64_t i = 0; i < n; i += 3) xh[size_t(i)] = 0.0f;   // exact zeros: gradient 0
    if (n > 2) xh[1] = -0.0f;                                  // negative zero too
    const auto dyh = random_vector<float>(n, rng);
    std::vector<float> y_cpu(n), dx_cpu(n);
    cpu::relu_forward(n, xh.data(), y_cpu.data());
    cpu::relu_backward(n, y_cpu.data(), dyh.data(), dx_cpu.data());
    DeviceBuf<float> x(*dnn, xh), dy(*dnn, dyh), y(*dnn, n), dx(*dnn, n);
    y.poison(kNaNf);
    dx.poison(kNaNf);
    dnn->relu_forward(n, x.get(), y.get());
    dnn->relu_backward(n, y.get(), dy.get(), dx.get());
    const auto yg = y.download(), dxg = dx.download();
    // Values compare equal (cuDNN may write -0 for x = -0; -0 == 0).
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(yg[size_t(i)], y_cpu[size_t(i)]) << "relu y at " << i << " (x = " << xh[size_t(i)] << ")";
      ASSERT_EQ(dxg[size_t(i)], dx_cpu[size_t(i)]) << "relu dx at " << i << " (x = " << xh[size_t(i)] << ")";
    }
    EXPECT_EQ(dxg[0], 0.0f) << "the gradient at exactly 0 must be 0";
  }
}

// ---- the fallback ---------------------------------------------------------------------

struct StepResult {
  std::vector<float> logits, grads;
  float loss = 0;
};

// One forward/loss/backward of LeNet-5 from fixed weights on fixed data.
StepResult one_step(Backend& be, int B) {
  Network net(lenet(), B, be);
  net.upload_params(initial_params(net, "he-normal", 11));
  const Dataset d = synthetic_digits(B, 5);
  be.upload(net.input(), d.images.data(), d.images.size() * sizeof(float));
  be.upload(net.labels(), d.labels.data(), d.labels.size() * sizeof(int32_t));
  float* loss = static_cast<float*>(be.alloc_bytes(sizeof(float)));
  net.forward(B);
  net.loss(B, loss, nullptr, nullptr, 0);
  net.backward(B);
  StepResult r;
  r.logits.resize(size_t(B) * 10);
  be.download(r.logits.data(), net.logits(), r.logits.size() * sizeof(float));
  r.grads.resize(size_t(net.param_count()));
  be.download(r.grads.data(), net.grads(), r.grads.size() * sizeof(float));
  be.download(&r.loss, loss, sizeof(float));
  be.free_bytes(loss);
  return r;
}

class CudnnFallback : public CudnnTest {};

// CONVNET_CUDNN_DISABLE forces the path a refused shape takes: every op on
// the hand-written kernels, one notice per layer and op naming it, and the
// same bits as the cuda backend (same kernels, bit-identical variants).
TEST_F(CudnnFallback, EveryOpFallsBackWithANoticeNamingTheLayer) {
  ScopedEnv env("CONVNET_CUDNN_DISABLE", "all");
  auto dnn = cudnn();
  auto hand = handwritten();
  ::testing::internal::CaptureStderr();
  StepResult a;
  try {
    a = one_step(*dnn, 8);
  } catch (...) {
    ::testing::internal::GetCapturedStderr();
    throw;
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  for (const char* line : {"conv2d_forward of layer C1 (N=8 C_in=1 H=32 W=32", "conv2d_backward_data of layer C3",
                           "conv2d_backward_weights of layer C5", "maxpool2d of layer S2 (N=8 C=6 H=28 W=28",
                           "maxpool2d of layer S4", "relu of layer relu1 (n=37632)"})
    EXPECT_NE(err.find(line), std::string::npos) << "no notice containing '" << line << "' in:\n" << err;
  EXPECT_NE(err.find("falls back to the hand-written kernel: disabled by CONVNET_CUDNN_DISABLE"),
            std::string::npos)
      << err;
  const StepResult b = one_step(*hand, 8);
  EXPECT_TRUE(check_equal("logits", a.logits.data(), b.logits.data(), int64_t(a.logits.size())));
  EXPECT_TRUE(check_equal("grads", a.grads.data(), b.grads.data(), int64_t(a.grads.size())));
  const auto prov = dnn->provenance();
  EXPECT_EQ(prov.at("cudnn_disabled_ops"),
            "conv2d_backward_data,conv2d_backward_weights,conv2d_forward,maxpool2d,relu");
  EXPECT_EQ(prov.at("cudnn_algo.C1.forward").rfind("hand-written kernel", 0), 0u) << prov.at("cudnn_algo.C1.forward");
}

// One op falling back among cuDNN ones: the mix is still right, and the
// pool layers that fall back get argmax tensors in the plan.
TEST_F(CudnnFallback, MixedFallbackMatchesCpuAndPlansArgmaxOnlyWhereNeeded) {
  {
    ScopedEnv env("CONVNET_CUDNN_DISABLE", "conv2d_backward_weights,maxpool2d");
    auto dnn = cudnn();
    Network net(lenet(), 8, *dnn);
    bool argmax_planned = false;
    for (const PlannedTensor& t : net.memory_plan().tensors) argmax_planned |= t.name == "S2.argmax";
    EXPECT_TRUE(argmax_planned) << "a pool layer on the hand-written kernel needs its argmax tensor";
    const CudnnConvAlgorithms c1 = cudnn_conv_algorithms(*dnn, net.layers()[0].conv);
    EXPECT_EQ(c1.backward_filter, "");
    EXPECT_NE(c1.forward, "");
  }
  ScopedEnv env("CONVNET_CUDNN_DISABLE", "conv2d_backward_weights");
  auto dnn = cudnn();
  {
    Network net(lenet(), 8, *dnn);
    for (const PlannedTensor& t : net.memory_plan().tensors)
      EXPECT_EQ(t.name.find(".argmax"), std::string::npos)
          << t.name << ": cuDNN's pooling backward reads x and y, no argmax is needed";
  }
  auto cpu = make_cpu_backend(BackendOptions{1});
  const StepResult g = one_step(*dnn, 8), c = one_step(*cpu, 8);
  // Bounds as in test_end_to_end.cpp (normwise, the longest addition chains),
  // times 4: cuDNN may use transform algorithms.
  double lmax = 0;
  for (float v : c.logits) lmax = std::max(lmax, double(std::fabs(v)));
  for (size_t i = 0; i < c.logits.size(); ++i)
    EXPECT_NEAR(g.logits[i], c.logits[i], 4 * 779 * kUnitRoundoff * lmax) << "logit " << i;
}

TEST_F(CudnnFallback, UnknownDisableTokenIsAnError) {
  ScopedEnv env("CONVNET_CUDNN_DISABLE", "conv2d_forward,bogus");
  try {
    cudnn();
    FAIL() << "CONVNET_CUDNN_DISABLE=bogus was accepted";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("CONVNET_CUDNN_DISABLE"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'bogus'"), std::string::npos) << msg;
  }
}

// ---- LeNet-5 steps ---------------------------------------------------------------------
class CudnnEndToEnd : public CudnnTest {};

TEST_F(CudnnEndToEnd, OneStepFromIdenticalWeightsMatchesCpuAndHandWritten) {
  auto dnn = cudnn();
  auto hand = handwritten();
  auto cpu = make_cpu_backend(BackendOptions{1});
  const int B = 8;
  const StepResult g = one_step(*dnn, B), h = one_step(*hand, B), c = one_step(*cpu, B);
  Network shapes(lenet(), B, *cpu);
  // test_end_to_end.cpp's bounds (779 additions for the logits, 7830 for the
  // gradients, normwise), times 4 for cuDNN's transform algorithms.
  double lmax = 0;
  for (float v : c.logits) lmax = std::max(lmax, double(std::fabs(v)));
  for (size_t i = 0; i < c.logits.size(); ++i) {
    EXPECT_NEAR(g.logits[i], c.logits[i], 4 * 779 * kUnitRoundoff * lmax) << "logit " << i << " vs cpu";
    EXPECT_NEAR(g.logits[i], h.logits[i], 8 * 779 * kUnitRoundoff * lmax) << "logit " << i << " vs cuda";
  }
  EXPECT_NEAR(g.loss, c.loss, 4 * 800 * kUnitRoundoff * std::max(1.0f, std::fabs(c.loss)));
  for (const ParamSlice& s : shapes.param_slices()) {
    double gmax = 0;
    for (int64_t i = s.offset; i < s.offset + s.count; ++i) gmax = std::max(gmax, double(std::fabs(c.grads[size_t(i)])));
    const double bound = 4 * 7830 * kUnitRoundoff * gmax;
    double worst = 0, worst_h = 0;
    for (int64_t i = s.offset; i < s.offset + s.count; ++i) {
      ASSERT_TRUE(std::isfinite(g.grads[size_t(i)])) << s.name << " element " << i - s.offset;
      worst = std::max(worst, std::fabs(double(g.grads[size_t(i)]) - c.grads[size_t(i)]));
      worst_h = std::max(worst_h, std::fabs(double(g.grads[size_t(i)]) - h.grads[size_t(i)]));
    }
    EXPECT_LE(worst, bound) << s.name << " vs cpu";
    EXPECT_LE(worst_h, 2 * bound) << s.name << " vs cuda";
  }
}

// Per-step SGD on the same data in the same order (no shuffle, as in
// test_end_to_end.cpp). Trajectories separate where a ReLU or pooling
// decision flips on a rounding difference; the band is the cuda backend's
// (docs/testing.md) doubled, not yet measured for cuDNN.

TEST_F(CudnnEndToEnd, ThirtyFreeRunningStepsTrackTheCpu) {
  const int B = 8, steps = 30;
  auto cpu = make_cpu_backend(BackendOptions{1});
  auto dnn = cudnn();
  const auto lc = free_running_losses(*cpu, steps, B);
  const auto lg = free_running_losses(*dnn, steps, B);
  double worst = 0;
  for (int s = 0; s < steps; ++s) {
    const double diff = std::fabs(double(lg[size_t(s)]) - double(lc[size_t(s)]));
    worst = std::max(worst, diff);
    EXPECT_LE(diff, 2 * (2e-4 + 2e-3 * lc[size_t(s)])) << "step " << s + 1 << ": cudnn " << lg[size_t(s)]
                                                       << " cpu " << lc[size_t(s)];
  }
  std::printf("30 free-running LeNet-5 steps: worst |loss_cudnn - loss_cpu| = %.3g (first %.4f, last %.4f)\n",
              worst, lc.front(), lc.back());
  EXPECT_LT(lc.back(), lc.front());
}

// An epoch with evaluation (its last chunk is a smaller batch, planned at its
// first call) allocates nothing; --deterministic makes two runs bit-identical.
TEST_F(CudnnEndToEnd, TrainingLoopDoesNotAllocateAndDeterministicRunsRepeat) {
  auto epoch_losses = [](Backend& be) {
    Network net(lenet(), 8, be);
    net.upload_params(initial_params(net, "he-normal", 4));
    DeviceDataset train(be, synthetic_digits(96, 6));
    DeviceDataset val(be, synthetic_digits(20, 7));  // chunks 8, 8, 4
    TrainState state(net, train, &val, 20);
    TrainOptions opt;
    opt.seed = 17;
    const int64_t before = be.allocation_count();
    auto m = state.run_epoch(1, opt);
    state.run_epoch(2, opt);
    EXPECT_EQ(be.allocation_count(), before) << "the training loop allocated device memory";
    return m.step_losses;
  };
  auto d1 = cudnn(true), d2 = cudnn(true);
  const auto a = epoch_losses(*d1);
  const auto b = epoch_losses(*d2);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)))
      << "--deterministic runs with the same seed differ";
}

// ---- errors -------------------------------------------------------------------------
class CudnnErrors : public CudnnTest {};

TEST_F(CudnnErrors, BadShapesAndMissingWorkspaceNameTheOpAndShape) {
  auto dnn = cudnn();
  Conv2dParams bad{1, 1, 3, 3, 1, 5, 5};  // a 5x5 kernel on a 3x3 input, no padding
  try {
    dnn->conv2d_forward(bad, nullptr, nullptr, nullptr, nullptr, nullptr);
    FAIL() << "conv2d_forward accepted a kernel larger than its input";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("conv2d_forward"), std::string::npos) << msg;
    EXPECT_NE(msg.find("H=3"), std::string::npos) << msg;
  }
  // Any chosen algorithm that needs a workspace must refuse to run without it.
  const Conv2dParams p{8, 6, 14, 14, 16, 5, 5};
  const CudnnConvAlgorithms a = cudnn_conv_algorithms(*dnn, p);
  if (dnn->conv2d_workspace_bytes(p) == 0) GTEST_SKIP() << "no chosen algorithm needs a workspace here";
  const ConvInputs in = random_conv_inputs(p, case_seed(21000));
  DeviceBuf<float> x(*dnn, in.x), w(*dnn, in.w), b(*dnn, in.b), dy(*dnn, in.dy), y(*dnn, p.y_size()),
      dx(*dnn, p.x_size()), dw(*dnn, p.w_size()), db(*dnn, p.C_out);
  int refused = 0;
  for (int op = 0; op < 3; ++op) {
    try {
      if (op == 0) dnn->conv2d_forward(p, x.get(), w.get(), b.get(), y.get(), nullptr);
      if (op == 1) dnn->conv2d_backward_data(p, dy.get(), w.get(), dx.get(), nullptr);
      if (op == 2) dnn->conv2d_backward_weights(p, x.get(), dy.get(), dw.get(), db.get(), nullptr);
    } catch (const Error& e) {
      ++refused;
      const std::string msg = e.what();
      EXPECT_NE(msg.find("workspace"), std::string::npos) << msg;
      EXPECT_NE(msg.find("N=8 C_in=6 H=14"), std::string::npos) << msg;
      EXPECT_NE(msg.find("(cuDNN CUDNN_CONVOLUTION_"), std::string::npos) << msg;
    }
  }
  // With no refusal, the workspace can only be the hand-written weight
  // gradient's (its cuDNN op fell back), which runs its direct variant without one.
  EXPECT_TRUE(refused > 0 || a.backward_filter.empty())
      << "the workspace is " << dnn->conv2d_workspace_bytes(p) << " B, but no op asked for it: " << a.forward
      << " " << a.backward_data << " " << a.backward_filter;
}

TEST_F(CudnnErrors, BadDeviceOrdinalThrowsWithReason) {
  BackendOptions opt;
  opt.device = 1000;
  try {
    make_cudnn_backend(opt);
    FAIL() << "device 1000 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("device 1000"), std::string::npos) << e.what();
  }
}

// Runs without a GPU: the check macro's message names the op, the shape,
// the cuDNN function and cuDNN's error string.
cudnnStatus_t cudnnPretendCall(int) { return CUDNN_STATUS_NOT_SUPPORTED; }

TEST(CudnnCheck, MessageNamesOpShapeFunctionAndCudnnError) {
  try {
    CN_CUDNN_CHECK(cudnnPretendCall(3), "maxpool2d_forward (cuDNN) layer S2 ", "N=64 C=6 H=28 W=28");
    FAIL() << "CN_CUDNN_CHECK did not throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("maxpool2d_forward (cuDNN) layer S2 N=64 C=6 H=28 W=28: cudnnPretendCall: "),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find(cudnnGetErrorString(CUDNN_STATUS_NOT_SUPPORTED)), std::string::npos) << msg;
    EXPECT_NE(msg.find("(cuDNN status 3000)"), std::string::npos) << msg;
  }
}

// Runs only WITHOUT a GPU: asking for the backend gives a clear error, not a crash.
TEST(CudnnWithoutGpu, AskingForTheBackendGivesAClearError) {
  const std::string why = gpu_unavailable();
  if (why.empty()) GTEST_SKIP() << "a GPU is present: this test checks the message a machine without one gives";
  try {
    make_backend("cudnn", BackendOptions{});
    FAIL() << "--backend cudnn was created without a GPU";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--backend cudnn cannot run"), std::string::npos) << msg;
    EXPECT_NE(msg.find("no CUDA device"), std::string::npos) << msg;
  }
  EXPECT_THROW(make_cudnn_backend(BackendOptions{}), Error);
}

}  // namespace
