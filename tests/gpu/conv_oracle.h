// tests/gpu/conv_oracle.h: one conv case, run on the CPU as the oracle and on
// a GPU backend (test_conv.cpp: the hand-written variants; test_cudnn.cpp).
//
// The CPU ops run in float (the baseline) and in double (the reference), and
// in double on |x|, |w|, |b|, |dy| for the per-element magnitudes of the
// reduction-length bound (tests/common/tolerance.h). The GPU outputs are
// poisoned with NaN first, so an element a kernel never writes fails.
#pragma once

#include <cstdint>
#include <vector>

#include "common/random_fill.h"
#include "convnet/backend.h"
#include "convnet/cpu_ops.h"
#include "convnet/rng.h"
#include "gpu_test_util.h"

namespace convnet::test {

struct ConvInputs {
  std::vector<float> x, w, b, dy;
};

struct ConvResult {
  std::vector<float> y, dx, dw, db;
};

// The CPU side of one case: float results, double reference and magnitudes.
struct ConvOracle {
  ConvResult f;                       // cpu, float
  std::vector<double> y, dx, dw, db;  // cpu, double
  std::vector<double> y_mag, dx_mag, dw_mag, db_mag;
};

// Fresh random x, w, b, dy for one case.
inline ConvInputs random_conv_inputs(const Conv2dParams& p, uint64_t seed) {
  Rng rng(seed);
  ConvInputs in;
  in.x = random_vector<float>(p.x_size(), rng);
  in.w = random_vector<float>(p.w_size(), rng);
  in.b = random_vector<float>(p.C_out, rng);
  in.dy = random_vector<float>(p.y_size(), rng);
  return in;
}

// Forward, backward-data and backward-weights of the CPU ops in T.
template <class T>
void cpu_conv_all(const Conv2dParams& p, const std::vector<T>& x, const std::vector<T>& w,
                  const std::vector<T>& b, const std::vector<T>& dy, std::vector<T>& y,
                  std::vector<T>& dx, std::vector<T>& dw, std::vector<T>& db) {
  std::vector<T> ws(cpu::conv2d_workspace_elems<T>(p) + 1);
  y.assign(p.y_size(), T(0));
  dx.assign(p.x_size(), T(0));
  dw.assign(p.w_size(), T(0));
  db.assign(p.C_out, T(0));
  cpu::conv2d_forward<T>(p, x.data(), w.data(), p.has_bias ? b.data() : nullptr, y.data(), ws.data());
  cpu::conv2d_backward_data<T>(p, dy.data(), w.data(), dx.data(), ws.data());
  cpu::conv2d_backward_weights<T>(p, x.data(), dy.data(), dw.data(), p.has_bias ? db.data() : nullptr,
                                  ws.data());
}

inline ConvOracle cpu_oracle(const Conv2dParams& p, const ConvInputs& in) {
  ConvOracle o;
  cpu_conv_all<float>(p, in.x, in.w, in.b, in.dy, o.f.y, o.f.dx, o.f.dw, o.f.db);
  const auto xd = to_double(in.x), wd = to_double(in.w), bd = to_double(in.b), dyd = to_double(in.dy);
  cpu_conv_all<double>(p, xd, wd, bd, dyd, o.y, o.dx, o.dw, o.db);
  cpu_conv_all<double>(p, abs_of(xd), abs_of(wd), abs_of(bd), abs_of(dyd), o.y_mag, o.dx_mag, o.dw_mag,
                       o.db_mag);
  return o;
}

// The three ops on a backend, outputs poisoned with NaN first.
inline ConvResult gpu_conv_all(Backend& be, const Conv2dParams& p, const ConvInputs& in) {
  DeviceBuf<float> x(be, in.x), w(be, in.w), b(be, in.b), dy(be, in.dy);
  DeviceBuf<float> y(be, p.y_size()), dx(be, p.x_size()), dw(be, p.w_size()), db(be, p.C_out);
  DeviceBuf<char> ws(be, int64_t(be.conv2d_workspace_bytes(p)));
  for (DeviceBuf<float>* o : {&y, &dx, &dw, &db}) o->poison(kNaNf);
  be.conv2d_forward(p, x.get(), w.get(), p.has_bias ? b.get() : nullptr, y.get(), ws.get());
  be.conv2d_backward_data(p, dy.get(), w.get(), dx.get(), ws.get());
  be.conv2d_backward_weights(p, x.get(), dy.get(), dw.get(), p.has_bias ? db.get() : nullptr, ws.get());
  return {y.download(), dx.download(), dw.download(), db.download()};
}

}  // namespace convnet::test
