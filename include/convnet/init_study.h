// convnet/init_study.h: the course's initialization experiment, measured.
//
// A deep plain network: `depth` hidden layers, each Linear(width) followed by
// an activation (ReLU or tanh), then a Linear(10) classifier head and a
// softmax cross-entropy loss on the real labels. Every weight is drawn
// N(0, sigma^2) with sigma set by the scheme:
//   "1/n"   Var w = 1 / fan_in   (LeCun / the course's rule)
//   "2/n"   Var w = 2 / fan_in   (He: ReLU zeroes half the signal)
//   "0.01"  sigma = 0.01         (a constant that is too small)
//   "1.0"   sigma = 1.0          (a constant that is too large)
// Biases are 0. One batch goes forward; per hidden layer we record the mean
// and the standard deviation of its activation outputs (over the batch and
// the units). Then one backward pass of the MEAN cross-entropy over the batch
// gives every layer's weight gradient, and we record its Frobenius norm
// ||dL/dW_l|| (and ||dL/dh_l||, the gradient w.r.t. the layer's output).
//
// The arithmetic is the CPU ops of convnet/cpu_ops.h in double (linear,
// ReLU, softmax CE); tanh is not a backend op, so it is two plain loops here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convnet {

enum class StudyActivation { ReLU, Tanh };
enum class StudyScheme { OneOverN, TwoOverN, Small, Large };

const char* study_activation_name(StudyActivation a);  // "relu", "tanh"
const char* study_scheme_name(StudyScheme s);          // "1/n", "2/n", "0.01", "1.0"
// Standard deviation of the weights of a layer with this fan-in.
double study_weight_std(StudyScheme s, int64_t fan_in);

struct InitStudyConfig {
  int depth = 10;    // hidden layers
  int width = 256;   // units per hidden layer
  int classes = 10;  // outputs of the classifier head
  uint64_t seed = 1; // weights: Rng(seed), drawn layer by layer in index order
};

struct InitStudyLayer {
  int layer = 0;             // 1..depth; depth+1 is the classifier head (logits)
  double act_mean = 0;       // of the layer's output (after the activation)
  double act_std = 0;        // population standard deviation of that output
  double weight_grad_norm = 0;  // ||dL/dW|| of the layer's weights
  double out_grad_norm = 0;     // ||dL/d(output)|| over the batch
};

struct InitStudyResult {
  StudyScheme scheme = StudyScheme::OneOverN;
  StudyActivation activation = StudyActivation::ReLU;
  double loss = 0;  // mean cross-entropy of the initial network
  std::vector<InitStudyLayer> layers;  // depth + 1 rows (the head last)
};

// Runs one (scheme, activation) case on x[n, in_features] with labels[n] in
// [0, classes). Throws convnet::Error on bad sizes or labels.
InitStudyResult run_init_study(const InitStudyConfig& cfg, StudyScheme scheme, StudyActivation act,
                               const std::vector<double>& x, const std::vector<int32_t>& labels, int n,
                               int in_features);

// The two halves of run_init_study, exposed so tests can check the
// gradients by finite differences:
// init_study_weights draws W[l] ([out, in], row-major) for layers
// 0..depth (the head last) from Rng(cfg.seed) in layer order;
// init_study_pass runs forward + backward on those weights and, when dW is
// not null, returns every layer's weight gradient in it (same layout).
std::vector<std::vector<double>> init_study_weights(const InitStudyConfig& cfg, StudyScheme scheme,
                                                    int in_features);
InitStudyResult init_study_pass(const InitStudyConfig& cfg, StudyActivation act,
                                const std::vector<std::vector<double>>& W, const std::vector<double>& x,
                                const std::vector<int32_t>& labels, int n, int in_features,
                                std::vector<std::vector<double>>* dW_out = nullptr);

// Standardizes x[n, features] in place to mean 0, variance 1 over all of its
// elements (one mean and one std for the whole batch, as for MNIST pixels),
// so the first layer sees the input scale the schemes assume.
void standardize(std::vector<double>& x);

// The CSV the study writes: a header and one row per layer per case:
//   scheme,activation,layer,act_mean,act_std,weight_grad_norm,out_grad_norm,loss
std::string init_study_csv(const std::vector<InitStudyResult>& results);

}  // namespace convnet
