// tests/cpu/test_determinism.cpp: same inputs + same thread count ->
// bit-identical outputs (static OpenMP schedules, partial sums combined in
// thread order, single-threaded BLAS inside our threads).
#include <gtest/gtest.h>

#include <vector>

#include "common/random_fill.h"
#include "common/tolerance.h"
#include "convnet/cpu_ops.h"

namespace {

using namespace convnet;
using namespace convnet::test;

struct Outputs {
  std::vector<float> y, dx, dw, db, ly, ldx, ldW, ldb, py, pdx;
  std::vector<int32_t> parg;
};

Outputs run_once(const Conv2dParams& p, const LinearParams& lp, const Pool2dParams& pp) {
  Rng rng(case_seed(6000));  // the same inputs every call
  const auto x = random_vector<float>(p.x_size(), rng), w = random_vector<float>(p.w_size(), rng),
             b = random_vector<float>(p.C_out, rng), dy = random_vector<float>(p.y_size(), rng);
  const auto lx = random_vector<float>(int64_t(lp.N) * lp.in, rng),
             lW = random_vector<float>(int64_t(lp.out) * lp.in, rng),
             lb = random_vector<float>(lp.out, rng),
             ldy = random_vector<float>(int64_t(lp.N) * lp.out, rng);
  const auto px = random_vector<float>(pp.x_size(), rng), pdy = random_vector<float>(pp.y_size(), rng);
  Outputs o;
  std::vector<float> ws(cpu::conv2d_workspace_elems<float>(p));
  o.y.resize(p.y_size()), o.dx.resize(p.x_size()), o.dw.resize(p.w_size()), o.db.resize(p.C_out);
  cpu::conv2d_forward(p, x.data(), w.data(), b.data(), o.y.data(), ws.data());
  cpu::conv2d_backward_data(p, dy.data(), w.data(), o.dx.data(), ws.data());
  cpu::conv2d_backward_weights(p, x.data(), dy.data(), o.dw.data(), o.db.data(), ws.data());
  o.ly.resize(ldy.size()), o.ldx.resize(lx.size()), o.ldW.resize(lW.size()), o.ldb.resize(lb.size());
  cpu::linear_forward(lp, lx.data(), lW.data(), lb.data(), o.ly.data());
  cpu::linear_backward(lp, lx.data(), lW.data(), ldy.data(), o.ldx.data(), o.ldW.data(), o.ldb.data());
  o.py.resize(pp.y_size()), o.parg.resize(pp.y_size()), o.pdx.resize(pp.x_size());
  cpu::maxpool2d_forward(pp, px.data(), o.py.data(), o.parg.data());
  cpu::maxpool2d_backward(pp, pdy.data(), o.parg.data(), o.pdx.data());
  return o;
}

#define EXPECT_BITWISE(a, b) EXPECT_TRUE(check_equal(#a, a.data(), b.data(), int64_t(a.size())))

TEST(CpuDeterminism, TwoRunsWithTwoThreadsAreBitIdentical) {
  const int saved = cpu::num_threads();
  cpu::set_num_threads(2);
  // Big enough that every op really splits its work over both threads.
  Conv2dParams padded{64, 6, 14, 14, 16, 5, 5};
  padded.pad_h = padded.pad_w = 2;
  const Conv2dParams convs[] = {{64, 6, 14, 14, 16, 5, 5},    // Wide path
                                padded,                        // PerSample path
                                {64, 16, 7, 7, 32, 3, 3},      // Chunk path (P = 25)
                                {64, 16, 5, 5, 120, 5, 5}};   // FullyConnected path
  const LinearParams lp{64, 400, 300};
  const Pool2dParams pp{64, 16, 28, 28};
  for (const auto& p : convs) {
    const Outputs a = run_once(p, lp, pp), b = run_once(p, lp, pp);
    EXPECT_BITWISE(a.y, b.y);
    EXPECT_BITWISE(a.dx, b.dx);
    EXPECT_BITWISE(a.dw, b.dw);
    EXPECT_BITWISE(a.db, b.db);
    EXPECT_BITWISE(a.ly, b.ly);
    EXPECT_BITWISE(a.ldx, b.ldx);
    EXPECT_BITWISE(a.ldW, b.ldW);
    EXPECT_BITWISE(a.ldb, b.ldb);
    EXPECT_BITWISE(a.py, b.py);
    EXPECT_BITWISE(a.pdx, b.pdx);
    EXPECT_TRUE(check_equal("pool argmax", a.parg.data(), b.parg.data(), int64_t(a.parg.size())));
  }
  cpu::set_num_threads(saved);
}

}  // namespace
