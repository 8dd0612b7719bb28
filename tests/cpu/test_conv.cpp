// tests/cpu/test_conv.cpp: CPU conv2d (float) against the naive double reference.
//
// Every case draws fresh inputs (seed from the case index), runs the op in
// float and the reference in double on the same values, and checks each
// element against the reduction-length bound (tests/common/tolerance.h).
// Outputs are prefilled with NaN (backward ops must overwrite, not
// accumulate) and the workspace is followed by a guard zone that must stay
// untouched (conv2d_workspace_elems must be big enough).
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
constexpr size_t kGuard = 1024;
constexpr float kGuardValue = 12345.0f;

// Workspace with a guard zone after it.
struct Workspace {
  explicit Workspace(const Conv2dParams& p)
      : elems(cpu::conv2d_workspace_elems<float>(p)), buf(elems + kGuard, kNaN) {
    for (size_t i = elems; i < buf.size(); ++i) buf[i] = kGuardValue;
  }
  float* data() { return buf.data(); }
  bool guard_intact() const {
    for (size_t i = elems; i < buf.size(); ++i)
      if (buf[i] != kGuardValue) return false;
    return true;
  }
  size_t elems;
  std::vector<float> buf;
};

// Runs forward, backward-data and backward-weights for one shape and checks
// all of them against the reference.
void check_conv_case(const Conv2dParams& p, uint64_t seed) {
  SCOPED_TRACE(describe(p) + " seed=" + std::to_string(seed));
  Rng rng(seed);
  const auto x = random_vector<float>(p.x_size(), rng);
  const auto w = random_vector<float>(p.w_size(), rng);
  const auto b = random_vector<float>(p.C_out, rng);
  const auto dy = random_vector<float>(p.y_size(), rng);
  const auto xd = to_double(x), wd = to_double(w), bd = to_double(b), dyd = to_double(dy);
  const auto xa = abs_of(xd), wa = abs_of(wd), ba = abs_of(bd), dya = abs_of(dyd);
  Workspace ws(p);

  // Forward.
  std::vector<float> y(p.y_size(), kNaN);
  cpu::conv2d_forward(p, x.data(), w.data(), p.has_bias ? b.data() : nullptr, y.data(), ws.data());
  std::vector<double> y_ref(p.y_size()), y_mag(p.y_size());
  ref::conv2d_forward(p, xd.data(), wd.data(), bd.data(), y_ref.data());
  ref::conv2d_forward(p, xa.data(), wa.data(), ba.data(), y_mag.data());
  EXPECT_TRUE(check_close("conv2d_forward y", y.data(), y_ref.data(), y_mag.data(), p.y_size(),
                          p.K() + 1));

  // Backward data: each dx element sums at most C_out*KH*KW products.
  std::vector<float> dx(p.x_size(), kNaN);
  cpu::conv2d_backward_data(p, dy.data(), w.data(), dx.data(), ws.data());
  std::vector<double> dx_ref(p.x_size()), dx_mag(p.x_size());
  ref::conv2d_backward_data(p, dyd.data(), wd.data(), dx_ref.data());
  ref::conv2d_backward_data(p, dya.data(), wa.data(), dx_mag.data());
  EXPECT_TRUE(check_close("conv2d_backward_data dx", dx.data(), dx_ref.data(), dx_mag.data(),
                          p.x_size(), int64_t(p.C_out) * p.KH * p.KW));

  // Backward weights: each dw element sums N*OH*OW products.
  std::vector<float> dw(p.w_size(), kNaN), db(p.C_out, kNaN);
  cpu::conv2d_backward_weights(p, x.data(), dy.data(), dw.data(),
                               p.has_bias ? db.data() : nullptr, ws.data());
  std::vector<double> dw_ref(p.w_size()), dw_mag(p.w_size()), db_ref(p.C_out), db_mag(p.C_out);
  ref::conv2d_backward_weights(p, xd.data(), dyd.data(), dw_ref.data(), db_ref.data());
  ref::conv2d_backward_weights(p, xa.data(), dya.data(), dw_mag.data(), db_mag.data());
  const int64_t red = int64_t(p.N) * p.OH() * p.OW();
  EXPECT_TRUE(check_close("conv2d_backward_weights dw", dw.data(), dw_ref.data(), dw_mag.data(),
                          p.w_size(), red));
  if (p.has_bias)
    EXPECT_TRUE(check_close("conv2d_backward_weights db", db.data(), db_ref.data(),
                            db_mag.data(), p.C_out, red));

  EXPECT_TRUE(ws.guard_intact()) << "conv wrote past conv2d_workspace_elems = " << ws.elems;
}

TEST(CpuConvGrid, ForwardAndBackwardMatchReference) {
  const auto grid = conv_grid();
  ASSERT_GT(grid.size(), 10u);
  for (size_t i = 0; i < grid.size(); ++i) {
    check_conv_case(grid[i], case_seed(i));
    if (::testing::Test::HasFailure()) break;  // one shape's report is enough
  }
}

// The shapes the trainer runs most: LeNet-5 at batch 64 and batch 1.
TEST(CpuConv, LeNetLayers) {
  for (int N : {1, 64}) {
    Conv2dParams c1{N, 1, 32, 32, 6, 5, 5};
    Conv2dParams c3{N, 6, 14, 14, 16, 5, 5};
    Conv2dParams c5{N, 16, 5, 5, 120, 5, 5};
    uint64_t i = 1000 + N;
    for (const auto& p : {c1, c3, c5}) check_conv_case(p, case_seed(i++));
  }
}

// Large channel counts (the grid stops at 64) and batch 1.
TEST(CpuConv, LargeChannelsAndBatchOne) {
  Conv2dParams a{1, 256, 6, 7, 128, 3, 3};
  a.pad_h = a.pad_w = 1;
  Conv2dParams b{2, 96, 9, 9, 200, 3, 2};
  b.stride_h = 2;
  b.has_bias = false;
  Conv2dParams c{1, 3, 1, 64, 512, 1, 7};  // 1-D, many output channels
  c.dil_w = 2;
  Conv2dParams d{1, 512, 3, 3, 10, 3, 3};  // one output pixel, K = 4608
  uint64_t i = 2000;
  for (const auto& p : {a, b, c, d}) check_conv_case(p, case_seed(i++));
}

// Each of conv2d.cpp's four strategies, with batches that do not divide
// evenly over the threads.
TEST(CpuConv, EveryPathWithOddBatchesOverThreads) {
  const int saved = cpu::num_threads();
  Conv2dParams wide{7, 2, 9, 11, 3, 3, 3};     // stride 1, no padding: Wide
  Conv2dParams per_sample{7, 2, 9, 11, 3, 3, 3};
  per_sample.pad_h = per_sample.pad_w = 1;      // padded, P = 99: PerSample
  Conv2dParams chunk{5, 4, 6, 6, 6, 3, 3};      // P = 16: Chunk
  Conv2dParams fully_connected{5, 4, 3, 3, 6, 3, 3};  // kernel = input: FullyConnected
  for (int threads : {1, 2, 3}) {
    cpu::set_num_threads(threads);
    uint64_t i = 3000 + 10 * threads;
    for (const auto& p : {wide, per_sample, chunk, fully_connected}) check_conv_case(p, case_seed(i++));
  }
  cpu::set_num_threads(saved);
}

TEST(CpuConv, BadShapesThrowNamedErrors) {
  Conv2dParams p{1, 1, 3, 3, 1, 5, 5};  // kernel bigger than the input
  try {
    (void)cpu::conv2d_workspace_elems<float>(p);
    FAIL() << "expected convnet::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit"), std::string::npos) << e.what();
  }
}

}  // namespace
