// train_flags.cpp: parsing convnet-train's flags, with an error that names
// the flag for every bad value.
#include "train_flags.h"

#include <climits>
#include <cstdlib>
#include <sstream>

#include "convnet/error.h"
#include "convnet/flag_values.h"

namespace convnet {

std::string train_usage() {
  return R"(usage: convnet-train [flags]

Trains a model (default: LeNet-5, models/lenet5.net) on MNIST with minibatch SGD.
Defaults are the course's: batch 64, lr 0.1, 20 epochs, 1,024 validation images.

  --data DIR          MNIST directory (raw or .gz IDX files); default $CONVNET_DATA
  --model FILE        model description (docs/model-format.md); default models/lenet5.net
  --backend NAME      cpu | cuda | cudnn | auto (default auto: cuda if a GPU is usable, else cpu)
  --epochs N          epochs to train (default 20)
  --batch N           minibatch size (default 64)
  --lr X              learning rate (default 0.1)
  --momentum X        SGD momentum (default 0: off, as in the course)
  --weight-decay X    L2 weight decay (default 0: off)
  --val N             training images held out for validation (default 1024)
  --seed N            seed for the initial weights and the batch order (default 1)
  --init NAME         lecun-normal | lecun-uniform | xavier | he-normal | he-uniform (default lecun-normal)
  --threads N         CPU threads (default 0: all cores)
  --out DIR           where metrics.csv, steps.csv, summary.json, checkpoint.safetensors go
                      (default runs/latest)
  --resume FILE       continue training from a checkpoint (same model and settings)
  --eval FILE         evaluate a checkpoint on the test set and exit
  --inspect DIR       with --eval: write predictions, the confusion matrix, the first conv
                      layer's filters, feature maps of test digit 0 and the misclassified
                      digits into DIR (and plot them with --plots)
  --summary           print the model summary (shapes, parameters, MACs, receptive fields) and exit
  --keep-best         report the model with the lowest validation error instead of the last one
  --lr-sweep LIST     train once per learning rate (e.g. 1,0.1,0.01) from the same initial weights
  --plots             draw the run's plots (needs /usr/bin/python3 with matplotlib)
  --deterministic     cudnn backend: deterministic algorithms only
  --max-steps N       at most N steps per epoch (quick checks)
  --train-limit N     use only the first N training images (quick checks)
  --quiet             no per-epoch lines
  --help              this text
)";
}

TrainFlags parse_train_flags(int argc, char** argv) {
  TrainFlags f;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_inline = false;
    const size_t eq = flag.find('=');
    if (flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline = true;
    }
    auto next = [&]() -> std::string {
      if (has_inline) return value;
      CONVNET_CHECK(i + 1 < argc, flag, ": missing value");
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") f.help = true;
    else if (flag == "--data") f.data = next();
    else if (flag == "--model") f.model = next();
    else if (flag == "--backend") f.backend = next();
    else if (flag == "--epochs") f.epochs = parse_int_flag(flag, next(), INT_MIN, INT_MAX);
    else if (flag == "--batch") f.batch = parse_int_flag(flag, next(), INT_MIN, INT_MAX);
    else if (flag == "--lr") f.lr = parse_finite_flag(flag, next());
    else if (flag == "--momentum") f.momentum = parse_finite_flag(flag, next());
    else if (flag == "--weight-decay") f.weight_decay = parse_finite_flag(flag, next());
    else if (flag == "--val") f.val = parse_int_flag(flag, next(), INT_MIN, INT_MAX);
    else if (flag == "--seed") {
      const std::string v = next();
      char* end = nullptr;
      f.seed = std::strtoull(v.c_str(), &end, 10);
      CONVNET_CHECK(!v.empty() && *end == '\0' && v[0] != '-', "--seed: expected a non-negative integer, got '",
                    v, "'");
    }
    else if (flag == "--init") f.init = next();
    else if (flag == "--threads") f.threads = parse_int_flag(flag, next(), INT_MIN, INT_MAX);
    else if (flag == "--out") f.out = next();
    else if (flag == "--resume") f.resume = next();
    else if (flag == "--eval") f.eval = next();
    else if (flag == "--inspect") f.inspect = next();
    else if (flag == "--summary") f.summary = true;
    else if (flag == "--keep-best") f.keep_best = true;
    else if (flag == "--plots") f.plots = true;
    else if (flag == "--deterministic") f.deterministic = true;
    else if (flag == "--quiet") f.quiet = true;
    else if (flag == "--max-steps") f.max_steps = parse_int_flag(flag, next(), INT_MIN, INT_MAX);
    else if (flag == "--train-limit") f.train_limit = parse_int_flag(flag, next(), INT_MIN, INT_MAX);
    else if (flag == "--lr-sweep") {
      std::stringstream ss(next());
      std::string item;
      while (std::getline(ss, item, ',')) f.lr_sweep.push_back(parse_finite_flag("--lr-sweep", item));
      CONVNET_CHECK(!f.lr_sweep.empty(), "--lr-sweep: expected a comma-separated list such as 1,0.1,0.01");
    } else {
      throw_error("unknown flag '", argv[i], "' (see convnet-train --help)");
    }
  }
  // Values that can be checked without the data.
  CONVNET_CHECK(f.lr > 0, "--lr must be > 0, got ", f.lr);
  for (double lr : f.lr_sweep) CONVNET_CHECK(lr > 0, "--lr-sweep: every rate must be > 0, got ", lr);
  CONVNET_CHECK(f.batch > 0, "--batch must be > 0, got ", f.batch);
  CONVNET_CHECK(f.epochs > 0, "--epochs must be > 0, got ", f.epochs);
  CONVNET_CHECK(f.val >= 0, "--val must be >= 0, got ", f.val);
  CONVNET_CHECK(f.threads >= 0, "--threads must be >= 0, got ", f.threads);
  CONVNET_CHECK(f.momentum >= 0 && f.momentum < 1, "--momentum must be in [0, 1), got ", f.momentum);
  CONVNET_CHECK(f.weight_decay >= 0, "--weight-decay must be >= 0, got ", f.weight_decay);
  CONVNET_CHECK(f.max_steps >= 0, "--max-steps must be >= 0, got ", f.max_steps);
  CONVNET_CHECK(f.train_limit >= 0, "--train-limit must be >= 0, got ", f.train_limit);
  CONVNET_CHECK(!f.out.empty(), "--out must not be empty");
  CONVNET_CHECK(f.inspect.empty() || !f.eval.empty(),
                "--inspect DIR needs a checkpoint to inspect: --eval CHECKPOINT --inspect DIR");
  return f;
}

}  // namespace convnet
