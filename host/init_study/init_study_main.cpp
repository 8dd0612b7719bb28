// convnet-init-study: the course's initialization experiment on real MNIST.
//
// Pushes one batch of MNIST test images (28x28, unpadded, standardized to
// mean 0 / variance 1) through a deep plain network (--depth hidden layers of
// --width units, then a 10-way classifier head) under every init scheme
// (Var w = 1/n, 2/n, sigma = 0.01, sigma = 1.0) and both activations (ReLU,
// tanh), then one backward pass of the mean softmax cross-entropy on the real
// labels. Writes OUT/init_study.csv (see convnet/init_study.h) and draws the
// two figures with scripts/plot_init_study.py when matplotlib is there.
//
// Exit status: 0 on success, 1 on any error, 2 on bad flags.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "convnet/error.h"
#include "convnet/init_study.h"
#include "convnet/flag_values.h"
#include "convnet/mnist.h"
#include "convnet/plots.h"

namespace {

using namespace convnet;

struct Flags {
  std::string data;                 // --data DIR (else $CONVNET_DATA)
  std::string out = "runs/init_study";
  int n = 1000;                     // --n images (the first n test images)
  int depth = 10;
  int width = 256;
  uint64_t seed = 1;
  bool plots = true;                // --no-plots turns the figures off
  bool help = false;
};

const char* kUsage = R"(usage: convnet-init-study [flags]

The initialization experiment: a batch of real MNIST images through a deep
plain network under each init scheme (Var w = 1/n, 2/n, sigma 0.01, sigma 1.0)
and each activation (relu, tanh); per layer the activation mean/std and the
weight-gradient norm of one backward pass (mean softmax cross-entropy on the
real labels). Writes OUT/init_study.csv and plots it.

  --data DIR     MNIST directory; default $CONVNET_DATA
  --out DIR      output directory (default runs/init_study)
  --n N          images in the batch: the first N test images (default 1000)
  --depth N      hidden layers (default 10)
  --width N      units per hidden layer (default 256)
  --seed N       seed for the weights (default 1)
  --no-plots     write the CSV only
  --help         this text
)";

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto next = [&]() -> std::string {
      CONVNET_CHECK(i + 1 < argc, flag, ": missing value");
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") f.help = true;
    else if (flag == "--data") f.data = next();
    else if (flag == "--out") f.out = next();
    else if (flag == "--n") f.n = parse_int_flag(flag, next(), 1, 1000000);
    else if (flag == "--depth") f.depth = parse_int_flag(flag, next(), 1, 1000000);
    else if (flag == "--width") f.width = parse_int_flag(flag, next(), 1, 1000000);
    else if (flag == "--seed") f.seed = uint64_t(parse_int_flag(flag, next(), 1, 1000000));
    else if (flag == "--no-plots") f.plots = false;
    else throw_error("unknown flag '", flag, "' (see convnet-init-study --help)");
  }
  CONVNET_CHECK(!f.out.empty(), "--out must not be empty");
  return f;
}

void make_dirs(const std::string& dir) {
  std::string path;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      if (!path.empty() && mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        throw_error("cannot create directory ", path, ": ", std::strerror(errno));
    }
    if (i < dir.size()) path += dir[i];
  }
}

int run(const Flags& f) {
  // The batch: the first n test images, unpadded 28x28 = 784 features.
  const MnistFiles files = find_mnist_files(resolve_data_dir(f.data));
  const Dataset test = load_idx_dataset(files.test_images, files.test_labels, /*pad=*/0);
  CONVNET_CHECK(f.n <= test.n, "--n ", f.n, " is more than the ", test.n, " test images");
  const int features = test.c * test.h * test.w;
  std::vector<double> x(test.images.begin(), test.images.begin() + int64_t(f.n) * features);
  std::vector<int32_t> labels(test.labels.begin(), test.labels.begin() + f.n);
  standardize(x);

  InitStudyConfig cfg;
  cfg.depth = f.depth;
  cfg.width = f.width;
  cfg.seed = f.seed;
  std::printf("init study: %d MNIST test images (%d features, standardized), %d hidden layers of %d units + a "
              "10-way head, seed %llu\n",
              f.n, features, f.depth, f.width, (unsigned long long)f.seed);
  std::printf("%-5s %-5s %10s %12s %12s %14s %14s\n", "act", "init", "loss", "std layer 1", "std last",
              "|dW| layer 1", "|dW| last");
  std::vector<InitStudyResult> results;
  for (StudyActivation act : {StudyActivation::ReLU, StudyActivation::Tanh})
    for (StudyScheme s : {StudyScheme::OneOverN, StudyScheme::TwoOverN, StudyScheme::Small, StudyScheme::Large}) {
      results.push_back(run_init_study(cfg, s, act, x, labels, f.n, features));
      const InitStudyResult& r = results.back();
      const InitStudyLayer& first = r.layers.front();
      const InitStudyLayer& last = r.layers[size_t(f.depth) - 1];  // the last hidden layer
      std::printf("%-5s %-5s %10.4g %12.4g %12.4g %14.4g %14.4g\n", study_activation_name(act),
                  study_scheme_name(s), r.loss, first.act_std, last.act_std, first.weight_grad_norm,
                  last.weight_grad_norm);
    }

  make_dirs(f.out);
  const std::string path = f.out + "/init_study.csv";
  {
    std::ofstream out(path);
    out << init_study_csv(results);
    CONVNET_CHECK(out.good(), "cannot write ", path);
  }
  std::printf("wrote %s\n", path.c_str());

  draw_or_offer_plots("plot_init_study.py", f.out, f.plots, /*quiet=*/false);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  try {
    f = parse_flags(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "convnet-init-study: %s\n", e.what());
    return 2;
  }
  if (f.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  try {
    return run(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "convnet-init-study: %s\n", e.what());
    return 1;
  }
}
