// tests/gpu/lenet_fixture.h: LeNet-5, a data set it learns in tens of steps,
// and a free-running training loop, for the end-to-end backend tests
// (test_end_to_end.cpp, test_cudnn.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convnet/backend.h"
#include "convnet/graph.h"
#include "convnet/mnist.h"
#include "convnet/model.h"
#include "convnet/rng.h"
#include "convnet/training.h"

namespace convnet::test {

inline ModelDesc lenet() {
  return load_model_file(std::string(CONVNET_SOURCE_DIR) + "/models/lenet5.net");
}

// 32x32 images with a bright class-dependent square on faint noise: a task a
// LeNet learns within tens of steps, so the losses actually move.
inline Dataset synthetic_digits(int n, uint64_t seed) {
  Dataset d;
  d.n = n;
  d.c = 1;
  d.h = 32;
  d.w = 32;
  d.images.assign(size_t(n) * 1024, 0.0f);
  d.labels.resize(size_t(n));
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const int c = int(rng.below(10));
    d.labels[size_t(i)] = c;
    float* img = d.images.data() + size_t(i) * 1024;
    for (int k = 0; k < 1024; ++k) img[k] = float(0.15 * rng.uniform());
    const int r0 = 4 + (c / 5) * 12 + int(rng.below(3)), c0 = 3 + (c % 5) * 5 + int(rng.below(2));
    for (int y = r0; y < r0 + 6; ++y)
      for (int x = c0; x < c0 + 6; ++x) img[y * 32 + x] = float(0.8 + 0.2 * rng.uniform());
  }
  return d;
}

// SGD steps over the dataset in order (no shuffle: the cpu backend shuffles
// with Fisher-Yates on the host, the cuda backend with Thrust on the device,
// so only the identity order is common to both), through the same backend
// calls TrainState makes; returns every step's loss.
inline std::vector<float> free_running_losses(Backend& be, int steps, int B) {
  Network net(lenet(), B, be);
  net.upload_params(initial_params(net, "he-normal", 3));
  const Dataset train = synthetic_digits(B * steps, 21);
  DeviceDataset dev(be, train);
  float* losses = static_cast<float*>(be.alloc_bytes(sizeof(float) * size_t(steps)));
  SgdParams sgd;  // lr 0.1, the course's
  for (int s = 0; s < steps; ++s) {
    be.gather(dev.images(), dev.labels(), dev.image_elems(), nullptr, int64_t(s) * B, B, net.input(),
              net.labels());
    net.forward(B);
    net.loss(B, losses + s, nullptr, nullptr, s);
    net.backward(B);
    net.sgd_step(sgd);
  }
  std::vector<float> host(static_cast<size_t>(steps));
  be.download(host.data(), losses, host.size() * sizeof(float));
  be.free_bytes(losses);
  return host;
}

}  // namespace convnet::test
