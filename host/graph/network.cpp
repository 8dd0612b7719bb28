// network.cpp: places a model on a backend and runs its schedule.
//
// See graph.h for the contract. The constructor does all allocation; the
// step functions only call backend ops.
#include <algorithm>

#include "convnet/error.h"
#include "convnet/graph.h"

namespace convnet {

namespace {

// Schedule step of layer i's backward in a network of L layers.
int backward_step(int L, int i) { return 2 * L - 1 - i; }

}  // namespace

Network::Network(const ModelDesc& model, int batch, Backend& backend)
    : model_(model), batch_(batch), be_(backend) {
  CONVNET_CHECK(batch > 0, "batch size must be positive, got ", batch);
  layers_ = infer_shapes(model_, batch);
  const int L = int(layers_.size());
  CONVNET_CHECK(L >= 1 && layers_.back().desc.type == LayerType::SoftmaxCE,
                "model '", model_.name, "' must end with a softmax_ce layer");

  // ---- parameters: one flat buffer, layer by layer, weight then bias ----
  weight_off_.assign(L, -1);
  bias_off_.assign(L, -1);
  for (int i = 0; i < L; ++i) {
    const LayerInfo& li = layers_[i];
    if (li.weight_count == 0) continue;
    ParamSlice w;
    w.name = li.desc.name + ".weight";
    w.layer = i;
    w.offset = param_count_;
    w.count = li.weight_count;
    if (li.desc.type == LayerType::Conv2d) {
      w.fan_in = li.conv.K();
      w.shape = {li.conv.C_out, li.conv.C_in, li.conv.KH, li.conv.KW};
    } else {
      w.fan_in = li.linear.in;
      w.shape = {li.linear.out, li.linear.in};
    }
    weight_off_[i] = param_count_;
    param_count_ += w.count;
    slices_.push_back(w);
    if (li.bias_count > 0) {
      ParamSlice b;
      b.name = li.desc.name + ".bias";
      b.layer = i;
      b.is_bias = true;
      b.offset = param_count_;
      b.count = li.bias_count;
      b.fan_in = w.fan_in;
      b.shape = {li.bias_count};
      bias_off_[i] = param_count_;
      param_count_ += b.count;
      slices_.push_back(b);
    }
  }

  // ---- plan-time hooks: the backend sees every layer's name and shape once ----
  // A pooling layer whose backend answers "backward reads x and y" (cudnn)
  // gets no argmax tensor; its input and output stay alive until its backward
  // instead. Layer 0 has no backward (nobody needs d(loss)/d(input)).
  pool_from_xy_.assign(L, false);
  for (int i = 0; i < L; ++i) {
    const LayerInfo& li = layers_[i];
    switch (li.desc.type) {
      case LayerType::Conv2d: be_.plan_conv2d(li.desc.name, li.conv); break;
      case LayerType::MaxPool2d:
        pool_from_xy_[i] = be_.plan_maxpool2d(li.desc.name, li.pool) && i > 0;
        break;
      case LayerType::ReLU: be_.plan_relu(li.desc.name, int64_t(batch_) * li.out.size()); break;
      default: break;
    }
  }

  // ---- the memory plan: lifetimes of every per-step tensor ----
  // acts_[i] = input of layer i (acts_[0] is the network input, not planned).
  // grads_of_[i] = d(loss)/d(acts_[i]); grads_of_[0] is never needed.
  std::vector<PlannedTensor> tensors;
  std::vector<int> act_tensor(L, -1), grad_tensor(L, -1), argmax_tensor(L, -1);
  for (int i = 1; i < L; ++i) {
    // acts_[i] is the output of layer i-1, written at step i-1.
    const LayerInfo& producer = layers_[i - 1];
    const LayerInfo& consumer = layers_[i];
    PlannedTensor t;
    t.name = producer.desc.name + ".out";
    t.bytes = int64_t(batch_) * producer.out.size() * int64_t(sizeof(float));
    t.first = i - 1;
    t.last = i;  // the consumer's forward reads it
    if (producer.desc.type == LayerType::ReLU)  // relu backward reads its output
      t.last = std::max(t.last, backward_step(L, i - 1));
    if (consumer.desc.type == LayerType::Conv2d || consumer.desc.type == LayerType::Linear)
      t.last = std::max(t.last, backward_step(L, i));  // weight gradient reads the input
    if (pool_from_xy_[i])  // pool backward from x, y reads its input ...
      t.last = std::max(t.last, backward_step(L, i));
    if (pool_from_xy_[i - 1])  // ... and its output
      t.last = std::max(t.last, backward_step(L, i - 1));
    act_tensor[i] = int(tensors.size());
    tensors.push_back(t);

    PlannedTensor g;
    g.name = producer.desc.name + ".grad";
    g.bytes = t.bytes;
    // dlogits are written by the loss (the softmax layer's forward step);
    // every other gradient by the backward of the layer that consumes acts_[i].
    g.first = (i == L - 1) ? L - 1 : backward_step(L, i);
    g.last = backward_step(L, i - 1);
    grad_tensor[i] = int(tensors.size());
    tensors.push_back(g);
  }
  for (int i = 0; i < L; ++i) {
    if (layers_[i].desc.type != LayerType::MaxPool2d || pool_from_xy_[i]) continue;
    PlannedTensor t;
    t.name = layers_[i].desc.name + ".argmax";
    t.bytes = int64_t(batch_) * layers_[i].out.size() * int64_t(sizeof(int32_t));
    t.first = i;
    t.last = backward_step(L, i);
    argmax_tensor[i] = int(tensors.size());
    tensors.push_back(t);
  }
  plan_memory(tensors, plan_);

  // ---- allocation: the only place this network allocates ----
  auto alloc = [&](int64_t bytes) {
    void* p = be_.alloc_bytes(size_t(std::max<int64_t>(bytes, 64)));
    owned_.push_back(p);
    total_bytes_ += bytes;
    return p;
  };
  arena_ = alloc(plan_.arena_bytes);
  input_ = static_cast<float*>(alloc(int64_t(batch_) * input_elems() * int64_t(sizeof(float))));
  labels_ = static_cast<int32_t*>(alloc(int64_t(batch_) * int64_t(sizeof(int32_t))));
  const int64_t pbytes = std::max<int64_t>(param_count_, 1) * int64_t(sizeof(float));
  params_ = static_cast<float*>(alloc(pbytes));
  grads_ = static_cast<float*>(alloc(pbytes));
  momentum_ = static_cast<float*>(alloc(pbytes));
  be_.zero(params_, size_t(pbytes));
  be_.zero(grads_, size_t(pbytes));
  be_.zero(momentum_, size_t(pbytes));
  size_t ws_bytes = 0;
  for (const LayerInfo& li : layers_)
    if (li.desc.type == LayerType::Conv2d) ws_bytes = std::max(ws_bytes, be_.conv2d_workspace_bytes(li.conv));
  workspace_ = alloc(int64_t(ws_bytes));

  acts_.assign(L, nullptr);
  grads_of_.assign(L, nullptr);
  argmax_.assign(L, nullptr);
  acts_[0] = input_;
  for (int i = 1; i < L; ++i) {
    acts_[i] = static_cast<float*>(arena_ptr(plan_.tensors[act_tensor[i]]));
    grads_of_[i] = static_cast<float*>(arena_ptr(plan_.tensors[grad_tensor[i]]));
  }
  for (int i = 0; i < L; ++i)
    if (argmax_tensor[i] >= 0) argmax_[i] = static_cast<int32_t*>(arena_ptr(plan_.tensors[argmax_tensor[i]]));
}

Network::~Network() {
  for (void* p : owned_) be_.free_bytes(p);
}

const float* Network::layer_output(int i) const {
  const int L = int(layers_.size());
  CONVNET_CHECK(i >= 0 && i + 1 < L, "layer_output: layer index ", i, " outside 0..", L - 2,
                " (the loss layer has no output tensor)");
  // acts_[i+1] lives in the arena; it still holds layer i's output after
  // forward() only if its lifetime reaches the last forward step (L-1).
  const std::string name = layers_[size_t(i)].desc.name + ".out";
  for (const PlannedTensor& t : plan_.tensors)
    if (t.name == name) {
      CONVNET_CHECK(t.last >= L - 1, "layer_output: the output of layer ", layers_[size_t(i)].desc.name,
                    " is not kept after forward() (its memory is reused by a later layer); read the "
                    "layer after it (e.g. its ReLU) instead");
      return acts_[size_t(i) + 1];
    }
  throw_error("internal: tensor ", name, " missing from the memory plan");
}

void* Network::arena_ptr(const PlannedTensor& t) const {
  // plan_memory sorted a copy; find this tensor's placement by name.
  for (const PlannedTensor& p : plan_.tensors)
    if (p.name == t.name) return static_cast<char*>(arena_) + p.offset;
  throw_error("internal: tensor ", t.name, " missing from the memory plan");
}

void Network::forward(int n) {
  CONVNET_CHECK(n > 0 && n <= batch_, "forward: n=", n, " outside 1..", batch_);
  const int L = int(layers_.size());
  for (int i = 0; i + 1 < L; ++i) {
    const LayerInfo& li = layers_[i];
    const float* x = acts_[i];
    float* y = acts_[i + 1];
    switch (li.desc.type) {
      case LayerType::Conv2d: {
        Conv2dParams p = li.conv;
        p.N = n;
        be_.conv2d_forward(p, x, params_ + weight_off_[i],
                           bias_off_[i] >= 0 ? params_ + bias_off_[i] : nullptr, y, workspace_);
        break;
      }
      case LayerType::MaxPool2d: {
        Pool2dParams p = li.pool;
        p.N = n;
        be_.maxpool2d_forward(p, x, y, argmax_[i]);
        break;
      }
      case LayerType::ReLU:
        be_.relu_forward(int64_t(n) * li.out.size(), x, y);
        break;
      case LayerType::Linear: {
        LinearParams p = li.linear;
        p.N = n;
        be_.linear_forward(p, x, params_ + weight_off_[i],
                           bias_off_[i] >= 0 ? params_ + bias_off_[i] : nullptr, y);
        break;
      }
      case LayerType::SoftmaxCE:
        throw_error("internal: softmax_ce before the last layer");
    }
  }
}

void Network::loss(int n, float* loss_out, int32_t* correct, int32_t* first_bad_step, int32_t step) {
  const int L = int(layers_.size());
  be_.softmax_ce(n, num_classes(), acts_[L - 1], labels_, grads_of_[L - 1], loss_out, correct,
                 first_bad_step, step);
}

void Network::backward(int n) {
  const int L = int(layers_.size());
  for (int i = L - 2; i >= 0; --i) {
    const LayerInfo& li = layers_[i];
    const float* dy = grads_of_[i + 1];
    float* dx = (i > 0) ? grads_of_[i] : nullptr;  // nobody needs d(loss)/d(input)
    switch (li.desc.type) {
      case LayerType::Conv2d: {
        Conv2dParams p = li.conv;
        p.N = n;
        if (dx) be_.conv2d_backward_data(p, dy, params_ + weight_off_[i], dx, workspace_);
        be_.conv2d_backward_weights(p, acts_[i], dy, grads_ + weight_off_[i],
                                    bias_off_[i] >= 0 ? grads_ + bias_off_[i] : nullptr, workspace_);
        break;
      }
      case LayerType::MaxPool2d: {
        Pool2dParams p = li.pool;
        p.N = n;
        if (dx && pool_from_xy_[i]) be_.maxpool2d_backward_from_xy(p, acts_[i], acts_[i + 1], dy, dx);
        else if (dx) be_.maxpool2d_backward(p, dy, argmax_[i], dx);
        break;
      }
      case LayerType::ReLU:
        if (dx) be_.relu_backward(int64_t(n) * li.out.size(), acts_[i + 1], dy, dx);
        break;
      case LayerType::Linear: {
        LinearParams p = li.linear;
        p.N = n;
        be_.linear_backward(p, acts_[i], params_ + weight_off_[i], dy, dx, grads_ + weight_off_[i],
                            bias_off_[i] >= 0 ? grads_ + bias_off_[i] : nullptr);
        break;
      }
      case LayerType::SoftmaxCE:
        break;
    }
  }
}

void Network::sgd_step(const SgdParams& s) { be_.sgd_update(s, param_count_, params_, grads_, momentum_); }

std::vector<float> Network::download_params() const {
  std::vector<float> h(static_cast<size_t>(param_count_));
  be_.download(h.data(), params_, h.size() * sizeof(float));
  return h;
}

void Network::upload_params(const std::vector<float>& host) {
  CONVNET_CHECK(int64_t(host.size()) == param_count_, "parameter count mismatch: model has ", param_count_,
                ", got ", host.size());
  be_.upload(params_, host.data(), host.size() * sizeof(float));
}

std::vector<float> Network::download_momentum() const {
  std::vector<float> h(static_cast<size_t>(param_count_));
  be_.download(h.data(), momentum_, h.size() * sizeof(float));
  return h;
}

void Network::upload_momentum(const std::vector<float>& host) {
  CONVNET_CHECK(int64_t(host.size()) == param_count_, "momentum count mismatch: model has ", param_count_,
                ", got ", host.size());
  be_.upload(momentum_, host.data(), host.size() * sizeof(float));
}

}  // namespace convnet
