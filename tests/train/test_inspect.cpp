// convnet-train --eval CKPT --inspect DIR on a small synthetic dataset: the
// files agree with each other, with the evaluation and with the checkpoint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "convnet/backend.h"
#include "convnet/error.h"
#include "convnet/graph.h"
#include "convnet/model.h"
#include "convnet/safetensors.h"
#include "train/cli_util.h"

using convnet_test::run_train;
using convnet_test::slurp;
using convnet_test::TempDir;
using testing::HasSubstr;

namespace {

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream ss(text);
  std::string line;
  std::getline(ss, line);  // header
  while (std::getline(ss, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string c;
    while (std::getline(ls, c, ',')) cells.push_back(c);
    rows.push_back(cells);
  }
  return rows;
}

// A .npy file's shape (from its header) and float32 data.
struct Npy {
  std::string shape;
  std::vector<float> data;
};
Npy read_npy(const std::string& path) {
  const std::string b = slurp(path);
  Npy n;
  EXPECT_EQ(b.compare(0, 6, "\x93NUMPY"), 0) << path;
  const size_t hlen = size_t(uint8_t(b[8])) | size_t(uint8_t(b[9])) << 8;
  EXPECT_EQ((10 + hlen) % 64, 0u) << path << ": numpy wants the data 64-byte aligned";
  const std::string header = b.substr(10, hlen);
  EXPECT_THAT(header, HasSubstr("'descr': '<f4'"));
  const size_t s = header.find("'shape': (");
  n.shape = header.substr(s + 10, header.find(')', s) - s - 10);
  n.data.resize((b.size() - 10 - hlen) / 4);
  std::memcpy(n.data.data(), b.data() + 10 + hlen, n.data.size() * 4);
  return n;
}

TEST(Inspect, FilesAgreeWithEvaluationAndCheckpoint) {
  TempDir dir;
  convnet_test::write_synthetic_mnist(dir.path(), 1200, 300);
  const std::string base = "--backend cpu --threads 1 --quiet --data " + dir.path() + " ";
  // One short epoch: the net is still wrong on some test digits.
  ASSERT_EQ(run_train(base + "--val 128 --epochs 1 --max-steps 4 --out " + dir.file("run")).rc, 0);
  const std::string ckpt = dir.file("run/checkpoint.safetensors");
  const auto ev = run_train(base + "--eval " + ckpt);
  ASSERT_EQ(ev.rc, 0) << ev.out;
  const auto r = run_train(base + "--eval " + ckpt + " --inspect " + dir.file("ins"));
  ASSERT_EQ(r.rc, 0) << r.out;

  const auto preds = csv_rows(slurp(dir.file("ins/predictions.csv")));
  ASSERT_EQ(preds.size(), 300u);
  int wrong = 0;
  for (const auto& p : preds) wrong += p[1] != p[2];
  // The same count the plain --eval printed ("(W/300 wrong)").
  EXPECT_THAT(ev.out, HasSubstr("(" + std::to_string(wrong) + "/300 wrong)")) << ev.out;
  EXPECT_GT(wrong, 0) << "a 4-step net should still make mistakes; the gallery test needs some";

  const auto conf = csv_rows(slurp(dir.file("ins/confusion.csv")));
  ASSERT_EQ(conf.size(), 10u);
  int total = 0, off = 0;
  for (int y = 0; y < 10; ++y) {
    ASSERT_EQ(conf[size_t(y)].size(), 11u);
    for (int j = 0; j < 10; ++j) {
      const int c = std::stoi(conf[size_t(y)][size_t(j) + 1]);
      total += c;
      if (j != y) off += c;
    }
  }
  EXPECT_EQ(total, 300);
  EXPECT_EQ(off, wrong);

  EXPECT_EQ(csv_rows(slurp(dir.file("ins/misclassified.csv"))).size(), size_t(wrong));
  const Npy mis = read_npy(dir.file("ins/misclassified.npy"));
  EXPECT_EQ(mis.shape, std::to_string(wrong) + ",32,32");
  EXPECT_EQ(mis.data.size(), size_t(wrong) * 1024);

  // The filters are the checkpoint's C1.weight, bit for bit.
  const Npy filters = read_npy(dir.file("ins/filters_C1.npy"));
  EXPECT_EQ(filters.shape, "6,1,5,5");
  const auto st = convnet::read_safetensors(ckpt);
  EXPECT_EQ(filters.data, st.get<float>("C1.weight"));

  // Feature maps: ReLU outputs (>= 0) of the right shapes, not all zero.
  for (const auto& [file, shape, count] : {std::tuple<std::string, std::string, size_t>{"maps_C1", "6,28,28", 4704},
                                          {"maps_C3", "16,10,10", 1600}}) {
    const Npy m = read_npy(dir.file("ins/" + file + ".npy"));
    EXPECT_EQ(m.shape, shape) << file;
    ASSERT_EQ(m.data.size(), count) << file;
    float mx = 0;
    for (float v : m.data) {
      EXPECT_GE(v, 0.0f) << file;
      mx = std::max(mx, v);
    }
    EXPECT_GT(mx, 0.0f) << file;
  }
  EXPECT_THAT(slurp(dir.file("ins/inspect.json")), HasSubstr("\"wrong\": " + std::to_string(wrong)));
}

TEST(Inspect, NeedsACheckpoint) {
  const auto r = run_train("--inspect /tmp/nowhere");
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.out, HasSubstr("--inspect DIR needs a checkpoint"));
}

// Network::layer_output: ReLU outputs survive forward(); a conv's raw
// output does not (the memory plan reuses it) and asking for it is an Error.
TEST(Inspect, LayerOutputOnlyForTensorsLiveAfterForward) {
  const convnet::ModelDesc m = convnet::load_model_file(std::string(CONVNET_SOURCE_DIR) + "/models/lenet5.net");
  auto be = convnet::make_cpu_backend(convnet::BackendOptions{});
  convnet::Network net(m, 2, *be);
  ASSERT_EQ(net.layers()[0].desc.name, "C1");
  ASSERT_EQ(net.layers()[1].desc.type, convnet::LayerType::ReLU);
  try {
    net.layer_output(0);
    FAIL() << "expected convnet::Error for C1's pre-ReLU output";
  } catch (const convnet::Error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("C1"));
  }
  EXPECT_EQ(net.layer_output(1), net.layer_output(1));  // the ReLU after C1: readable
  EXPECT_NE(net.layer_output(1), nullptr);
  const int last = int(net.layers().size()) - 2;  // F7: the logits
  EXPECT_EQ(net.layer_output(last), net.logits());
  EXPECT_THROW(net.layer_output(last + 1), convnet::Error);  // the loss layer
  EXPECT_THROW(net.layer_output(-1), convnet::Error);
}

}  // namespace
