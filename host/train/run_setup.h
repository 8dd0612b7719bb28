// run_setup.h: what every subcommand needs first: the model, the data and
// the backend, each failing with a message that names the problem.
#pragma once

#include <memory>
#include <string>

#include "convnet/backend.h"
#include "convnet/checkpoint.h"
#include "convnet/graph.h"
#include "convnet/mnist.h"
#include "convnet/model.h"
#include "convnet/training.h"
#include "train_flags.h"

namespace convnet {

// --model, else models/lenet5.net in the working directory, else in the
// source tree this binary was built from.
std::string resolve_model_path(const std::string& flag);
ModelDesc load_model_for(const TrainFlags& f);

struct RunData {
  Dataset train, val, test;
};
// Loads MNIST padded to the model's input size and holds out --val images.
RunData load_run_data(const TrainFlags& f, const ModelDesc& m);

std::unique_ptr<Backend> make_run_backend(const TrainFlags& f);

// A training run's starting point (the plain run and --lr-sweep): the model,
// the data, a backend, the network on it, and the training and validation
// images uploaded to it; --out is created. The backend is declared before
// what lives on it, so it is destroyed after them.
struct TrainSetup {
  ModelDesc model;
  RunData data;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Network> net;
  std::unique_ptr<DeviceDataset> train;
  std::unique_ptr<DeviceDataset> val;  // null with --val 0
};
TrainSetup load_train_setup(const TrainFlags& f);

// The per-epoch options the flags ask for, with --lr as the rate.
TrainOptions train_options_from(const TrainFlags& f);

// --eval's starting point: the model, a backend, the network with the
// checkpoint's weights uploaded, and the data (no validation split: the
// whole test set is what --eval and --inspect look at).
struct EvalSetup {
  ModelDesc model;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Network> net;
  Checkpoint checkpoint;
  RunData data;
};
EvalSetup load_eval_setup(const TrainFlags& f);

}  // namespace convnet
