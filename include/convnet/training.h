// convnet/training.h: the training loop, evaluation and device-resident data.
//
// The loop (train_epochs) is backend-agnostic and follows three rules:
//  1. Data lives on the backend: uploaded once (DeviceDataset), shuffled there
//     each epoch, gathered into the network's input buffer per step.
//  2. No host synchronization per step: per-step losses and per-sample
//     correct flags go into backend buffers that are read once per epoch; a
//     backend flag records the first step whose loss was not finite.
//  3. No allocation after setup: every buffer is made by TrainState's
//     constructor or by the Network.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "convnet/backend.h"
#include "convnet/error.h"
#include "convnet/graph.h"
#include "convnet/mnist.h"
#include "convnet/op_params.h"

namespace convnet {

// A dataset uploaded to backend memory once.
class DeviceDataset {
 public:
  DeviceDataset(Backend& be, const Dataset& host);
  ~DeviceDataset();
  DeviceDataset(const DeviceDataset&) = delete;
  DeviceDataset& operator=(const DeviceDataset&) = delete;

  int n() const { return n_; }
  int64_t image_elems() const { return image_elems_; }
  const float* images() const { return images_; }
  const int32_t* labels() const { return labels_; }

 private:
  Backend& be_;
  int n_ = 0;
  int64_t image_elems_ = 0;
  float* images_ = nullptr;
  int32_t* labels_ = nullptr;
};

struct EvalResult {
  double loss = 0;   // mean cross-entropy
  double error = 0;  // fraction misclassified
  int64_t correct = 0;
  int n = 0;
};

// Everything a run's loop needs besides the network, allocated once.
struct TrainOptions {
  int epochs = 20;
  SgdParams sgd;       // lr 0.1, no momentum, no weight decay: the course's
  uint64_t seed = 1;   // shuffle order: permutation seed = f(seed, epoch)
  int first_epoch = 1; // > 1 when resuming
  bool progress_tty = false;  // draw a progress bar (stderr is a terminal)
  int max_steps_per_epoch = 0;  // 0 = all full batches (tests use fewer)
};

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0;   // mean of the step losses
  double train_error = 0;  // on the samples seen during the epoch
  double val_loss = 0, val_error = 0;
  double train_seconds = 0;  // the steps alone
  double eval_seconds = 0;
  double images_per_second = 0;
  std::vector<float> step_losses;  // every step of the epoch
};

// Thrown when a step's loss is NaN or Inf; names the epoch and step.
class TrainingDiverged : public Error {
 public:
  TrainingDiverged(const std::string& what, int epoch, int step)
      : Error(what), epoch(epoch), step(step) {}
  int epoch, step;
};

// The per-run buffers (permutation, step losses, correct flags, ...).
class TrainState {
 public:
  // max_eval_n: the largest dataset evaluate() will be given (e.g. the test set).
  TrainState(Network& net, const DeviceDataset& train, const DeviceDataset* val, int max_eval_n);
  ~TrainState();
  TrainState(const TrainState&) = delete;
  TrainState& operator=(const TrainState&) = delete;

  int steps_per_epoch() const { return steps_; }

  // One epoch of SGD; returns its metrics (val fields filled when val given).
  // Throws TrainingDiverged.
  EpochMetrics run_epoch(int epoch, const TrainOptions& opt);

  // Mean loss and error of the network on a dataset (forward only).
  EvalResult evaluate(const DeviceDataset& data);

 private:
  Network& net_;
  Backend& be_;
  const DeviceDataset& train_;
  const DeviceDataset* val_;
  int steps_ = 0;
  std::vector<void*> owned_;
  int32_t* perm_ = nullptr;
  float* step_losses_ = nullptr;
  int32_t* correct_ = nullptr;
  int32_t* bad_step_ = nullptr;
  float* eval_losses_ = nullptr;
  int32_t* eval_correct_ = nullptr;
  int eval_capacity_ = 0;
  std::vector<float> host_losses_;  // reused host copy of step_losses_
};

// Deterministic per-epoch shuffle seed (same on every backend).
uint64_t epoch_shuffle_seed(uint64_t seed, int epoch);

// Draws initial weights for every parameter slice on the host (biases 0).
std::vector<float> initial_params(const Network& net, const std::string& init_scheme, uint64_t seed);

}  // namespace convnet
