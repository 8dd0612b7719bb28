// convnet/checkpoint.h: training checkpoints as safetensors files.
//
// Tensors: one per parameter slice ("C1.weight", "C1.bias", ...), its
// momentum ("C1.weight.momentum", only when momentum is on), and the training
// state: "state.epoch" (I64[1], epochs completed), "state.seed" (U64[1]) and
// "state.rng" (U64[4], the xoshiro state the next epoch's shuffle starts
// from). __metadata__ carries the model name, backend and hyper-parameters.
// numpy and PyTorch read the file directly (tests/python/read_safetensors.py).
// Writes are atomic: temp file + fsync + rename.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "convnet/graph.h"

namespace convnet {

struct Checkpoint {
  int64_t epoch = 0;  // epochs completed
  uint64_t seed = 0;
  uint64_t rng[4] = {0, 0, 0, 0};
  std::vector<float> params;    // flat, in the network's slice layout
  std::vector<float> momentum;  // empty when momentum was off
  std::map<std::string, std::string> meta;
};

void save_checkpoint(const std::string& path, const Network& net, int64_t epoch, uint64_t seed,
                     bool with_momentum, const std::map<std::string, std::string>& meta);

// Reads a checkpoint and checks it fits `net` (every slice present with its
// shape); throws convnet::Error naming the first mismatch.
Checkpoint load_checkpoint(const std::string& path, const Network& net);

}  // namespace convnet
