// benchmarks/e2e_bench.cpp: training images/s and the per-op split of a step.
#include "e2e_bench.h"

#include <sys/resource.h>

#include "convnet/graph.h"
#include "convnet/training.h"
#include "bench_stats.h"
#include "timing_backend.h"

namespace convnet::bench {

namespace {

// The backend calls one training step makes, in order, with a readable label
// each: mirrors Network::forward/loss/backward and TrainState::run_epoch.
void expected_schedule(const std::vector<LayerInfo>& layers, std::vector<std::string>& ops,
                       std::vector<std::string>& labels) {
  auto add = [&](const std::string& op, const std::string& label) {
    ops.push_back(op);
    labels.push_back(label);
  };
  add("gather", "gather (batch from the resident data)");
  const int L = int(layers.size());
  for (int i = 0; i + 1 < L; ++i) {
    const std::string& n = layers[size_t(i)].desc.name;
    switch (layers[size_t(i)].desc.type) {
      case LayerType::Conv2d: add("conv2d_forward", n + " fwd"); break;
      case LayerType::MaxPool2d: add("maxpool2d_forward", n + " fwd"); break;
      case LayerType::ReLU: add("relu_forward", n + " fwd"); break;
      case LayerType::Linear: add("linear_forward", n + " fwd"); break;
      case LayerType::SoftmaxCE: break;
    }
  }
  add("softmax_ce", layers.back().desc.name + " (softmax_ce)");
  for (int i = L - 2; i >= 0; --i) {
    const std::string& n = layers[size_t(i)].desc.name;
    switch (layers[size_t(i)].desc.type) {
      case LayerType::Conv2d:
        if (i > 0) add("conv2d_backward_data", n + " bwd_data");
        add("conv2d_backward_weights", n + " bwd_weights");
        break;
      case LayerType::MaxPool2d:
        if (i > 0) add("maxpool2d_backward", n + " bwd");
        break;
      case LayerType::ReLU:
        if (i > 0) add("relu_backward", n + " bwd");
        break;
      case LayerType::Linear: add("linear_backward", n + " bwd"); break;
      case LayerType::SoftmaxCE: break;
    }
  }
  add("sgd_update", "sgd_update (all parameters)");
}

int64_t peak_rss_bytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return int64_t(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace

E2eResult run_e2e(Backend& be, const std::string& impl, const ModelDesc& model, const Dataset& train,
                  int batch, const E2eConfig& cfg) {
  E2eResult r;
  r.impl = impl;
  r.batch = batch;
  r.steps = cfg.steps;
  TrainOptions opt;
  opt.seed = cfg.seed;
  opt.sgd.lr = cfg.lr;
  std::vector<float> params;
  {
    Network net(model, batch, be);
    params = initial_params(net, cfg.init, cfg.seed);
    net.upload_params(params);
    DeviceDataset data(be, train);
    TrainState state(net, data, nullptr, 0);
    r.steps_per_epoch = state.steps_per_epoch();
    r.network_bytes = net.total_bytes();

    opt.max_steps_per_epoch = cfg.warmup_steps;
    state.run_epoch(1, opt);
    opt.max_steps_per_epoch = cfg.steps;
    const EpochMetrics m = state.run_epoch(2, opt);
    r.steps = int(m.step_losses.size());
    r.images_per_second = m.images_per_second;
    r.step_ms = 1e3 * m.train_seconds / r.steps;
    r.epoch_seconds = r.steps_per_epoch * m.train_seconds / r.steps;
    r.final_loss = m.train_loss;
    r.backend_peak_bytes = int64_t(be.peak_bytes());
    r.host_peak_rss_bytes = peak_rss_bytes();

    // ---- the instrumented pass: same model, data and starting weights ----
    TimingBackend tb(be, be.kind() == BackendKind::Cpu ? 1 : cfg.gpu_repeats);
    Network tnet(model, batch, tb);
    tnet.upload_params(net.download_params());
    TrainState tstate(tnet, data, nullptr, 0);
    opt.max_steps_per_epoch = 3;
    tstate.run_epoch(3, opt);  // warm-up
    tb.reset();
    opt.max_steps_per_epoch = cfg.instr_steps;
    tstate.run_epoch(4, opt);

    std::vector<std::string> ops, labels;
    expected_schedule(tnet.layers(), ops, labels);
    const std::vector<OpCall>& calls = tb.calls();
    r.labels_matched = tb.consistent() && calls.size() == ops.size();
    for (size_t i = 0; r.labels_matched && i < calls.size(); ++i) r.labels_matched = calls[i].op == ops[i];
    r.op_ms = 0;
    for (size_t i = 0; i < calls.size(); ++i) {
      StepPart part;
      part.op = calls[i].op;
      part.label = r.labels_matched ? labels[i] : calls[i].op;
      // The median over steps: one preempted call must not dominate.
      part.ms = 1e3 * summarize(calls[i].seconds).median;
      r.op_ms += part.ms;
      r.parts.push_back(part);
    }
    r.other_ms = r.step_ms - r.op_ms;
    if (!r.labels_matched)
      r.note = "instrumented calls did not match the expected schedule; parts are labelled by op only";
  }
  return r;
}

}  // namespace convnet::bench
