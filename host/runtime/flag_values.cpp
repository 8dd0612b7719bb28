// host/runtime/flag_values.cpp: flag text to numbers (see convnet/flag_values.h).
#include "convnet/flag_values.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "convnet/error.h"

namespace convnet {

int parse_int_flag(const std::string& flag, const std::string& v, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v.c_str(), &end, 10);
  const bool ok = !v.empty() && *end == '\0' && errno == 0 && x >= lo && x <= hi && x >= INT_MIN && x <= INT_MAX;
  if (!ok && lo <= INT_MIN && hi >= INT_MAX) throw_error(flag, ": expected an integer, got '", v, "'");
  if (!ok) throw_error(flag, ": expected an integer from ", lo, " to ", hi, ", got '", v, "'");
  return int(x);
}

double parse_finite_flag(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  CONVNET_CHECK(!v.empty() && *end == '\0' && std::isfinite(x), flag, ": expected a finite number, got '", v,
                "'");
  return x;
}

}  // namespace convnet
