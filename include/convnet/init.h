// convnet/init.h: weight initialization schemes.
//
// Every scheme draws i.i.d. weights with mean 0 and a variance set by the
// layer's fan-in (inputs feeding one output: C_in*KH*KW for a conv, `in` for
// a linear layer), so that activations keep their scale through the layers:
//   LeCun (the course's rule; "xavier" here is its alias): Var w = 1 / fan_in
//   He (for ReLU nets, which zero half the signal):       Var w = 2 / fan_in
// Normal variants draw N(0, var); uniform variants draw U(-a, a) with
// a = sqrt(3 * var) (the variance of U(-a, a) is a^2 / 3).
// Biases start at zero; that is the caller's job.
#pragma once

#include <cstdint>
#include <string>

#include "convnet/rng.h"

namespace convnet {

enum class InitScheme { LecunNormal, LecunUniform, HeNormal, HeUniform };

// The trainer's and the bench's default. LeCun-normal measured the lowest
// LeNet-5 test error of the four schemes over seeds 101-109 (README, "Init").
inline constexpr const char* kDefaultInitScheme = "lecun-normal";

// "lecun-normal", "lecun-uniform", "xavier" (= lecun-normal), "he-normal",
// "he-uniform". Throws convnet::Error naming the accepted names otherwise.
InitScheme parse_init_scheme(const std::string& name);
// The canonical name (never "xavier").
const char* init_scheme_name(InitScheme s);
// The variance the scheme targets for this fan-in.
double init_variance(InitScheme s, int64_t fan_in);

// Fills w[0..n) for a layer with the given fan-in, drawing from rng in index order.
void init_weights(InitScheme s, int64_t fan_in, float* w, int64_t n, Rng& rng);

}  // namespace convnet
