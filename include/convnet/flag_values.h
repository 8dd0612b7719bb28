// convnet/flag_values.h: turning a command-line flag's text into a number,
// with an error that names the flag, for convnet-train, convnet-bench and
// convnet-init-study alike.
#pragma once

#include <string>

namespace convnet {

// The whole of v as a decimal integer in [lo, hi]. Otherwise throws
// convnet::Error: "<flag>: expected an integer, got '<v>'" (with "from lo to
// hi" when the range is narrower than int's).
int parse_int_flag(const std::string& flag, const std::string& v, long lo, long hi);

// The whole of v as a finite number. Otherwise throws convnet::Error:
// "<flag>: expected a finite number, got '<v>'".
double parse_finite_flag(const std::string& flag, const std::string& v);

}  // namespace convnet
