// run_setup.cpp: model, data, backend and options for convnet-train.
#include "run_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include "convnet/build_config.h"
#include "convnet/error.h"
#include "run_files.h"

namespace convnet {

namespace {
bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
}  // namespace

std::string resolve_model_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (file_exists("models/lenet5.net")) return "models/lenet5.net";
  const std::string built = std::string(CONVNET_SOURCE_DIR) + "/models/lenet5.net";
  if (file_exists(built)) return built;
  throw_error("no --model given and models/lenet5.net was not found (looked in the working directory and ",
              CONVNET_SOURCE_DIR, ")");
}

ModelDesc load_model_for(const TrainFlags& f) { return load_model_file(resolve_model_path(f.model)); }

RunData load_run_data(const TrainFlags& f, const ModelDesc& m) {
  // MNIST digits are 28x28; the model's input decides the zero padding
  // (LeNet-5's 32x32 means 2 pixels on each side).
  CONVNET_CHECK(m.in_c == 1 && m.in_h == m.in_w && m.in_h >= 28 && (m.in_h - 28) % 2 == 0, "model '", m.name,
                "' takes input ", m.in_c, "x", m.in_h, "x", m.in_w,
                "; MNIST needs 1xSxS with S >= 28 and S - 28 even (28 plus equal padding)");
  const int pad = (m.in_h - 28) / 2;
  const std::string dir = resolve_data_dir(f.data);
  Mnist mnist = load_mnist(dir, pad);
  Dataset full = std::move(mnist.train);
  if (f.train_limit > 0 && f.train_limit < full.n) {
    full.n = f.train_limit;
    full.images.resize(size_t(full.n) * full.c * full.h * full.w);
    full.labels.resize(size_t(full.n));
  }
  CONVNET_CHECK(f.val < full.n, "--val ", f.val, " must be smaller than the training set (", full.n, " images)");
  RunData d;
  if (f.val > 0) {
    TrainValSplit s = split_train_val(full, f.val);
    d.train = std::move(s.train);
    d.val = std::move(s.val);
  } else {
    d.train = std::move(full);
  }
  d.test = std::move(mnist.test);
  CONVNET_CHECK(f.batch <= d.train.n, "--batch ", f.batch, " is larger than the training set (", d.train.n,
                " images after holding out ", f.val, ")");
  return d;
}

std::unique_ptr<Backend> make_run_backend(const TrainFlags& f) {
  BackendOptions opt;
  opt.threads = f.threads;
  opt.deterministic = f.deterministic;
  return make_backend(f.backend, opt);
}

TrainSetup load_train_setup(const TrainFlags& f) {
  TrainSetup s;
  s.model = load_model_for(f);
  s.data = load_run_data(f, s.model);
  s.backend = make_run_backend(f);
  make_directories(f.out);
  s.net = std::make_unique<Network>(s.model, f.batch, *s.backend);
  s.train = std::make_unique<DeviceDataset>(*s.backend, s.data.train);
  if (s.data.val.n > 0) s.val = std::make_unique<DeviceDataset>(*s.backend, s.data.val);
  return s;
}

TrainOptions train_options_from(const TrainFlags& f) {
  TrainOptions opt;
  opt.epochs = f.epochs;
  opt.sgd.lr = float(f.lr);
  opt.sgd.momentum = float(f.momentum);
  opt.sgd.weight_decay = float(f.weight_decay);
  opt.seed = f.seed;
  opt.max_steps_per_epoch = f.max_steps;
  opt.progress_tty = !f.quiet && isatty(STDERR_FILENO);
  return opt;
}

EvalSetup load_eval_setup(const TrainFlags& f) {
  EvalSetup e;
  e.model = load_model_for(f);
  e.backend = make_run_backend(f);
  e.net = std::make_unique<Network>(e.model, f.batch, *e.backend);
  e.checkpoint = load_checkpoint(f.eval, *e.net);
  e.net->upload_params(e.checkpoint.params);
  TrainFlags all_train = f;
  all_train.val = 0;
  e.data = load_run_data(all_train, e.model);
  return e;
}

}  // namespace convnet
