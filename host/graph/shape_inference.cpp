// shape_inference.cpp: walks a ModelDesc for a batch of N and fills one
// LayerInfo per layer: input/output shapes, the op-params struct each backend
// call will receive, parameter and MAC counts, and the receptive field.
//
// Shapes are per sample (C x H x W); the params structs carry N. Everything
// downstream (graph, bench, summary) reads shapes from here and never
// re-derives them, so every check that layers fit together lives here too.
//
// Receptive field (rf) and jump, per axis, in input pixels: the standard
// recurrence
//     k_eff = dilation * (k - 1) + 1
//     rf   += (k_eff - 1) * jump
//     jump *= stride
// starting from rf = 1, jump = 1 at the input. ReLU leaves both unchanged.
// linear and softmax_ce read their whole input map at once, so they act like
// a window covering all of it (k_eff = H, stride = H): their rf is the union
// of the rfs of every input position, which for a net that reaches every
// pixel is the full input extent (LeNet-5: 32x32).
#include <climits>
#include <string>
#include <vector>

#include "convnet/error.h"
#include "convnet/model.h"

namespace convnet {

namespace {

// Spatial sizes stay far below int overflow (padding can grow a map).
constexpr int64_t kMaxExtent = 1 << 24;

std::string shape_str(const Shape3& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

// An (h, w) pair as "HxW", for messages.
std::string pair_str(int h, int w) { return std::to_string(h) + "x" + std::to_string(w); }

// "C3 (conv 5x5, pad 0)" / "S2 (maxpool 2x2, stride 2, pad 0)": how a message names a layer.
std::string layer_label(const LayerDesc& d) {
  std::string s = d.name + " (" + layer_type_name(d.type);
  if (d.type == LayerType::Conv2d || d.type == LayerType::MaxPool2d) {
    s += " " + pair_str(d.kh, d.kw);
    if (d.type == LayerType::MaxPool2d || d.stride_h != 1 || d.stride_w != 1)
      s += ", stride " + (d.stride_h == d.stride_w ? std::to_string(d.stride_h) : pair_str(d.stride_h, d.stride_w));
    s += ", pad " + (d.pad_h == d.pad_w ? std::to_string(d.pad_h) : pair_str(d.pad_h, d.pad_w));
    if (d.dil_h != 1 || d.dil_w != 1)
      s += ", dilation " + (d.dil_h == d.dil_w ? std::to_string(d.dil_h) : pair_str(d.dil_h, d.dil_w));
  }
  return s + ")";
}

// Message prefix: "models/lenet5.net:7: " when the layer came from a file.
std::string where(const ModelDesc& m, const LayerDesc& d) {
  if (m.source.empty() || d.line <= 0) return m.name.empty() ? "" : "model " + m.name + ": ";
  return m.source + ":" + std::to_string(d.line) + ": ";
}

template <class... Args>
[[noreturn]] void fail_layer(const ModelDesc& m, const LayerDesc& d, const Args&... args) {
  throw_error(where(m, d), layer_label(d), ": ", args...);
}

// Values a ModelDesc built in code could get wrong (the parser already
// rejects these in files).
void check_layer_numbers(const ModelDesc& m, const LayerDesc& d) {
  const bool windowed = d.type == LayerType::Conv2d || d.type == LayerType::MaxPool2d;
  if ((d.type == LayerType::Conv2d || d.type == LayerType::Linear) && d.out <= 0)
    fail_layer(m, d, "out=", d.out, " must be positive");
  if (!windowed) return;
  if (d.kh <= 0 || d.kw <= 0) fail_layer(m, d, "kernel ", pair_str(d.kh, d.kw), " must be positive");
  if (d.stride_h <= 0 || d.stride_w <= 0)
    fail_layer(m, d, "stride ", pair_str(d.stride_h, d.stride_w), " must be positive");
  if (d.dil_h <= 0 || d.dil_w <= 0)
    fail_layer(m, d, "dilation ", pair_str(d.dil_h, d.dil_w), " must be positive");
  if (d.pad_h < 0 || d.pad_w < 0) fail_layer(m, d, "pad ", pair_str(d.pad_h, d.pad_w), " must not be negative");
  if (d.type == LayerType::MaxPool2d && (d.dil_h != 1 || d.dil_w != 1))
    fail_layer(m, d, "maxpool has no dilation");
  if (d.type == LayerType::MaxPool2d && (d.pad_h >= d.kh || d.pad_w >= d.kw))
    fail_layer(m, d, "pad ", pair_str(d.pad_h, d.pad_w), " must be smaller than the window");
}

// Output length along one axis, computed in 64 bits so absurd values cannot
// overflow; 0 when the (dilated) window does not fit in the padded input.
int64_t out_len(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil) {
  const int64_t span = dil * (k - 1) + 1;
  const int64_t padded = in + 2 * pad;
  if (padded < span) return 0;
  return (padded - span) / stride + 1;
}

// A flattened size must fit the int fields of LinearParams.
int flat_features(const ModelDesc& m, const LayerDesc& d, const Shape3& in) {
  if (in.size() > INT_MAX) fail_layer(m, d, "input ", shape_str(in), " has too many features to flatten");
  return int(in.size());
}

}  // namespace

std::vector<LayerInfo> infer_shapes(const ModelDesc& m, int N) {
  const std::string model_label = m.source.empty() ? "model " + m.name : m.source;
  if (N <= 0) throw_error(model_label, ": batch size N=", N, " must be positive");
  if (m.in_c <= 0 || m.in_h <= 0 || m.in_w <= 0)
    throw_error(model_label, ": input ", m.in_c, "x", m.in_h, "x", m.in_w, " must have positive sizes");
  if (m.layers.empty()) throw_error(model_label, ": the model has no layers");

  // The loss closes the chain: exactly one softmax_ce, and it is last.
  const LayerDesc& last = m.layers.back();
  for (size_t i = 0; i + 1 < m.layers.size(); ++i) {
    const LayerDesc& d = m.layers[i];
    if (d.type == LayerType::SoftmaxCE)
      throw_error(where(m, d), "softmax_ce '", d.name, "' must be the last layer, but '", m.layers[i + 1].name,
                  "' follows it");
  }
  if (last.type != LayerType::SoftmaxCE)
    throw_error(model_label, ": the last layer must be softmax_ce (the loss), but it is ", layer_type_name(last.type),
                " '", last.name, "'");

  std::vector<LayerInfo> out;
  out.reserve(m.layers.size());
  Shape3 cur{m.in_c, m.in_h, m.in_w};
  // 64-bit so a pathological chain is reported instead of overflowing.
  int64_t rf_h = 1, rf_w = 1, jump_h = 1, jump_w = 1;

  for (const LayerDesc& d : m.layers) {
    check_layer_numbers(m, d);
    LayerInfo L;
    L.desc = d;
    L.in = cur;

    switch (d.type) {
      case LayerType::Conv2d: {
        const int64_t oh = out_len(cur.h, d.kh, d.pad_h, d.stride_h, d.dil_h);
        const int64_t ow = out_len(cur.w, d.kw, d.pad_w, d.stride_w, d.dil_w);
        if (oh > kMaxExtent || ow > kMaxExtent)
          fail_layer(m, d, "output ", oh, "x", ow, " is too large (limit ", kMaxExtent, " per side)");
        if (oh <= 0 || ow <= 0) {
          if (d.dil_h != 1 || d.dil_w != 1)
            fail_layer(m, d, "input ", shape_str(cur), " is smaller than the dilated kernel (",
                       pair_str(d.dil_h * (d.kh - 1) + 1, d.dil_w * (d.kw - 1) + 1), ")");
          fail_layer(m, d, "input ", shape_str(cur), " is smaller than the kernel");
        }
        Conv2dParams& p = L.conv;
        p.N = N;
        p.C_in = cur.c;
        p.H = cur.h;
        p.W = cur.w;
        p.C_out = d.out;
        p.KH = d.kh;
        p.KW = d.kw;
        p.pad_h = d.pad_h;
        p.pad_w = d.pad_w;
        p.stride_h = d.stride_h;
        p.stride_w = d.stride_w;
        p.dil_h = d.dil_h;
        p.dil_w = d.dil_w;
        p.has_bias = d.bias;
        L.out = Shape3{d.out, p.OH(), p.OW()};
        L.weight_count = p.w_size();
        L.bias_count = p.b_size();
        L.macs = int64_t(d.out) * L.out.h * L.out.w * p.K();
        rf_h += (d.dil_h * (d.kh - 1)) * jump_h;
        rf_w += (d.dil_w * (d.kw - 1)) * jump_w;
        jump_h *= d.stride_h;
        jump_w *= d.stride_w;
        break;
      }
      case LayerType::MaxPool2d: {
        const int64_t oh = out_len(cur.h, d.kh, d.pad_h, d.stride_h, 1);
        const int64_t ow = out_len(cur.w, d.kw, d.pad_w, d.stride_w, 1);
        if (oh > kMaxExtent || ow > kMaxExtent)
          fail_layer(m, d, "output ", oh, "x", ow, " is too large (limit ", kMaxExtent, " per side)");
        if (oh <= 0 || ow <= 0) fail_layer(m, d, "input ", shape_str(cur), " is smaller than the window");
        Pool2dParams& p = L.pool;
        p.N = N;
        p.C = cur.c;
        p.H = cur.h;
        p.W = cur.w;
        p.KH = d.kh;
        p.KW = d.kw;
        p.stride_h = d.stride_h;
        p.stride_w = d.stride_w;
        p.pad_h = d.pad_h;
        p.pad_w = d.pad_w;
        L.out = Shape3{cur.c, p.OH(), p.OW()};
        rf_h += (d.kh - 1) * jump_h;
        rf_w += (d.kw - 1) * jump_w;
        jump_h *= d.stride_h;
        jump_w *= d.stride_w;
        break;
      }
      case LayerType::ReLU:
        L.out = cur;
        break;
      case LayerType::Linear: {
        // A linear layer after a conv or pool flattens C*H*W (NCHW order,
        // so the memory is already the [N, in] matrix it multiplies).
        const int in = flat_features(m, d, cur);
        if (d.in > 0 && d.in != in)
          fail_layer(m, d, "expects in=", d.in, " but the previous layer gives ", in,
                     cur.h * cur.w > 1 ? " (" + shape_str(cur) + " flattened)" : std::string());
        LinearParams& p = L.linear;
        p.N = N;
        p.in = in;
        p.out = d.out;
        p.has_bias = d.bias;
        L.out = Shape3{d.out, 1, 1};
        L.weight_count = int64_t(in) * d.out;
        L.bias_count = d.bias ? d.out : 0;
        L.macs = int64_t(in) * d.out;
        // Reads the whole map: a window of the full extent (see top).
        rf_h += (cur.h - 1) * jump_h;
        rf_w += (cur.w - 1) * jump_w;
        jump_h *= cur.h;
        jump_w *= cur.w;
        break;
      }
      case LayerType::SoftmaxCE: {
        // The logits are the flattened input: one class per element.
        const int classes = flat_features(m, d, cur);
        if (classes < 2)
          fail_layer(m, d, "needs at least 2 classes, but the previous layer gives ", shape_str(cur),
                     " (a 1-class softmax has zero loss and zero gradient)");
        L.out = Shape3{classes, 1, 1};
        rf_h += (cur.h - 1) * jump_h;
        rf_w += (cur.w - 1) * jump_w;
        jump_h *= cur.h;
        jump_w *= cur.w;
        break;
      }
    }
    L.activations = L.out.size();
    if (rf_h > INT_MAX || rf_w > INT_MAX || jump_h > INT_MAX || jump_w > INT_MAX)
      fail_layer(m, d, "receptive field ", rf_h, "x", rf_w, " overflows");
    L.rf_h = int(rf_h);
    L.rf_w = int(rf_w);
    L.jump_h = int(jump_h);
    L.jump_w = int(jump_w);
    cur = L.out;
    out.push_back(L);
  }
  return out;
}

int64_t count_params(const std::vector<LayerInfo>& layers) {
  int64_t n = 0;
  for (const LayerInfo& L : layers) n += L.weight_count + L.bias_count;
  return n;
}

int64_t count_macs(const std::vector<LayerInfo>& layers) {
  int64_t n = 0;
  for (const LayerInfo& L : layers) n += L.macs;
  return n;
}

}  // namespace convnet
