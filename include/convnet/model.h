// convnet/model.h: a model description and its shape inference.
//
// A model is a small text file (format: docs/model-format.md), parsed into a
// ModelDesc: an input shape and a chain of layers. infer_shapes() walks the
// chain for a given batch size and fills in every layer's input/output
// shapes, the exact op-params struct each backend call will receive, the
// parameter count, the MACs and the receptive field. The graph (graph.h)
// plans memory and schedules ops from that result; nothing else re-derives
// a shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convnet/op_params.h"

namespace convnet {

enum class LayerType { Conv2d, MaxPool2d, ReLU, Linear, SoftmaxCE };

const char* layer_type_name(LayerType t);

struct LayerDesc {
  LayerType type = LayerType::ReLU;
  std::string name;  // e.g. "C1"; generated ("relu3") when the file gives none
  int line = 0;      // line in the model file, for error messages
  // conv / linear
  int out = 0;  // output channels (conv) or features (linear)
  bool bias = true;
  // conv / pool windows
  int kh = 1, kw = 1;
  int pad_h = 0, pad_w = 0;
  int stride_h = 1, stride_w = 1;
  int dil_h = 1, dil_w = 1;
  // linear only: the input feature count the file declares with `in=`
  // (0 = not declared). infer_shapes() checks it against the previous layer.
  int in = 0;
};

struct ModelDesc {
  std::string name;    // file stem, e.g. "lenet5"
  std::string source;  // file name for error messages ("models/lenet5.net"); may be empty
  int in_c = 1, in_h = 1, in_w = 1;
  std::vector<LayerDesc> layers;
};

// Throws convnet::Error naming the file, line and problem (unknown layer,
// bad number, missing input line...).
ModelDesc parse_model(const std::string& text, const std::string& source_name);
ModelDesc load_model_file(const std::string& path);

struct Shape3 {
  int c = 0, h = 0, w = 0;
  int64_t size() const { return int64_t(c) * h * w; }
};

struct LayerInfo {
  LayerDesc desc;
  Shape3 in, out;           // per sample
  Conv2dParams conv;        // valid when desc.type == Conv2d
  Pool2dParams pool;        // valid when desc.type == MaxPool2d
  LinearParams linear;      // valid when desc.type == Linear
  int64_t weight_count = 0; // weights (no bias)
  int64_t bias_count = 0;
  int64_t macs = 0;         // per sample, forward
  int64_t activations = 0;  // per-sample output elements (e.g. ReLU evaluations)
  // Receptive field of one output element in input pixels, and the distance
  // in input pixels between neighbouring outputs (the "jump").
  int rf_h = 1, rf_w = 1, jump_h = 1, jump_w = 1;
};

// Shapes for a batch of N. Throws convnet::Error naming the layer and the
// shapes when something does not fit (kernel larger than padded input, a
// softmax that is not last, ...).
std::vector<LayerInfo> infer_shapes(const ModelDesc& m, int N);

// Totals over infer_shapes()' result: parameters (weights + biases) and
// forward MACs, both per sample.
int64_t count_params(const std::vector<LayerInfo>& layers);
int64_t count_macs(const std::vector<LayerInfo>& layers);

// The --summary table: per layer output shape, params, MACs, receptive
// field; then totals. `peak_activation_bytes` comes from the memory plan.
std::string format_summary(const ModelDesc& m, const std::vector<LayerInfo>& layers, int N,
                           int64_t peak_activation_bytes);

}  // namespace convnet
