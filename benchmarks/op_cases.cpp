// benchmarks/op_cases.cpp: the LeNet-5 layers and the larger shapes.
#include "op_cases.h"

#include <initializer_list>

namespace convnet::bench {

namespace {

// One case per op kind, all on the same shape.
void add_ops(std::vector<OpCase>& out, std::initializer_list<OpKind> kinds, OpCase c) {
  for (OpKind k : kinds) {
    c.op = k;
    out.push_back(c);
  }
}

OpCase shape_case(const std::string& shape, int batch) {
  OpCase c;
  c.shape = shape;
  c.batch = batch;
  return c;
}

void add_conv(std::vector<OpCase>& out, const std::string& shape, const Conv2dParams& p) {
  OpCase c = shape_case(shape, p.N);
  c.conv = p;
  add_ops(out, {OpKind::ConvFwd, OpKind::ConvBwdData, OpKind::ConvBwdWeights}, c);
}

void add_pool(std::vector<OpCase>& out, const std::string& shape, const Pool2dParams& p) {
  OpCase c = shape_case(shape, p.N);
  c.pool = p;
  add_ops(out, {OpKind::PoolFwd, OpKind::PoolBwd}, c);
}

void add_relu(std::vector<OpCase>& out, const std::string& shape, int batch, int64_t n) {
  OpCase c = shape_case(shape, batch);
  c.n = n;
  add_ops(out, {OpKind::ReluFwd, OpKind::ReluBwd}, c);
}

void add_linear(std::vector<OpCase>& out, const std::string& shape, const LinearParams& p) {
  OpCase c = shape_case(shape, p.N);
  c.linear = p;
  add_ops(out, {OpKind::LinearFwd, OpKind::LinearBwd}, c);
}

void add_softmax(std::vector<OpCase>& out, const std::string& shape, int batch, int classes) {
  OpCase c = shape_case(shape, batch);
  c.classes = classes;
  add_ops(out, {OpKind::SoftmaxCE}, c);
}

Conv2dParams conv(int N, int C_in, int H, int W, int C_out, int k, int pad, int stride, int dil) {
  Conv2dParams p;
  p.N = N;
  p.C_in = C_in;
  p.H = H;
  p.W = W;
  p.C_out = C_out;
  p.KH = p.KW = k;
  p.pad_h = p.pad_w = pad;
  p.stride_h = p.stride_w = stride;
  p.dil_h = p.dil_w = dil;
  return p;
}

}  // namespace

std::vector<OpCase> model_op_cases(const ModelDesc& model, const std::vector<int>& batches) {
  std::vector<OpCase> out;
  for (int batch : batches) {
    for (const LayerInfo& li : infer_shapes(model, batch)) {
      switch (li.desc.type) {
        case LayerType::Conv2d: add_conv(out, li.desc.name, li.conv); break;
        case LayerType::MaxPool2d: add_pool(out, li.desc.name, li.pool); break;
        case LayerType::ReLU: add_relu(out, li.desc.name, batch, int64_t(batch) * li.out.size()); break;
        case LayerType::Linear: add_linear(out, li.desc.name, li.linear); break;
        case LayerType::SoftmaxCE: add_softmax(out, li.desc.name, batch, int(li.in.size())); break;
      }
    }
  }
  return out;
}

std::vector<OpCase> large_op_cases() {
  std::vector<OpCase> out;
  const Conv2dParams big = conv(32, 64, 56, 56, 64, 3, 1, 1, 1);
  add_conv(out, "conv64x56", big);
  add_relu(out, "relu64x56", big.N, big.y_size());
  Pool2dParams pool;
  pool.N = 32;
  pool.C = 64;
  pool.H = pool.W = 56;
  add_pool(out, "pool64x56", pool);
  add_conv(out, "conv3x128", conv(8, 3, 128, 128, 32, 5, 0, 1, 1));
  add_conv(out, "conv_s2", conv(16, 32, 56, 56, 64, 3, 1, 2, 1));
  add_conv(out, "conv_d2", conv(16, 32, 28, 28, 32, 3, 2, 1, 2));
  Pool2dParams p3 = pool;
  p3.KH = p3.KW = 3;
  p3.pad_h = p3.pad_w = 1;
  add_pool(out, "pool3s2", p3);
  LinearParams fc;
  fc.N = 256;
  fc.in = fc.out = 1024;
  add_linear(out, "fc1024", fc);
  add_softmax(out, "softmax1000", 256, 1000);
  return out;
}

}  // namespace convnet::bench
