// host/common/init.cpp: weight initialization schemes (see convnet/init.h).
#include "convnet/init.h"

#include <cmath>

#include "convnet/error.h"

namespace convnet {

InitScheme parse_init_scheme(const std::string& name) {
  if (name == "lecun-normal" || name == "xavier") return InitScheme::LecunNormal;
  if (name == "lecun-uniform") return InitScheme::LecunUniform;
  if (name == "he-normal") return InitScheme::HeNormal;
  if (name == "he-uniform") return InitScheme::HeUniform;
  throw_error("unknown init scheme '", name,
              "' (expected lecun-normal, lecun-uniform, xavier, he-normal or he-uniform)");
}

const char* init_scheme_name(InitScheme s) {
  switch (s) {
    case InitScheme::LecunNormal: return "lecun-normal";
    case InitScheme::LecunUniform: return "lecun-uniform";
    case InitScheme::HeNormal: return "he-normal";
    case InitScheme::HeUniform: return "he-uniform";
  }
  return "unknown";
}

double init_variance(InitScheme s, int64_t fan_in) {
  CONVNET_CHECK(fan_in > 0, "init: fan_in must be positive, got ", fan_in);
  const bool he = (s == InitScheme::HeNormal || s == InitScheme::HeUniform);
  return (he ? 2.0 : 1.0) / double(fan_in);
}

void init_weights(InitScheme s, int64_t fan_in, float* w, int64_t n, Rng& rng) {
  const double var = init_variance(s, fan_in);
  const bool uniform = (s == InitScheme::LecunUniform || s == InitScheme::HeUniform);
  if (uniform) {
    const double a = std::sqrt(3.0 * var);
    for (int64_t i = 0; i < n; ++i) w[i] = float(rng.uniform(-a, a));
  } else {
    const double sd = std::sqrt(var);
    for (int64_t i = 0; i < n; ++i) w[i] = float(sd * rng.normal());
  }
}

}  // namespace convnet
