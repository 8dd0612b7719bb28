// benchmarks/op_cases.h: which op shapes the bench times.
//
//   LeNet-5  every layer of the model file (models/lenet5.net) at each batch
//            size, with the exact params infer_shapes() gives the trainer;
//   larger   layers big enough to leave the cache and feed the cores:
//              conv64x56   64->64 channels, 3x3 pad 1, 56x56, batch 32
//                          (plus its ReLU and 2x2 max pool)
//              conv3x128   3->32 channels, 5x5, 128x128, batch 8
//              conv_s2     32->64 channels, 3x3, stride 2, pad 1, 56x56, batch 16
//              conv_d2     32->32 channels, 3x3, dilation 2, pad 2, 28x28, batch 16
//              pool3s2     overlapping 3x3 stride-2 max pool (pad 1) of 64x56x56, batch 32
//              fc1024      linear 1024 -> 1024, batch 256
//              softmax1000 softmax-CE over 1000 classes, batch 256
#pragma once

#include <vector>

#include "convnet/model.h"
#include "op_counts.h"

namespace convnet::bench {

// Every op of every layer of `model` at each batch size (conv: forward,
// backward-data, backward-weights; pool, relu, linear: forward, backward;
// softmax-CE once).
std::vector<OpCase> model_op_cases(const ModelDesc& model, const std::vector<int>& batches);

// The larger fixed shapes listed above.
std::vector<OpCase> large_op_cases();

}  // namespace convnet::bench
