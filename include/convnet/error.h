// convnet/error.h: the one exception type the engine throws.
//
// Every user-facing failure (bad file, bad flag, shape mismatch, CUDA error)
// becomes a convnet::Error whose message names the problem; the executables
// catch it in main(), print it once and exit non-zero.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace convnet {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Builds a message from any streamable pieces: throw_error("layer ", name, ": bad kernel").
template <class... Args>
[[noreturn]] inline void throw_error(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  throw Error(os.str());
}

#define CONVNET_CHECK(cond, ...)                       \
  do {                                                 \
    if (!(cond)) ::convnet::throw_error(__VA_ARGS__);  \
  } while (0)

}  // namespace convnet
