// tests/gpu/synthetic_digits.h: LeNet-5 and a data set it learns in tens of
// steps, for the end-to-end backend tests (test_end_to_end.cpp, test_cudnn.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "convnet/mnist.h"
#include "convnet/model.h"
#include "convnet/rng.h"

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

}  // namespace convnet::test
