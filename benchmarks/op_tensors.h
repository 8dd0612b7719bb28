// benchmarks/op_tensors.h: the tensors one op case reads and writes, their
// random contents, and the one call that runs the op on a backend.
//
// An op case is described generically as a list of tensors (inputs,
// outputs, scratch) so that allocation, buffer rotation, upload, download
// and validation are written once for every op, and only launch_op() and
// the reference (op_reference.cpp) know what each op does with them.
#pragma once

#include <cstdint>
#include <vector>

#include "convnet/backend.h"
#include "op_counts.h"

namespace convnet::bench {

enum class TensorRole { In, Out, Scratch };

struct TensorSpec {
  const char* name;
  bool is_int;   // int32 (argmax, labels, correct flags) instead of float
  int64_t count; // elements
  TensorRole role;
};

// The tensors of an op, in the order launch_op() takes them:
//   conv_fwd          x, w, b, y
//   conv_bwd_data     dy, w, dx
//   conv_bwd_weights  x, dy, dw, db
//   pool_fwd          x, y, argmax
//   pool_bwd          dy, argmax, dx
//   relu_fwd          x, y
//   relu_bwd          y, dy, dx
//   linear_fwd        x, W, b, y
//   linear_bwd        x, W, dy, dx, dW, db
//   softmax_ce        logits, labels, dlogits, loss, correct, first_bad_step
std::vector<TensorSpec> op_tensors(const OpCase& c);

// Host contents of one tensor (float or int32 by its spec).
struct HostTensor {
  std::vector<float> f;
  std::vector<int32_t> i;
};

// Fresh random inputs for one buffer set (outputs left empty). Inputs are
// made valid for the op: relu_bwd's y is a ReLU output (>= 0, half zeros),
// pool_bwd's argmax comes from a real pool forward, labels are in [0, K).
std::vector<HostTensor> random_inputs(const OpCase& c, uint64_t seed);

// Runs the op once on backend memory: t[k] is tensor k of op_tensors(c).
void launch_op(Backend& be, const OpCase& c, void* const* t, void* ws);

}  // namespace convnet::bench
