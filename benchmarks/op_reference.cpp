// benchmarks/op_reference.cpp: double-precision reference and tolerances.
#include "op_reference.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>

#include "convnet/cpu_ops.h"
#include "convnet/error.h"

namespace convnet::bench {

namespace {

using Vec = std::vector<double>;

Vec to_double(const std::vector<float>& v, bool absolute) {
  Vec d(v.size());
  for (size_t i = 0; i < v.size(); ++i) d[i] = absolute ? std::fabs(double(v[i])) : double(v[i]);
  return d;
}

// tol = len * eps * abs_sum, element-wise.
Vec tolerance(const Vec& abs_sum, double len) {
  Vec t(abs_sum.size());
  for (size_t i = 0; i < t.size(); ++i) t[i] = len * double(FLT_EPSILON) * abs_sum[i];
  return t;
}

double* ptr(Vec& v) { return v.empty() ? nullptr : v.data(); }

// Runs `op` on the inputs and on their absolute values; fills out[k].ref and
// the abs sums into abs[k] for the output slots.
template <class Op>
void twice(const std::vector<HostTensor>& in, Op op, std::vector<Expected>& out, std::vector<Vec>& abs) {
  std::vector<Vec> plain(in.size()), absolute(in.size());
  for (size_t k = 0; k < in.size(); ++k) {
    plain[k] = to_double(in[k].f, false);
    absolute[k] = to_double(in[k].f, true);
  }
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k].ref.empty()) continue;
    plain[k].assign(out[k].ref.size(), 0.0);  // output slots: sized by the caller
    absolute[k].assign(out[k].ref.size(), 0.0);
  }
  op(plain);
  op(absolute);
  abs.resize(in.size());
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k].ref.empty()) continue;
    out[k].ref = plain[k];
    abs[k] = absolute[k];
  }
}

}  // namespace

std::vector<Expected> reference_outputs(const OpCase& c, const std::vector<HostTensor>& in) {
  const std::vector<TensorSpec> specs = op_tensors(c);
  std::vector<Expected> out(specs.size());
  for (size_t k = 0; k < specs.size(); ++k)
    if (specs[k].role == TensorRole::Out && !specs[k].is_int) out[k].ref.assign(size_t(specs[k].count), 0.0);
  std::vector<Vec> abs;
  const Conv2dParams& cp = c.conv;
  Vec ws(cpu::conv2d_workspace_elems<double>(cp) + 1);

  switch (c.op) {
    case OpKind::ConvFwd:
      twice(in, [&](std::vector<Vec>& t) { cpu::conv2d_forward<double>(cp, t[0].data(), t[1].data(), ptr(t[2]), t[3].data(), ws.data()); }, out, abs);
      out[3].tol = tolerance(abs[3], double(cp.K() + 1));
      break;
    case OpKind::ConvBwdData:
      twice(in, [&](std::vector<Vec>& t) { cpu::conv2d_backward_data<double>(cp, t[0].data(), t[1].data(), t[2].data(), ws.data()); }, out, abs);
      out[2].tol = tolerance(abs[2], double(cp.C_out) * cp.KH * cp.KW);
      break;
    case OpKind::ConvBwdWeights: {
      twice(in, [&](std::vector<Vec>& t) { cpu::conv2d_backward_weights<double>(cp, t[0].data(), t[1].data(), t[2].data(), ptr(t[3]), ws.data()); }, out, abs);
      const double len = double(cp.N) * cp.OH() * cp.OW();
      out[2].tol = tolerance(abs[2], len);
      out[3].tol = tolerance(abs[3], len);
      break;
    }
    case OpKind::PoolFwd: {
      const Vec x = to_double(in[0].f, false);
      out[2].ref_i.resize(size_t(c.pool.y_size()));
      cpu::maxpool2d_forward<double>(c.pool, x.data(), out[1].ref.data(), out[2].ref_i.data());
      out[1].tol.assign(out[1].ref.size(), 0.0);
      break;
    }
    case OpKind::PoolBwd: {
      // Overlapping windows add several gradients into one input cell.
      const Pool2dParams& p = c.pool;
      const double len = double((p.KH + p.stride_h - 1) / p.stride_h) * ((p.KW + p.stride_w - 1) / p.stride_w);
      for (int pass = 0; pass < 2; ++pass) {
        const Vec dy = to_double(in[0].f, pass == 1);
        Vec dx(size_t(p.x_size()));
        cpu::maxpool2d_backward<double>(p, dy.data(), in[1].i.data(), dx.data());
        if (pass == 0) out[2].ref = dx;
        else out[2].tol = tolerance(dx, len);
      }
      break;
    }
    case OpKind::ReluFwd: {
      const Vec x = to_double(in[0].f, false);
      cpu::relu_forward<double>(c.n, x.data(), out[1].ref.data());
      out[1].tol.assign(out[1].ref.size(), 0.0);
      break;
    }
    case OpKind::ReluBwd: {
      const Vec y = to_double(in[0].f, false), dy = to_double(in[1].f, false);
      cpu::relu_backward<double>(c.n, y.data(), dy.data(), out[2].ref.data());
      out[2].tol.assign(out[2].ref.size(), 0.0);
      break;
    }
    case OpKind::LinearFwd:
      twice(in, [&](std::vector<Vec>& t) { cpu::linear_forward<double>(c.linear, t[0].data(), t[1].data(), ptr(t[2]), t[3].data()); }, out, abs);
      out[3].tol = tolerance(abs[3], double(c.linear.in + 1));
      break;
    case OpKind::LinearBwd:
      twice(in, [&](std::vector<Vec>& t) { cpu::linear_backward<double>(c.linear, t[0].data(), t[1].data(), t[2].data(), t[3].data(), t[4].data(), ptr(t[5])); }, out, abs);
      out[3].tol = tolerance(abs[3], double(c.linear.out));
      out[4].tol = tolerance(abs[4], double(c.linear.N));
      out[5].tol = tolerance(abs[5], double(c.linear.N));
      break;
    case OpKind::SoftmaxCE: {
      // exp/log are not a plain sum of products: allow 8*K eps relative to
      // the gradient's natural scale 1/N, and (N + K) terms for the mean loss.
      const int N = c.batch, K = c.classes;
      const Vec logits = to_double(in[0].f, false);
      out[4].ref_i.resize(size_t(N));
      const double loss = cpu::softmax_ce<double>(N, K, logits.data(), in[1].i.data(), out[2].ref.data(), out[4].ref_i.data());
      out[3].ref = {loss};
      out[3].tol = {8.0 * (N + K) * double(FLT_EPSILON) * (std::fabs(loss) + 1.0)};
      out[2].tol.resize(out[2].ref.size());
      for (size_t i = 0; i < out[2].ref.size(); ++i)
        out[2].tol[i] = 8.0 * K * double(FLT_EPSILON) * (std::fabs(out[2].ref[i]) + 1.0 / N);
      break;
    }
  }
  return out;
}

CheckResult compare_outputs(const OpCase& c, const std::vector<Expected>& want, const std::vector<HostTensor>& got) {
  const std::vector<TensorSpec> specs = op_tensors(c);
  CheckResult r;
  char buf[256];
  for (size_t k = 0; k < specs.size(); ++k) {
    if (specs[k].role != TensorRole::Out) continue;
    if (specs[k].is_int) {
      for (size_t i = 0; i < want[k].ref_i.size(); ++i) {
        if (got[k].i[i] != want[k].ref_i[i]) {
          if (r.ok) {
            std::snprintf(buf, sizeof buf, "%s[%zu] = %d, want %d (must match exactly)", specs[k].name, i,
                          got[k].i[i], want[k].ref_i[i]);
            r.detail = buf;
          }
          r.ok = false;
          r.worst = std::numeric_limits<double>::infinity();
        }
      }
      continue;
    }
    for (size_t i = 0; i < want[k].ref.size(); ++i) {
      const double g = double(got[k].f[i]), w = want[k].ref[i], t = want[k].tol[i];
      const double err = std::fabs(g - w);
      double ratio = 0;
      if (!std::isfinite(g)) ratio = std::numeric_limits<double>::infinity();
      else if (err > 0) ratio = t > 0 ? err / t : std::numeric_limits<double>::infinity();
      if (ratio > r.worst) r.worst = ratio;
      if (ratio > 1.0 && r.ok) {
        r.ok = false;
        std::snprintf(buf, sizeof buf, "%s[%zu] = %.9g, want %.9g (|err| %.3g > tol %.3g)", specs[k].name, i, g,
                      w, err, t);
        r.detail = buf;
      }
    }
  }
  return r;
}

}  // namespace convnet::bench
