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
