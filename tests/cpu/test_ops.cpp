// tests/cpu/test_ops.cpp: CPU pool, ReLU, linear, softmax-CE and SGD (float)
// against the naive double reference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "common/random_fill.h"
#include "common/shape_grid.h"
#include "common/tolerance.h"
#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "reference/reference.h"

namespace {

using namespace convnet;
using namespace convnet::test;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// ---- max pooling ------------------------------------------------------------

void check_pool_case(const Pool2dParams& p, uint64_t seed, bool with_ties) {
  SCOPED_TRACE(describe(p) + " seed=" + std::to_string(seed) + (with_ties ? " ties" : ""));
  Rng rng(seed);
  std::vector<float> x = random_vector<float>(p.x_size(), rng);
  // Ties: values from a tiny set, so most windows hold repeated maxima.
  if (with_ties)
    for (auto& v : x) v = float(int(rng.below(3)));
  const auto dy = random_vector<float>(p.y_size(), rng);
  std::vector<float> y(p.y_size(), kNaN), dx(p.x_size(), kNaN);
  std::vector<int32_t> arg(p.y_size(), -7);
  cpu::maxpool2d_forward(p, x.data(), y.data(), arg.data());

  const auto xd = to_double(x), dyd = to_double(dy);
  std::vector<double> y_ref(p.y_size()), dx_ref(p.x_size());
  std::vector<int32_t> arg_ref(p.y_size());
  ref::maxpool2d_forward(p, xd.data(), y_ref.data(), arg_ref.data());
  // Max is exact: the output must equal the winning input bit for bit.
  EXPECT_TRUE(check_close_mag_scalar("maxpool y", y.data(), y_ref.data(), 0.0, p.y_size(), 0));
  EXPECT_TRUE(check_equal("maxpool argmax (first max wins)", arg.data(), arg_ref.data(),
                          p.y_size()));

  cpu::maxpool2d_backward(p, dy.data(), arg.data(), dx.data());
  ref::maxpool2d_backward(p, xd.data(), dyd.data(), dx_ref.data());
  // A cell sums at most ceil(K/stride) per axis overlapping windows.
  const int64_t overlap = int64_t((p.KH + p.stride_h - 1) / p.stride_h) *
                          ((p.KW + p.stride_w - 1) / p.stride_w);
  std::vector<double> mag(p.x_size());
  ref::maxpool2d_backward(p, xd.data(), abs_of(dyd).data(), mag.data());
  EXPECT_TRUE(check_close("maxpool dx", dx.data(), dx_ref.data(), mag.data(), p.x_size(), overlap));
}

TEST(CpuPoolGrid, ForwardAndBackwardMatchReference) {
  const auto grid = pool_grid();
  ASSERT_GT(grid.size(), 5u);
  for (size_t i = 0; i < grid.size(); ++i) {
    check_pool_case(grid[i], case_seed(i), false);
    check_pool_case(grid[i], case_seed(i + 100000), true);
    if (::testing::Test::HasFailure()) break;
  }
}

TEST(CpuPool, LeNetAndBigChannels) {
  Pool2dParams s2{64, 6, 28, 28};
  Pool2dParams s4{64, 16, 10, 10};
  Pool2dParams big{1, 300, 13, 13, 3, 3, 2, 2, 1, 1};
  uint64_t i = 500;
  for (const auto& p : {s2, s4, big}) check_pool_case(p, case_seed(i++), false);
}

TEST(CpuPool, FirstMaximumWinsAndPaddingNeverWins) {
  // 1 x 1 x 2 x 2 input, 3x3 window with pad 1: one output per cell-centred window.
  Pool2dParams p{1, 1, 2, 2, 3, 3, 1, 1, 1, 1};
  const float x[4] = {-5.0f, -5.0f, -5.0f, -6.0f};  // all negative: padding (0) must not win
  float y[4];
  int32_t arg[4];
  cpu::maxpool2d_forward(p, x, y, arg);
  for (int o = 0; o < 4; ++o) {
    EXPECT_EQ(y[o], -5.0f) << "output " << o;
    EXPECT_EQ(arg[o], 0) << "output " << o << ": the first maximum (index 0) must win";
  }
}

// ---- ReLU -------------------------------------------------------------------

TEST(CpuRelu, ForwardBackwardExact) {
  for (int64_t n : {int64_t(1), int64_t(1000), int64_t(200000)}) {
    Rng rng(case_seed(n));
    auto x = random_vector<float>(n, rng);
    if (n > 3) x[0] = 0.0f, x[1] = -0.0f, x[2] = 1e-38f;  // exact zeros: gradient 0
    const auto dy = random_vector<float>(n, rng);
    std::vector<float> y(n, kNaN), dx(n, kNaN);
    cpu::relu_forward(n, x.data(), y.data());
    cpu::relu_backward(n, y.data(), dy.data(), dx.data());
    std::vector<double> y_ref(n), dx_ref(n);
    const auto yd = to_double(y);
    ref::relu_forward(n, to_double(x).data(), y_ref.data());
    ref::relu_backward(n, yd.data(), to_double(dy).data(), dx_ref.data());
    EXPECT_TRUE(check_close_mag_scalar("relu y", y.data(), y_ref.data(), 0.0, n, 0));
    EXPECT_TRUE(check_close_mag_scalar("relu dx", dx.data(), dx_ref.data(), 0.0, n, 0));
    if (n > 3) {
      EXPECT_EQ(dx[0], 0.0f);
      EXPECT_EQ(dx[1], 0.0f);
      EXPECT_EQ(dx[2], dy[2]);
    }
  }
}

// ---- Linear -------------------------------------------------------------------

void check_linear_case(const LinearParams& p, uint64_t seed) {
  SCOPED_TRACE("linear N=" + std::to_string(p.N) + " in=" + std::to_string(p.in) +
               " out=" + std::to_string(p.out) + " seed=" + std::to_string(seed));
  Rng rng(seed);
  const int64_t nx = int64_t(p.N) * p.in, ny = int64_t(p.N) * p.out, nw = int64_t(p.out) * p.in;
  const auto x = random_vector<float>(nx, rng), W = random_vector<float>(nw, rng),
             b = random_vector<float>(p.out, rng), dy = random_vector<float>(ny, rng);
  const auto xd = to_double(x), Wd = to_double(W), bd = to_double(b), dyd = to_double(dy);
  const auto xa = abs_of(xd), Wa = abs_of(Wd), ba = abs_of(bd), dya = abs_of(dyd);

  std::vector<float> y(ny, kNaN), dx(nx, kNaN), dW(nw, kNaN), db(p.out, kNaN);
  cpu::linear_forward(p, x.data(), W.data(), b.data(), y.data());
  cpu::linear_backward(p, x.data(), W.data(), dy.data(), dx.data(), dW.data(), db.data());

  std::vector<double> y_ref(ny), y_mag(ny), dx_ref(nx), dx_mag(nx), dW_ref(nw), dW_mag(nw),
      db_ref(p.out), db_mag(p.out);
  ref::linear_forward(p, xd.data(), Wd.data(), bd.data(), y_ref.data());
  ref::linear_forward(p, xa.data(), Wa.data(), ba.data(), y_mag.data());
  ref::linear_backward(p, xd.data(), Wd.data(), dyd.data(), dx_ref.data(), dW_ref.data(),
                       db_ref.data());
  ref::linear_backward(p, xa.data(), Wa.data(), dya.data(), dx_mag.data(), dW_mag.data(),
                       db_mag.data());
  EXPECT_TRUE(check_close("linear y", y.data(), y_ref.data(), y_mag.data(), ny, p.in + 1));
  EXPECT_TRUE(check_close("linear dx", dx.data(), dx_ref.data(), dx_mag.data(), nx, p.out));
  EXPECT_TRUE(check_close("linear dW", dW.data(), dW_ref.data(), dW_mag.data(), nw, p.N));
  if (p.has_bias)
    EXPECT_TRUE(check_close("linear db", db.data(), db_ref.data(), db_mag.data(), p.out, p.N));

  // dx = nullptr (first layer) must still produce dW and db.
  std::vector<float> dW2(nw, kNaN), db2(p.out, kNaN);
  cpu::linear_backward<float>(p, x.data(), W.data(), dy.data(), nullptr, dW2.data(), db2.data());
  EXPECT_TRUE(check_close("linear dW (dx null)", dW2.data(), dW_ref.data(), dW_mag.data(), nw, p.N));
}

TEST(CpuLinear, MatchesReference) {
  const LinearParams shapes[] = {{64, 120, 84}, {64, 84, 10}, {1, 1, 1}, {1, 500, 3},
                                 {7, 3, 300},   {33, 257, 65}, {200, 800, 500}};
  uint64_t i = 700;
  for (const auto& p : shapes) check_linear_case(p, case_seed(i++));
  LinearParams nobias{5, 6, 7, false};
  check_linear_case(nobias, case_seed(i++));
}

// ---- softmax cross-entropy -------------------------------------------------------

TEST(CpuSoftmaxCE, MatchesReference) {
  for (int N : {1, 64, 100}) {
    for (int K : {1, 2, 10, 1000}) {
      Rng rng(case_seed(uint64_t(N) * 10000 + K));
      auto z = random_vector<float>(int64_t(N) * K, rng, -5.0, 5.0);
      std::vector<int32_t> labels(N);
      fill_labels(labels.data(), N, K, rng);
      std::vector<float> dz(z.size(), kNaN);
      std::vector<int32_t> correct(N, -1), correct_ref(N);
      const float loss = cpu::softmax_ce(N, K, z.data(), labels.data(), dz.data(), correct.data());
      std::vector<double> dz_ref(z.size());
      const double loss_ref =
          ref::softmax_ce(N, K, to_double(z).data(), labels.data(), dz_ref.data(), correct_ref.data());
      // exp/log in float: a few ulps per term, K terms in the sum.
      const double mag = std::fabs(loss_ref) + 10.0;
      EXPECT_TRUE(check_close_mag_scalar("softmax_ce loss", &loss, &loss_ref, mag, 1, K + 8))
          << "N=" << N << " K=" << K;
      // dz = (exp(z - logZ) - onehot) / N: exp's argument carries an error of
      // about eps * (|z| + |logZ|) <= eps * 20 here (|z| <= 5, logZ <= 5 +
      // log 1000), plus the K-term sum inside logZ.
      EXPECT_TRUE(check_close_mag_scalar("softmax_ce dlogits", dz.data(), dz_ref.data(),
                                         20.0 / N, int64_t(N) * K, K + 8))
          << "N=" << N << " K=" << K;
      EXPECT_TRUE(check_equal("softmax_ce correct", correct.data(), correct_ref.data(), N));
    }
  }
}

TEST(CpuSoftmaxCE, StableForHugeLogitsAndFirstMaxWinsTies) {
  // exp(1000) overflows; log-sum-exp must not.
  const float z[6] = {1000.0f, 1000.0f, -1000.0f, 0.0f, 0.0f, 0.0f};
  const int32_t labels[2] = {1, 0};
  float dz[6];
  int32_t correct[2];
  const float loss = cpu::softmax_ce(2, 3, z, labels, dz, correct);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, 0.5 * (std::log(2.0) + std::log(3.0)), 1e-5);
  EXPECT_EQ(correct[0], 0) << "tie between classes 0 and 1: the first (0) wins, label is 1";
  EXPECT_EQ(correct[1], 1) << "all-equal logits: class 0 wins, label is 0";
  for (float d : dz) EXPECT_TRUE(std::isfinite(d));
}

TEST(CpuSoftmaxCE, RejectsOutOfRangeLabel) {
  const float z[3] = {0, 0, 0};
  const int32_t label = 3;
  EXPECT_THROW(cpu::softmax_ce<float>(1, 3, z, &label, nullptr, nullptr), Error);
}

// ---- SGD ----------------------------------------------------------------------

TEST(CpuSgd, MatchesReference) {
  const SgdParams cases[] = {{0.1f, 0.0f, 0.0f}, {0.05f, 0.9f, 0.0f}, {0.01f, 0.9f, 5e-4f},
                             {0.2f, 0.0f, 1e-3f}};
  for (int64_t n : {int64_t(1), int64_t(61706), int64_t(300001)}) {
    for (const auto& s : cases) {
      Rng rng(case_seed(uint64_t(n) + uint64_t(s.momentum * 100)));
      auto w = random_vector<float>(n, rng), g = random_vector<float>(n, rng),
           v = random_vector<float>(n, rng);
      auto wd = to_double(w), vd = to_double(v);
      const auto gd = to_double(g);
      for (int step = 0; step < 3; ++step) {
        cpu::sgd_update(s, n, w.data(), g.data(), v.data());
        ref::sgd_update(s, n, wd.data(), gd.data(), vd.data());
      }
      // A few float roundings per step on values of magnitude ~|w| + lr*|v|.
      std::vector<double> mag(n);
      for (int64_t i = 0; i < n; ++i) mag[i] = std::fabs(wd[i]) + 3.0 * (std::fabs(vd[i]) + 2.0);
      EXPECT_TRUE(check_close("sgd w", w.data(), wd.data(), mag.data(), n, 8))
          << "lr=" << s.lr << " momentum=" << s.momentum << " wd=" << s.weight_decay;
    }
  }
}

}  // namespace
