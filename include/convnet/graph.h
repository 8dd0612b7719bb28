// convnet/graph.h: a model placed on a backend: memory plan + schedule.
//
// Network takes a ModelDesc, infers shapes for a batch size, and then, once,
// at construction:
//   - allocates ONE flat buffer each for parameters, gradients and momentum
//     (so SGD is a single call over all parameters);
//   - plans the activation / gradient / argmax tensors with liveness-based
//     reuse into ONE arena (graph_memory_plan.cpp), and allocates it;
//   - allocates one conv workspace, sized for the hungriest conv layer;
//   - tells the backend each layer's name and shape first (Backend::plan_*),
//     so it can choose algorithms once and shape the plan (a pool layer whose
//     backend recomputes maxima from x and y keeps those alive instead of an
//     argmax tensor).
// After that, forward()/loss()/backward()/sgd_step() only run ops: nothing in
// the training loop allocates.
//
// Schedule: forward in layer order, backward in reverse. The model is a
// chain, so topological order is the file order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convnet/backend.h"
#include "convnet/model.h"

namespace convnet {

// A parameter tensor inside the flat parameter buffer.
struct ParamSlice {
  std::string name;            // "C1.weight", "C1.bias"
  int layer = 0;               // index into layers()
  bool is_bias = false;
  int64_t offset = 0;          // in floats, within params()/grads()/momentum()
  int64_t count = 0;
  int64_t fan_in = 0;          // C_in*KH*KW (conv) or in (linear)
  std::vector<int64_t> shape;  // [C_out, C_in, KH, KW], [out, in] or [out]
};

// The memory plan: every planned tensor's lifetime and offset in the arena.
struct PlannedTensor {
  std::string name;   // "C1.out", "C3.grad", "S2.argmax"
  int64_t bytes = 0;
  int first = 0;      // first schedule step that writes it
  int last = 0;       // last schedule step that reads it
  int64_t offset = 0; // byte offset in the arena (64-byte aligned)
};

struct MemoryPlan {
  std::vector<PlannedTensor> tensors;
  int64_t arena_bytes = 0;  // what liveness-based reuse needs
  int64_t naive_bytes = 0;  // what one buffer per tensor would need
};

// Greedy first-fit by decreasing size: tensors whose [first, last] intervals
// overlap never share bytes. Exposed for tests.
void plan_memory(std::vector<PlannedTensor>& tensors, MemoryPlan& out);

class Network {
 public:
  Network(const ModelDesc& model, int batch, Backend& backend);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const ModelDesc& model() const { return model_; }
  const std::vector<LayerInfo>& layers() const { return layers_; }
  int batch() const { return batch_; }
  Backend& backend() { return be_; }
  int num_classes() const { return layers_.back().in.c * layers_.back().in.h * layers_.back().in.w; }
  int64_t input_elems() const { return int64_t(model_.in_c) * model_.in_h * model_.in_w; }

  // Backend memory the caller fills before forward(): [batch, C, H, W] and [batch].
  float* input() { return input_; }
  int32_t* labels() { return labels_; }
  const float* logits() const { return acts_.back(); }
  // The output of layer i (backend memory, [n, out.c, out.h, out.w]) as the
  // last forward(n) left it, for inspection (feature maps). The memory plan
  // reuses buffers, so only outputs still live at the end of forward() can
  // be read: ReLU outputs, inputs of conv/linear layers and the logits. For
  // any other layer this is an Error naming it (read the ReLU after it).
  const float* layer_output(int i) const;

  // Runs the layers on the first n <= batch samples of input().
  void forward(int n);
  // Softmax cross-entropy on the logits of the first n samples (see
  // Backend::softmax_ce); also leaves d(loss)/d(logits) ready for backward().
  void loss(int n, float* loss_out, int32_t* correct, int32_t* first_bad_step, int32_t step);
  // Gradients of the mean loss w.r.t. every parameter (overwrites grads()).
  void backward(int n);
  void sgd_step(const SgdParams& s);

  // Parameters (backend memory).
  int64_t param_count() const { return param_count_; }
  float* params() { return params_; }
  float* grads() { return grads_; }
  float* momentum() { return momentum_; }
  const std::vector<ParamSlice>& param_slices() const { return slices_; }
  // Host copies in/out of the flat parameter (or momentum) buffer.
  std::vector<float> download_params() const;
  void upload_params(const std::vector<float>& host);
  std::vector<float> download_momentum() const;
  void upload_momentum(const std::vector<float>& host);

  const MemoryPlan& memory_plan() const { return plan_; }
  // Bytes this network holds on the backend: arena + params/grads/momentum +
  // workspace + input/labels.
  int64_t total_bytes() const { return total_bytes_; }

 private:
  void* arena_ptr(const PlannedTensor& t) const;

  ModelDesc model_;
  std::vector<LayerInfo> layers_;
  int batch_;
  Backend& be_;

  // Owned backend allocations (freed in the destructor).
  std::vector<void*> owned_;
  void* arena_ = nullptr;
  void* workspace_ = nullptr;
  float* input_ = nullptr;
  int32_t* labels_ = nullptr;
  float* params_ = nullptr;
  float* grads_ = nullptr;
  float* momentum_ = nullptr;
  int64_t param_count_ = 0;
  int64_t total_bytes_ = 0;

  // Per layer i: acts_[i] is its input, acts_[i+1] its output (acts_[0] is
  // input()); grads_of_[i] is d(loss)/d(acts_[i]) (nullptr where not needed);
  // argmax_[i] for pooling layers.
  std::vector<float*> acts_;
  std::vector<float*> grads_of_;
  std::vector<int32_t*> argmax_;      // nullptr where pool_from_xy_
  std::vector<bool> pool_from_xy_;    // pool backward reads x, y (Backend::plan_maxpool2d)
  std::vector<int64_t> weight_off_, bias_off_;  // -1 when absent
  std::vector<ParamSlice> slices_;
  MemoryPlan plan_;
};

}  // namespace convnet
