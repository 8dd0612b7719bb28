// inspect.cpp: --eval CHECKPOINT --inspect DIR, looking inside a trained net.
//
// Runs the checkpoint on the test set and writes into DIR:
//   predictions.csv     index,label,predicted,confidence (softmax of the prediction)
//   confusion.csv       10x10 counts: row = true label, column = predicted
//   misclassified.csv   index,label,predicted,confidence of every wrong digit
//   misclassified.npy   their pixels, float32 [k, H, W] (the padded model input)
//   filters_<L>.npy     the weights of every conv layer L, [C_out, C_in, KH, KW]
//   digit.npy           test digit 0, float32 [H, W], and for every conv layer
//   maps_<L>.npy        followed by a ReLU, that ReLU's output on it, [C, H, W]
//   inspect.json        the checkpoint, test error, digit 0's label and prediction
// then draws them with scripts/plot_inspect.py when --plots is given.
// .npy is numpy's format (a short text header, then raw little-endian data):
// numpy.load reads it directly.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "convnet/checkpoint.h"
#include "convnet/error.h"
#include "convnet/graph.h"
#include "convnet/json_writer.h"
#include "convnet/plots.h"
#include "convnet/training.h"
#include "run_files.h"
#include "run_setup.h"
#include "train_command.h"

namespace convnet {

namespace {

// numpy .npy v1.0: magic, header length (uint16 LE), a Python dict literal
// padded with spaces to a multiple of 64 bytes and ending in '\n', the data.
std::string npy_f32(const std::vector<int64_t>& shape, const float* data) {
  std::string dims;
  int64_t count = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ",";
    count *= d;
  }
  if (shape.size() > 1) dims.pop_back();  // (6,1,5,5) but (7,) for one axis
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t unpadded = 10 + header.size() + 1;
  header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(data), size_t(count) * sizeof(float));  // x86: little-endian
  return out;
}

int argmax_of(const float* v, int k) {
  int best = 0;  // the first maximum wins, as in softmax_ce's correct flags
  for (int j = 1; j < k; ++j)
    if (v[j] > v[best]) best = j;
  return best;
}

// Softmax probability of class j, computed stably.
double softmax_prob(const float* v, int k, int j) {
  const float mx = v[argmax_of(v, k)];
  double s = 0;
  for (int i = 0; i < k; ++i) s += std::exp(double(v[i]) - mx);
  return std::exp(double(v[j]) - mx) / s;
}

}  // namespace

int run_inspect(const TrainFlags& f) {
  const EvalSetup e = load_eval_setup(f);
  const ModelDesc& m = e.model;
  Backend* be = e.backend.get();
  Network& net = *e.net;
  const Checkpoint& ck = e.checkpoint;
  const Dataset& test = e.data.test;
  const int K = net.num_classes();
  const int64_t elems = net.input_elems();
  // The image files are [H, W] per digit: one input channel, as MNIST.
  CONVNET_CHECK(m.in_c == 1, "--inspect: the image files assume 1 input channel, the model has ", m.in_c);
  make_directories(f.inspect);

  // ---- predictions: forward over the test set in batches ----
  std::vector<int32_t> pred(size_t(test.n));
  std::vector<double> conf(size_t(test.n));
  std::vector<float> logits(size_t(f.batch) * size_t(K));
  for (int start = 0; start < test.n; start += f.batch) {
    const int n = std::min(f.batch, test.n - start);
    be->upload(net.input(), test.images.data() + int64_t(start) * elems, size_t(n * elems) * sizeof(float));
    net.forward(n);
    be->download(logits.data(), net.logits(), size_t(n) * size_t(K) * sizeof(float));
    for (int i = 0; i < n; ++i) {
      const float* v = logits.data() + size_t(i) * size_t(K);
      pred[size_t(start + i)] = argmax_of(v, K);
      conf[size_t(start + i)] = softmax_prob(v, K, pred[size_t(start + i)]);
    }
  }
  std::vector<int64_t> confusion(size_t(K) * size_t(K), 0);
  std::string pred_csv = "index,label,predicted,confidence\n", wrong_csv = pred_csv;
  std::vector<float> wrong_pixels;
  int64_t wrong = 0;
  char buf[128];
  for (int i = 0; i < test.n; ++i) {
    const int y = test.labels[size_t(i)], p = pred[size_t(i)];
    confusion[size_t(y) * size_t(K) + size_t(p)]++;
    std::snprintf(buf, sizeof buf, "%d,%d,%d,%.4f\n", i, y, p, conf[size_t(i)]);
    pred_csv += buf;
    if (y != p) {
      ++wrong;
      wrong_csv += buf;
      wrong_pixels.insert(wrong_pixels.end(), test.images.begin() + int64_t(i) * elems,
                          test.images.begin() + int64_t(i + 1) * elems);
    }
  }
  // Cross-check against the training loop's own evaluation: the same count.
  DeviceDataset test_dev(*be, test);
  TrainState state(net, test_dev, nullptr, test_dev.n());
  const EvalResult r = state.evaluate(test_dev);
  CONVNET_CHECK(r.n - r.correct == wrong, "--inspect: ", wrong, " wrong predictions here but ", r.n - r.correct,
                " by the evaluation loop; the two forward passes disagree");

  std::string conf_csv = "label";
  for (int j = 0; j < K; ++j) conf_csv += ",pred_" + std::to_string(j);
  conf_csv += "\n";
  for (int y = 0; y < K; ++y) {
    conf_csv += std::to_string(y);
    for (int j = 0; j < K; ++j) conf_csv += "," + std::to_string(confusion[size_t(y) * size_t(K) + size_t(j)]);
    conf_csv += "\n";
  }
  const std::string dir = f.inspect + "/";
  write_text_atomic(dir + "predictions.csv", pred_csv);
  write_text_atomic(dir + "confusion.csv", conf_csv);
  write_text_atomic(dir + "misclassified.csv", wrong_csv);
  write_text_atomic(dir + "misclassified.npy",
                    npy_f32({wrong, int64_t(m.in_h), int64_t(m.in_w)}, wrong_pixels.data()));

  // ---- filters of every conv layer, straight from the checkpoint ----
  for (const ParamSlice& s : net.param_slices()) {
    if (s.is_bias || s.shape.size() != 4) continue;
    const std::string layer = net.layers()[size_t(s.layer)].desc.name;
    write_text_atomic(dir + "filters_" + layer + ".npy", npy_f32(s.shape, ck.params.data() + s.offset));
  }

  // ---- feature maps of test digit 0: one forward, then read the ReLUs ----
  const int digit = 0;
  be->upload(net.input(), test.images.data(), size_t(elems) * sizeof(float));
  net.forward(1);
  write_text_atomic(dir + "digit.npy", npy_f32({int64_t(m.in_h), int64_t(m.in_w)}, test.images.data()));
  std::string maps_list;
  const auto& layers = net.layers();
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    if (layers[i].desc.type != LayerType::Conv2d || layers[i + 1].desc.type != LayerType::ReLU) continue;
    const Shape3& o = layers[i + 1].out;
    if (o.h * o.w <= 1) continue;  // C5 is 120 maps of 1x1: nothing to look at
    std::vector<float> maps(size_t(o.size()));
    be->download(maps.data(), net.layer_output(int(i) + 1), maps.size() * sizeof(float));
    write_text_atomic(dir + "maps_" + layers[i].desc.name + ".npy", npy_f32({o.c, o.h, o.w}, maps.data()));
    maps_list += (maps_list.empty() ? "" : ",") + layers[i].desc.name;
  }

  JsonObject j;
  j.add("checkpoint", f.eval)
      .add("epoch", ck.epoch)
      .add("backend", be->name())
      .add("test_images", test.n)
      .add("wrong", wrong)
      .add("test_error", double(wrong) / double(test.n))
      .add("digit_index", digit)
      .add("digit_label", int64_t(test.labels[0]))
      .add("digit_predicted", int64_t(pred[0]))
      .add("feature_maps", maps_list);
  write_text_atomic(dir + "inspect.json", j.str() + "\n");
  std::printf("%s (epoch %lld) on %s: test error %.2f%% (%lld/%d wrong); wrote predictions, confusion, "
              "filters, feature maps (%s) and %lld misclassified digits to %s\n",
              f.eval.c_str(), (long long)ck.epoch, be->name().c_str(), 100.0 * double(wrong) / test.n,
              (long long)wrong, test.n, maps_list.c_str(), (long long)wrong, f.inspect.c_str());

  draw_or_offer_plots("plot_inspect.py", f.inspect, f.plots, f.quiet);
  return 0;
}

}  // namespace convnet
