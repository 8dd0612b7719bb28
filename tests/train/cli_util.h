// tests/train/cli_util.h: running convnet-train from a test, and a small
// synthetic MNIST-format dataset that a net learns in seconds.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "data/data_test_util.h"

namespace convnet_test {

struct CliResult {
  int rc = -1;
  std::string out;  // stdout and stderr together
};

// Runs convnet-train with `args` (shell words, already quoted where needed).
inline CliResult run_train(const std::string& args) {
  const std::string cmd = std::string(CONVNET_TRAIN_EXE) + " " + args + " 2>&1";
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "popen failed for " << cmd;
    return r;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Writes a 28x28 MNIST-format dataset into dir: each class c draws a bright
// 6x6 square at a class-specific place plus noise, so a LeNet learns it fast.
// gz: write the .gz variants (as the real files are).
inline void write_synthetic_mnist(const std::string& dir, int n_train, int n_test, bool gz = true,
                                  uint64_t seed = 7) {
  std::mt19937_64 g(seed);
  auto make = [&](int n, const std::string& img_name, const std::string& lbl_name) {
    std::vector<uint8_t> pixels(static_cast<size_t>(n) * 784), labels(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const int c = int(g() % 10);
      labels[size_t(i)] = uint8_t(c);
      uint8_t* img = pixels.data() + size_t(i) * 784;
      for (int k = 0; k < 784; ++k) img[k] = uint8_t(g() % 40);
      const int r0 = 3 + (c / 5) * 12 + int(g() % 3), c0 = 2 + (c % 5) * 5 + int(g() % 2);
      for (int y = r0; y < r0 + 6 && y < 28; ++y)
        for (int x = c0; x < c0 + 6 && x < 28; ++x) img[y * 28 + x] = uint8_t(200 + g() % 56);
    }
    const auto img = make_idx(0x803, {uint32_t(n), 28, 28}, pixels);
    const auto lbl = make_idx(0x801, {uint32_t(n)}, labels);
    if (gz) {
      write_gzip(dir + "/" + img_name + ".gz", img);
      write_gzip(dir + "/" + lbl_name + ".gz", lbl);
    } else {
      write_bytes(dir + "/" + img_name, img);
      write_bytes(dir + "/" + lbl_name, lbl);
    }
  };
  make(n_train, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
  make(n_test, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
}

inline std::string slurp(const std::string& path) {
  const auto b = read_bytes(path);
  return std::string(b.begin(), b.end());
}

}  // namespace convnet_test
