// benchmarks/e2e_bench.h: end-to-end training throughput on one backend.
//
// Measures what the trainer does (TrainState::run_epoch: gather, forward,
// loss, backward, SGD per step) with the data already resident in backend
// memory (DeviceDataset), over a fixed number of steps after a warm-up
// (TrainOptions::max_steps_per_epoch), then a second, instrumented pass
// through TimingBackend that times every op call of a step. The split
//     step wall time = sum of op times + the rest
// shows where a step goes; "the rest" is host overhead on the CPU and launch
// gaps (the GPU idling while the host issues work) on a GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convnet/backend.h"
#include "convnet/init.h"
#include "convnet/mnist.h"
#include "convnet/model.h"

namespace convnet::bench {

struct E2eConfig {
  int steps = 200;         // timed steps
  int warmup_steps = 20;   // untimed steps first (caches, thread pools, autotuning)
  int instr_steps = 50;    // steps of the instrumented pass (each op: median over them)
  int gpu_repeats = 10;    // instrumented pass: launches averaged per op on a GPU
  uint64_t seed = 1;
  std::string init = kDefaultInitScheme;
  float lr = 0.1f;
};

struct StepPart {
  std::string label;   // "C3 fwd", "C3 bwd_weights", "sgd_update"...
  std::string op;      // backend method
  double ms = 0;       // per step: the median over the instrumented steps
};

struct E2eResult {
  std::string impl;
  int batch = 0;
  int steps = 0;
  std::string status = "ok";  // "ok" or "ERROR"
  std::string note;
  double images_per_second = 0;
  double step_ms = 0;
  int steps_per_epoch = 0;       // full batches in one epoch of the data
  double epoch_seconds = 0;      // steps_per_epoch * step time (training only, no evaluation)
  double final_loss = 0;         // mean loss of the timed steps (a sanity figure)
  int64_t backend_peak_bytes = 0;  // Backend::peak_bytes(): dataset + network + loop state
  int64_t network_bytes = 0;       // Network::total_bytes()
  int64_t host_peak_rss_bytes = 0; // the whole process's peak RSS so far (getrusage)
  double op_ms = 0;              // sum of the instrumented op times per step
  double other_ms = 0;           // step_ms - op_ms
  bool labels_matched = true;    // the instrumented calls matched the network's schedule
  std::vector<StepPart> parts;
};

E2eResult run_e2e(Backend& be, const std::string& impl, const ModelDesc& model, const Dataset& train,
                  int batch, const E2eConfig& cfg);

}  // namespace convnet::bench
