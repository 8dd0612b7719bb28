// benchmarks/op_tensors.cpp: tensor lists, random inputs and the op call.
#include "op_tensors.h"

#include <algorithm>

#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "convnet/rng.h"

namespace convnet::bench {

std::vector<TensorSpec> op_tensors(const OpCase& c) {
  using R = TensorRole;
  const Conv2dParams& cp = c.conv;
  const Pool2dParams& pp = c.pool;
  const LinearParams& lp = c.linear;
  const int64_t lin_x = int64_t(lp.N) * lp.in, lin_w = int64_t(lp.out) * lp.in;
  const int64_t lin_y = int64_t(lp.N) * lp.out, lin_b = lp.has_bias ? lp.out : 0;
  switch (c.op) {
    case OpKind::ConvFwd:
      return {{"x", false, cp.x_size(), R::In}, {"w", false, cp.w_size(), R::In},
              {"b", false, cp.b_size(), R::In}, {"y", false, cp.y_size(), R::Out}};
    case OpKind::ConvBwdData:
      return {{"dy", false, cp.y_size(), R::In}, {"w", false, cp.w_size(), R::In},
              {"dx", false, cp.x_size(), R::Out}};
    case OpKind::ConvBwdWeights:
      return {{"x", false, cp.x_size(), R::In}, {"dy", false, cp.y_size(), R::In},
              {"dw", false, cp.w_size(), R::Out}, {"db", false, cp.b_size(), R::Out}};
    case OpKind::PoolFwd:
      return {{"x", false, pp.x_size(), R::In}, {"y", false, pp.y_size(), R::Out},
              {"argmax", true, pp.y_size(), R::Out}};
    case OpKind::PoolBwd:  // x and y: the forward's, for a backward from x and y (cudnn)
      return {{"dy", false, pp.y_size(), R::In}, {"argmax", true, pp.y_size(), R::In},
              {"dx", false, pp.x_size(), R::Out}, {"x", false, pp.x_size(), R::In},
              {"y", false, pp.y_size(), R::In}};
    case OpKind::ReluFwd:
      return {{"x", false, c.n, R::In}, {"y", false, c.n, R::Out}};
    case OpKind::ReluBwd:
      return {{"y", false, c.n, R::In}, {"dy", false, c.n, R::In}, {"dx", false, c.n, R::Out}};
    case OpKind::LinearFwd:
      return {{"x", false, lin_x, R::In}, {"W", false, lin_w, R::In}, {"b", false, lin_b, R::In},
              {"y", false, lin_y, R::Out}};
    case OpKind::LinearBwd:
      return {{"x", false, lin_x, R::In},  {"W", false, lin_w, R::In},  {"dy", false, lin_y, R::In},
              {"dx", false, lin_x, R::Out}, {"dW", false, lin_w, R::Out}, {"db", false, lin_b, R::Out}};
    case OpKind::SoftmaxCE: {
      const int64_t nk = int64_t(c.batch) * c.classes;
      return {{"logits", false, nk, R::In},      {"labels", true, c.batch, R::In},
              {"dlogits", false, nk, R::Out},    {"loss", false, 1, R::Out},
              {"correct", true, c.batch, R::Out}, {"first_bad_step", true, 1, R::Scratch}};
    }
  }
  throw_error("internal: unknown op kind");
}

std::vector<HostTensor> random_inputs(const OpCase& c, uint64_t seed) {
  Rng rng(seed);
  const std::vector<TensorSpec> specs = op_tensors(c);
  std::vector<HostTensor> host(specs.size());
  for (size_t k = 0; k < specs.size(); ++k) {
    const TensorSpec& s = specs[k];
    if (s.role == TensorRole::Out) continue;
    if (s.is_int) {
      host[k].i.resize(size_t(s.count));
      // labels in [0, K); the divergence flag starts at -1 as in the trainer.
      for (auto& v : host[k].i) v = (c.op == OpKind::SoftmaxCE && k == 1) ? int32_t(rng.below(uint64_t(c.classes))) : -1;
    } else {
      host[k].f.resize(size_t(s.count));
      for (auto& v : host[k].f) v = float(rng.uniform(-1.0, 1.0));
    }
  }
  if (c.op == OpKind::ReluBwd)  // y is a ReLU output
    for (auto& v : host[0].f) v = std::max(v, 0.0f);
  if (c.op == OpKind::PoolBwd) {
    // A real argmax and y: pool the random x on the CPU.
    cpu::maxpool2d_forward<float>(c.pool, host[3].f.data(), host[4].f.data(), host[1].i.data());
  }
  return host;
}

void launch_op(Backend& be, const OpCase& c, void* const* t, void* ws) {
  auto F = [&](int k) { return static_cast<float*>(t[k]); };
  auto I = [&](int k) { return static_cast<int32_t*>(t[k]); };
  switch (c.op) {
    case OpKind::ConvFwd:
      be.conv2d_forward(c.conv, F(0), F(1), c.conv.has_bias ? F(2) : nullptr, F(3), ws);
      return;
    case OpKind::ConvBwdData:
      be.conv2d_backward_data(c.conv, F(0), F(1), F(2), ws);
      return;
    case OpKind::ConvBwdWeights:
      be.conv2d_backward_weights(c.conv, F(0), F(1), F(2), c.conv.has_bias ? F(3) : nullptr, ws);
      return;
    case OpKind::PoolFwd:
      be.maxpool2d_forward(c.pool, F(0), F(1), I(2));
      return;
    case OpKind::PoolBwd:
      if (c.pool_from_xy) be.maxpool2d_backward_from_xy(c.pool, F(3), F(4), F(0), F(2));
      else be.maxpool2d_backward(c.pool, F(0), I(1), F(2));
      return;
    case OpKind::ReluFwd:
      be.relu_forward(c.n, F(0), F(1));
      return;
    case OpKind::ReluBwd:
      be.relu_backward(c.n, F(0), F(1), F(2));
      return;
    case OpKind::LinearFwd:
      be.linear_forward(c.linear, F(0), F(1), c.linear.has_bias ? F(2) : nullptr, F(3));
      return;
    case OpKind::LinearBwd:
      be.linear_backward(c.linear, F(0), F(1), F(2), F(3), F(4), c.linear.has_bias ? F(5) : nullptr);
      return;
    case OpKind::SoftmaxCE:
      be.softmax_ce(c.batch, c.classes, F(0), I(1), F(2), F(3), I(4), I(5), 0);
      return;
  }
}

}  // namespace convnet::bench
