// host/common/init_study.cpp: the initialization experiment (see
// convnet/init_study.h). Forward and backward of a plain deep net, in double,
// on the CPU ops, recording activation statistics and gradient norms.
#include "convnet/init_study.h"

#include <cmath>
#include <cstdio>

#include "convnet/cpu_ops.h"
#include "convnet/error.h"
#include "convnet/rng.h"

namespace convnet {

const char* study_activation_name(StudyActivation a) {
  return a == StudyActivation::ReLU ? "relu" : "tanh";
}

const char* study_scheme_name(StudyScheme s) {
  switch (s) {
    case StudyScheme::OneOverN: return "1/n";
    case StudyScheme::TwoOverN: return "2/n";
    case StudyScheme::Small: return "0.01";
    case StudyScheme::Large: return "1.0";
  }
  return "unknown";
}

double study_weight_std(StudyScheme s, int64_t fan_in) {
  CONVNET_CHECK(fan_in > 0, "init study: fan_in must be positive, got ", fan_in);
  switch (s) {
    case StudyScheme::OneOverN: return std::sqrt(1.0 / double(fan_in));
    case StudyScheme::TwoOverN: return std::sqrt(2.0 / double(fan_in));
    case StudyScheme::Small: return 0.01;
    case StudyScheme::Large: return 1.0;
  }
  return 0;
}

namespace {

// tanh forward and backward: not a backend op, so plain loops here.
// Backward uses the output y, like ReLU's: d tanh(x)/dx = 1 - tanh(x)^2.
void tanh_forward(int64_t n, const double* x, double* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
void tanh_backward(int64_t n, const double* y, const double* dy, double* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0 - y[i] * y[i]);
}

double norm2(const std::vector<double>& v) {
  double s = 0;
  for (double a : v) s += a * a;
  return std::sqrt(s);
}

}  // namespace

void standardize(std::vector<double>& x) {
  CONVNET_CHECK(!x.empty(), "standardize: empty input");
  double mean = 0;
  for (double a : x) mean += a;
  mean /= double(x.size());
  double var = 0;
  for (double a : x) var += (a - mean) * (a - mean);
  var /= double(x.size());
  CONVNET_CHECK(var > 0, "standardize: the input is constant (", mean, "), it has no scale to normalize");
  const double inv = 1.0 / std::sqrt(var);
  for (double& a : x) a = (a - mean) * inv;
}

namespace {
// Layers 0..depth-1 are hidden (Linear + activation); layer `depth` is the
// classifier head (Linear only, its output the logits).
std::vector<LinearParams> study_layers(const InitStudyConfig& cfg, int n, int in_features) {
  CONVNET_CHECK(cfg.depth >= 1 && cfg.width >= 1 && cfg.classes >= 2, "init study: bad config (depth ",
                cfg.depth, ", width ", cfg.width, ", classes ", cfg.classes, ")");
  CONVNET_CHECK(n >= 1 && in_features >= 1, "init study: need n >= 1 and in_features >= 1, got ", n, " and ",
                in_features);
  std::vector<LinearParams> lp(size_t(cfg.depth) + 1);
  for (size_t l = 0; l < lp.size(); ++l) {
    lp[l].N = n;
    lp[l].in = (l == 0) ? in_features : cfg.width;
    lp[l].out = (l + 1 == lp.size()) ? cfg.classes : cfg.width;
    lp[l].has_bias = false;  // biases start at 0 and play no part in the scale
  }
  return lp;
}
}  // namespace

std::vector<std::vector<double>> init_study_weights(const InitStudyConfig& cfg, StudyScheme scheme,
                                                    int in_features) {
  const std::vector<LinearParams> lp = study_layers(cfg, 1, in_features);
  std::vector<std::vector<double>> W(lp.size());
  Rng rng(cfg.seed);
  for (size_t l = 0; l < lp.size(); ++l) {
    const double sd = study_weight_std(scheme, lp[l].in);
    W[l].resize(size_t(lp[l].out) * size_t(lp[l].in));
    for (double& w : W[l]) w = sd * rng.normal();
  }
  return W;
}

InitStudyResult init_study_pass(const InitStudyConfig& cfg, StudyActivation act,
                                const std::vector<std::vector<double>>& W, const std::vector<double>& x,
                                const std::vector<int32_t>& labels, int n, int in_features,
                                std::vector<std::vector<double>>* dW_out) {
  const std::vector<LinearParams> lp = study_layers(cfg, n, in_features);
  const int L = int(lp.size());
  CONVNET_CHECK(int64_t(x.size()) == int64_t(n) * in_features, "init study: x has ", x.size(),
                " values, expected n*in_features = ", int64_t(n) * in_features);
  CONVNET_CHECK(int64_t(labels.size()) == n, "init study: ", labels.size(), " labels for ", n, " samples");
  for (int i = 0; i < n; ++i)
    CONVNET_CHECK(labels[size_t(i)] >= 0 && labels[size_t(i)] < cfg.classes, "init study: label ",
                  labels[size_t(i)], " of sample ", i, " is outside [0, ", cfg.classes, ")");
  CONVNET_CHECK(int(W.size()) == L, "init study: ", W.size(), " weight matrices for ", L, " layers");
  for (int l = 0; l < L; ++l)
    CONVNET_CHECK(int64_t(W[size_t(l)].size()) == int64_t(lp[size_t(l)].out) * lp[size_t(l)].in,
                  "init study: layer ", l + 1, " has ", W[size_t(l)].size(), " weights, expected ",
                  int64_t(lp[size_t(l)].out) * lp[size_t(l)].in);

  // Forward. h[0] is the input; z[l] the pre-activation of layer l and
  // h[l+1] its output (for the head, h[L] = z[L-1] = the logits).
  std::vector<std::vector<double>> z(static_cast<size_t>(L)), h(static_cast<size_t>(L) + 1);
  h[0] = x;
  for (int l = 0; l < L; ++l) {
    const LinearParams& p = lp[size_t(l)];
    const int64_t m = int64_t(n) * p.out;
    z[size_t(l)].resize(size_t(m));
    cpu::linear_forward<double>(p, h[size_t(l)].data(), W[size_t(l)].data(), nullptr, z[size_t(l)].data());
    h[size_t(l) + 1].resize(size_t(m));
    if (l == L - 1)
      h[size_t(l) + 1] = z[size_t(l)];
    else if (act == StudyActivation::ReLU)
      cpu::relu_forward<double>(m, z[size_t(l)].data(), h[size_t(l) + 1].data());
    else
      tanh_forward(m, z[size_t(l)].data(), h[size_t(l) + 1].data());
  }

  InitStudyResult r;
  r.activation = act;
  r.layers.resize(static_cast<size_t>(L));
  for (int l = 0; l < L; ++l) {
    const std::vector<double>& y = h[size_t(l) + 1];
    double mean = 0;
    for (double a : y) mean += a;
    mean /= double(y.size());
    double var = 0;
    for (double a : y) var += (a - mean) * (a - mean);
    var /= double(y.size());
    r.layers[size_t(l)].layer = l + 1;
    r.layers[size_t(l)].act_mean = mean;
    r.layers[size_t(l)].act_std = std::sqrt(var);
  }

  // Backward from the mean cross-entropy: dh = d(loss)/d(h[l+1]).
  std::vector<double> dh(h[size_t(L)].size());
  r.loss = cpu::softmax_ce<double>(n, cfg.classes, h[size_t(L)].data(), labels.data(), dh.data(), nullptr);
  std::vector<std::vector<double>> dW(static_cast<size_t>(L));
  for (int l = L - 1; l >= 0; --l) {
    const LinearParams& p = lp[size_t(l)];
    const int64_t m = int64_t(n) * p.out;
    r.layers[size_t(l)].out_grad_norm = norm2(dh);
    std::vector<double> dz(static_cast<size_t>(m));
    if (l == L - 1)
      dz = dh;
    else if (act == StudyActivation::ReLU)
      cpu::relu_backward<double>(m, h[size_t(l) + 1].data(), dh.data(), dz.data());
    else
      tanh_backward(m, h[size_t(l) + 1].data(), dh.data(), dz.data());
    std::vector<double> dx(l > 0 ? h[size_t(l)].size() : 0);
    dW[size_t(l)].resize(W[size_t(l)].size());
    cpu::linear_backward<double>(p, h[size_t(l)].data(), W[size_t(l)].data(), dz.data(),
                                 l > 0 ? dx.data() : nullptr, dW[size_t(l)].data(), nullptr);
    r.layers[size_t(l)].weight_grad_norm = norm2(dW[size_t(l)]);
    dh.swap(dx);
  }
  if (dW_out) dW_out->swap(dW);
  return r;
}

InitStudyResult run_init_study(const InitStudyConfig& cfg, StudyScheme scheme, StudyActivation act,
                               const std::vector<double>& x, const std::vector<int32_t>& labels, int n,
                               int in_features) {
  InitStudyResult r =
      init_study_pass(cfg, act, init_study_weights(cfg, scheme, in_features), x, labels, n, in_features);
  r.scheme = scheme;
  return r;
}

std::string init_study_csv(const std::vector<InitStudyResult>& results) {
  std::string csv = "scheme,activation,layer,act_mean,act_std,weight_grad_norm,out_grad_norm,loss\n";
  char buf[256];
  for (const InitStudyResult& r : results)
    for (const InitStudyLayer& l : r.layers) {
      std::snprintf(buf, sizeof buf, "%s,%s,%d,%.9g,%.9g,%.9g,%.9g,%.9g\n", study_scheme_name(r.scheme),
                    study_activation_name(r.activation), l.layer, l.act_mean, l.act_std, l.weight_grad_norm,
                    l.out_grad_norm, r.loss);
      csv += buf;
    }
  return csv;
}

}  // namespace convnet
