// tests/cpu/test_init_study.cpp: the initialization study measures what the
// course teaches. He init (Var 2/n) keeps a ReLU net's activation variance
// level across 10 layers; Var 1/n halves it at every ReLU layer.
//
// Input: the first 512 MNIST test images when CONVNET_DATA is set, else
// Gaussian noise (fixed seed), so the test always runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "convnet/error.h"
#include "convnet/init_study.h"
#include "convnet/mnist.h"
#include "convnet/rng.h"

namespace {

using namespace convnet;

struct Batch {
  std::vector<double> x;
  std::vector<int32_t> labels;
  int n = 0, features = 0;
  std::string source;
};

Batch study_batch(int n) {
  Batch b;
  b.n = n;
  const char* env = std::getenv("CONVNET_DATA");
  if (env && *env) {
    const MnistFiles files = find_mnist_files(env);
    const Dataset test = load_idx_dataset(files.test_images, files.test_labels, 0);
    b.features = test.c * test.h * test.w;
    b.x.assign(test.images.begin(), test.images.begin() + int64_t(n) * b.features);
    b.labels.assign(test.labels.begin(), test.labels.begin() + n);
    b.source = "MNIST test images";
  } else {
    b.features = 784;
    Rng rng(12345);
    b.x.resize(size_t(n) * size_t(b.features));
    for (double& v : b.x) v = rng.normal();
    b.labels.resize(size_t(n));
    for (int32_t& l : b.labels) l = int32_t(rng.below(10));
    b.source = "Gaussian noise (CONVNET_DATA not set)";
  }
  standardize(b.x);
  return b;
}

double variance(const InitStudyLayer& l) { return l.act_std * l.act_std; }

TEST(InitStudy, HeKeepsReluVarianceWhileOneOverNDecays) {
  const Batch b = study_batch(512);
  SCOPED_TRACE(b.source);
  InitStudyConfig cfg;
  cfg.depth = 10;
  cfg.width = 512;  // wide, so each layer's gain is close to its expectation
  cfg.seed = 3;

  const InitStudyResult he = run_init_study(cfg, StudyScheme::TwoOverN, StudyActivation::ReLU, b.x, b.labels,
                                            b.n, b.features);
  ASSERT_EQ(he.layers.size(), 11u);  // 10 hidden + the head
  double lo = 1e300, hi = 0;
  for (int l = 0; l < cfg.depth; ++l) {
    lo = std::min(lo, variance(he.layers[size_t(l)]));
    hi = std::max(hi, variance(he.layers[size_t(l)]));
  }
  EXPECT_GT(lo, 0.0);
  EXPECT_LT(hi / lo, 2.0) << "He + ReLU: activation variance should stay level, range " << lo << " .. " << hi;

  // Var 1/n: each ReLU layer keeps half the second moment, so the variance
  // falls by about 2^9 from layer 1 to layer 10; we ask for more than 8x.
  const InitStudyResult lecun = run_init_study(cfg, StudyScheme::OneOverN, StudyActivation::ReLU, b.x,
                                               b.labels, b.n, b.features);
  const double first = variance(lecun.layers[0]), last = variance(lecun.layers[size_t(cfg.depth) - 1]);
  EXPECT_GT(first / last, 8.0) << "1/n + ReLU: variance " << first << " at layer 1, " << last << " at layer 10";
  // And it decays at every layer.
  for (int l = 1; l < cfg.depth; ++l)
    EXPECT_LT(variance(lecun.layers[size_t(l)]), variance(lecun.layers[size_t(l) - 1])) << "layer " << l + 1;
}

TEST(InitStudy, ConstantScalesVanishOrExplode) {
  const Batch b = study_batch(256);
  SCOPED_TRACE(b.source);
  InitStudyConfig cfg;
  cfg.seed = 5;
  for (StudyActivation act : {StudyActivation::ReLU, StudyActivation::Tanh}) {
    SCOPED_TRACE(study_activation_name(act));
    // sigma 0.01 with fan-in 256: each layer multiplies the std by about
    // 0.01 * sqrt(256) = 0.16 (x 1/sqrt 2 for ReLU): gone by layer 10.
    const InitStudyResult small =
        run_init_study(cfg, StudyScheme::Small, act, b.x, b.labels, b.n, b.features);
    EXPECT_LT(small.layers[9].act_std, 1e-6 * small.layers[0].act_std);
    // dL/dW_l = (backward signal through layers above l) x (forward signal
    // through layers below l): each factor shrinks ~0.16x per layer, so
    // EVERY layer's gradient is about 0.16^depth of He's, not only the early ones.
    const InitStudyResult he = run_init_study(cfg, StudyScheme::TwoOverN, act, b.x, b.labels, b.n, b.features);
    for (int l = 0; l < 10; ++l)
      EXPECT_LT(small.layers[size_t(l)].weight_grad_norm, 1e-5 * he.layers[size_t(l)].weight_grad_norm)
          << "layer " << l + 1;
    // sigma 1.0: ReLU explodes (x ~11 per layer); tanh saturates at +-1.
    const InitStudyResult large =
        run_init_study(cfg, StudyScheme::Large, act, b.x, b.labels, b.n, b.features);
    if (act == StudyActivation::ReLU) {
      EXPECT_GT(large.layers[9].act_std, 1e6 * large.layers[0].act_std);
      for (int l = 0; l < 10; ++l)
        EXPECT_GT(large.layers[size_t(l)].weight_grad_norm, 1e6 * he.layers[size_t(l)].weight_grad_norm)
            << "layer " << l + 1;
    } else {
      for (int l = 0; l < 10; ++l) {
        EXPECT_GT(large.layers[size_t(l)].act_std, 0.9) << "tanh saturates: |h| near 1, layer " << l + 1;
        EXPECT_LE(large.layers[size_t(l)].act_std, 1.0);
      }
    }
  }
}

TEST(InitStudy, TanhOneOverNBeatsSmallScaleButStillDecays) {
  const Batch b = study_batch(512);
  SCOPED_TRACE(b.source);
  InitStudyConfig cfg;
  cfg.width = 512;
  cfg.seed = 7;
  const InitStudyResult lecun =
      run_init_study(cfg, StudyScheme::OneOverN, StudyActivation::Tanh, b.x, b.labels, b.n, b.features);
  const InitStudyResult small =
      run_init_study(cfg, StudyScheme::Small, StudyActivation::Tanh, b.x, b.labels, b.n, b.features);
  EXPECT_GT(lecun.layers[9].act_std, 1e3 * small.layers[9].act_std);
  // tanh is contracting (|tanh x| < |x|): with gain 1 the std shrinks slowly.
  EXPECT_LT(lecun.layers[9].act_std, lecun.layers[0].act_std);
  EXPECT_GT(lecun.layers[9].act_std, 0.1 * lecun.layers[0].act_std);
}

// The recorded gradients are those of the mean cross-entropy: central
// differences of the loss against init_study_pass's dW, for ReLU and for the
// hand-written tanh backward, in every layer.
TEST(InitStudy, WeightGradientsMatchFiniteDifferences) {
  const Batch b = study_batch(16);
  InitStudyConfig cfg;
  cfg.depth = 3;
  cfg.width = 12;
  cfg.seed = 11;
  Rng pick(99);
  for (StudyActivation act : {StudyActivation::ReLU, StudyActivation::Tanh}) {
    SCOPED_TRACE(study_activation_name(act));
    std::vector<std::vector<double>> W = init_study_weights(cfg, StudyScheme::TwoOverN, b.features);
    std::vector<std::vector<double>> dW;
    const InitStudyResult r = init_study_pass(cfg, act, W, b.x, b.labels, b.n, b.features, &dW);
    ASSERT_EQ(dW.size(), W.size());
    for (size_t l = 0; l < W.size(); ++l) {
      double norm = 0;
      for (double g : dW[l]) norm += g * g;
      EXPECT_NEAR(std::sqrt(norm), r.layers[l].weight_grad_norm, 1e-12 * (1 + std::sqrt(norm)));
      for (int k = 0; k < 6; ++k) {
        const size_t i = size_t(pick.below(W[l].size()));
        const double h = 1e-6, w0 = W[l][i];
        W[l][i] = w0 + h;
        const double lp = init_study_pass(cfg, act, W, b.x, b.labels, b.n, b.features).loss;
        W[l][i] = w0 - h;
        const double lm = init_study_pass(cfg, act, W, b.x, b.labels, b.n, b.features).loss;
        W[l][i] = w0;
        const double fd = (lp - lm) / (2 * h);
        // Rounding: the loss (~2.3) carries ~1e-15 relative error, divided by
        // 2h; truncation is O(h^2). A ReLU kink inside [w-h, w+h] is unlikely
        // at these scales and would show as a gross mismatch.
        EXPECT_NEAR(fd, dW[l][i], 1e-8 + 1e-6 * std::abs(dW[l][i])) << "layer " << l + 1 << " weight " << i;
      }
    }
  }
}

TEST(InitStudy, BadInputIsAnErrorNamingIt) {
  InitStudyConfig cfg;
  std::vector<double> x(4 * 3, 1.0);
  std::vector<int32_t> labels = {0, 1, 12, 3};
  try {
    run_init_study(cfg, StudyScheme::OneOverN, StudyActivation::ReLU, x, labels, 4, 3);
    FAIL() << "expected convnet::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 12"), std::string::npos) << e.what();
  }
  labels[2] = 2;
  EXPECT_THROW(run_init_study(cfg, StudyScheme::OneOverN, StudyActivation::ReLU, x, labels, 4, 4), Error);
  std::vector<double> flat(10, 2.0);
  EXPECT_THROW(standardize(flat), Error);
}

TEST(InitStudy, CsvHasOneRowPerLayerPerCase) {
  const Batch b = study_batch(32);
  InitStudyConfig cfg;
  cfg.depth = 3;
  cfg.width = 8;
  std::vector<InitStudyResult> rs;
  rs.push_back(run_init_study(cfg, StudyScheme::TwoOverN, StudyActivation::ReLU, b.x, b.labels, b.n, b.features));
  rs.push_back(run_init_study(cfg, StudyScheme::Large, StudyActivation::Tanh, b.x, b.labels, b.n, b.features));
  const std::string csv = init_study_csv(rs);
  EXPECT_EQ(csv.rfind("scheme,activation,layer,act_mean,act_std,weight_grad_norm,out_grad_norm,loss\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 4);
  EXPECT_NE(csv.find("\n2/n,relu,1,"), std::string::npos);
  EXPECT_NE(csv.find("\n1.0,tanh,4,"), std::string::npos);
}

}  // namespace
